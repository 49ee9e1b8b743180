/**
 * Issue 19's live order updates through the gateway, as a storefront receives them with Apollo
 * Client 4: over WebSocket (GraphQLWsLink + graphql-ws) and over HttpLink's multipart protocol. A
 * subscriber sees its own order go PENDING_PAYMENT → PAID → confirmation sent, and nothing of
 * anyone else's; anonymous and expired tokens are refused or end the subscription; a router restart
 * ends subscriptions cleanly and graphql-ws clients reconnect and subscribe again; the 11th
 * subscription of a connection is refused.
 */
import { gql } from '@apollo/client';
import { waitFor } from '@shop/testing';
import { createTestEnvironment, type TestEnvironment } from '../environment';
import {
  codeOf,
  follow,
  payOrder,
  placeOrder,
  registerShopper,
  shortLivedToken,
  storefront,
  wsClient,
  type Shopper,
} from './support';

let env: TestEnvironment;
let ada: Shopper;
let bob: Shopper;

beforeAll(async () => {
  env = await createTestEnvironment();
  ada = await registerShopper(env, 'Ada');
  bob = await registerShopper(env, 'Bob');
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

const ORDER_UPDATED = gql`
  subscription OrderLive($id: ID!) {
    orderUpdated(id: $id) {
      id
      status
      paidAt
      payment {
        status
        amount {
          amount
        }
      }
      notifications {
        kind
        status
      }
      items {
        quantity
        product {
          name
        }
      }
    }
  }
`;
const MY_EVENTS = gql`
  subscription MyEvents {
    myOrderEvents {
      kind
      at
      order {
        id
        status
      }
      payment {
        status
      }
      notification {
        kind
        status
        channel
      }
    }
  }
`;

interface LiveOrder {
  orderUpdated: {
    id: string;
    status: string;
    payment: { status: string } | null;
    notifications: { kind: string; status: string }[];
    items: { quantity: number; product: { name: string } }[];
  };
}
interface MyEvent {
  myOrderEvents: {
    kind: string;
    order: { id: string; status: string };
    payment: { status: string } | null;
    notification: { kind: string; status: string; channel: string } | null;
  };
}

/** The statuses an orderUpdated subscriber saw, repeats folded. */
const statuses = (values: LiveOrder[]) =>
  values.map((v) => v.orderUpdated.status).filter((s, i, all) => s !== all[i - 1]);
const confirmed = (v: LiveOrder) =>
  v.orderUpdated.notifications.some((n) => n.kind === 'ORDER_CONFIRMATION' && n.status === 'SENT');

describe.each(['ws', 'multipart'] as const)('over %s', (transport) => {
  it('a subscriber sees its order go PENDING_PAYMENT → PAID → confirmation sent, and nothing of anyone else’s', async () => {
    const adaClient = storefront(env, ada.token, transport);
    const bobClient = storefront(env, bob.token, transport);
    const adaEvents = follow<MyEvent>(adaClient, MY_EVENTS);
    const bobEvents = follow<MyEvent>(bobClient, MY_EVENTS);
    await waitFor(() => env.subscriptionStats().myOrderEvents >= 2);

    const order = await placeOrder(env, ada);
    const live = follow<LiveOrder>(adaClient, ORDER_UPDATED, { id: order.id });
    const spying = follow<LiveOrder>(bobClient, ORDER_UPDATED, { id: order.id });
    await waitFor(() => live.values.length >= 1);
    expect(live.values[0]!.orderUpdated).toMatchObject({
      id: order.id,
      status: 'PENDING_PAYMENT',
      payment: null,
    });
    expect(live.values[0]!.orderUpdated.items[0]!.product.name).toBeTruthy();

    await payOrder(env, ada, order.id);
    await waitFor(() => live.values.some(confirmed), { timeoutMs: 20_000 });
    expect(statuses(live.values)).toEqual(['PENDING_PAYMENT', 'PAID']);
    expect(live.values.at(-1)!.orderUpdated.payment).toMatchObject({ status: 'SUCCEEDED' });
    // the confirmation goes out by email and, as Ada gave a phone number, by SMS
    await waitFor(
      () => adaEvents.values.filter((e) => e.myOrderEvents.kind === 'NOTIFICATION_SENT').length === 2,
      {
        timeoutMs: 20_000,
      },
    );
    const kinds = adaEvents.values.map((e) => e.myOrderEvents.kind);
    expect(kinds).toEqual(['PLACED', 'PAYMENT_SUCCEEDED', 'PAID', 'NOTIFICATION_SENT', 'NOTIFICATION_SENT']);
    expect(adaEvents.values.every((e) => e.myOrderEvents.order.id === order.id)).toBe(true);
    expect(adaEvents.values[0]!.myOrderEvents.order.status).toBe('PENDING_PAYMENT');
    expect(adaEvents.values[1]!.myOrderEvents.payment).toEqual({
      __typename: 'Payment',
      status: 'SUCCEEDED',
    });
    expect(adaEvents.values[2]!.myOrderEvents.order.status).toBe('PAID');
    expect(
      adaEvents.values
        .slice(3)
        .map((e) => e.myOrderEvents.notification)
        .map((n) => `${n!.kind} ${n!.status} ${n!.channel}`)
        .sort(),
    ).toEqual(['ORDER_CONFIRMATION SENT EMAIL', 'ORDER_CONFIRMATION SENT SMS']);

    // Bob following Ada's order is refused at once; his own events show none of Ada's
    expect(spying.values).toEqual([]);
    expect(codeOf(spying.errors[0])).toBe('BAD_USER_INPUT');
    const own = await placeOrder(env, bob);
    await waitFor(() => bobEvents.values.length >= 1);
    expect(bobEvents.values.map((e) => [e.myOrderEvents.kind, e.myOrderEvents.order.id])).toEqual([
      ['PLACED', own.id],
    ]);
    expect(adaEvents.errors).toEqual([]);
    for (const seen of [live, adaEvents, bobEvents]) seen.stop();
    await waitFor(() => env.subscriptionStats().subscriptions === 0);
  }, 40_000);

  it('refuses an anonymous subscriber with UNAUTHENTICATED', async () => {
    const anonymous = storefront(env, undefined, transport);
    const seen = follow<MyEvent>(anonymous, MY_EVENTS);
    await waitFor(() => seen.errors.length === 1);
    expect(codeOf(seen.errors[0])).toBe('UNAUTHENTICATED');
    expect(seen.values).toEqual([]);
  });

  it('ends the subscription with UNAUTHENTICATED when the token expires', async () => {
    const order = await placeOrder(env, ada);
    const { token, expiresAt } = await shortLivedToken(env, ada, 3);
    const client = storefront(env, token, transport);
    const live = follow<LiveOrder>(client, ORDER_UPDATED, { id: order.id });
    await waitFor(() => live.values.length === 1);
    await waitFor(() => live.errors.length === 1, { timeoutMs: 6_000 });
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt.getTime() - 1000);
    expect(codeOf(live.errors[0])).toBe('UNAUTHENTICATED');
    await waitFor(() => live.completed);
  });
});

describe('router restart and limits (graphql-ws)', () => {
  it('a restart closes the socket with 1001; the client reconnects, subscribes again and sees the order paid', async () => {
    const order = await placeOrder(env, ada);
    const closes: number[] = [];
    // what docs/subscriptions.md recommends: retry after connection errors too (graphql-ws retries
    // only after close events by default, and the port refuses connections while the router restarts)
    const ws = wsClient(env, () => ada.token, {
      retryAttempts: 30,
      shouldRetry: () => true,
      retryWait: () => new Promise((resolve) => setTimeout(resolve, 250)),
      on: { closed: (event) => void closes.push((event as { code: number }).code) },
    });
    const multipart = follow<LiveOrder>(storefront(env, ada.token, 'multipart'), ORDER_UPDATED, {
      id: order.id,
    });
    const live = follow<LiveOrder>(storefront(env, ada.token, 'ws', ws), ORDER_UPDATED, { id: order.id });
    await waitFor(() => live.values.length === 1 && multipart.values.length === 1);

    await env.restartRouter();
    expect(closes[0]).toBe(1001);
    // the multipart stream ended with its final boundary: the subscription completes, without an error
    await waitFor(() => multipart.completed);
    expect(multipart.errors).toEqual([]);
    // graphql-ws subscribed again on the new router: the order once more, then the payment
    await waitFor(() => live.values.length === 2, { timeoutMs: 15_000 });
    await payOrder(env, ada, order.id);
    await waitFor(() => live.values.some((v) => v.orderUpdated.status === 'PAID'), { timeoutMs: 20_000 });
    expect(live.errors).toEqual([]);
    expect(live.completed).toBe(false);
    live.stop();
    await ws.dispose();
  }, 60_000);

  it('refuses the 11th subscription on one connection', async () => {
    const ws = wsClient(env, () => bob.token);
    const client = storefront(env, bob.token, 'ws', ws);
    const held = Array.from({ length: 10 }, () => follow<MyEvent>(client, MY_EVENTS));
    await waitFor(() => env.subscriptionStats().myOrderEvents === 10);
    const eleventh = follow<MyEvent>(client, MY_EVENTS);
    await waitFor(() => eleventh.errors.length === 1);
    expect(codeOf(eleventh.errors[0])).toBe('RATE_LIMITED');
    expect(held.every((h) => h.errors.length === 0)).toBe(true);
    for (const h of held) h.stop();
    await ws.dispose();
  });
});
