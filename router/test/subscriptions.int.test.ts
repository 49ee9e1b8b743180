import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connectNats } from '@shop/messaging';
import { endpoints, waitFor } from '@shop/testing';
import WebSocket from 'ws';
import { startSubscriptionGraph, type SubscriptionGraph } from './subscriptions-graph';
import { codeOf, multipart, watch, wsClient } from './subscription-clients';

/**
 * Subscriptions through a router in front of three small subgraphs (subscriptions-graph.ts), with
 * real JWTs and the run's own NATS streams: what subscribers receive over graphql-ws and multipart
 * HTTP, what they never receive (other users' orders), and how they are refused.
 */

let graph: SubscriptionGraph;
beforeAll(async () => {
  graph = await startSubscriptionGraph('subs', { SANDBOX: 'true' });
}, 30_000);
afterAll(async () => {
  await graph?.stop();
});

const user = () => randomUUID();
const ORDER_UPDATED = `subscription Live($id: ID!) {
  orderUpdated(id: $id) { id status payment { id status } notifications { subject } }
}`;
const statusOf = (result: { data?: unknown }) =>
  (result.data as { orderUpdated: { status: string } }).orderUpdated.status;

async function connect(userId: string, options: { role?: 'ADMIN' | 'CUSTOMER' } = {}) {
  const authorization = await graph.bearer(userId, options);
  return wsClient(graph.wsUrl.replace(/\/graphql$/, '/graphql'), { connectionParams: { authorization } });
}

describe('orderUpdated over graphql-ws', () => {
  it('sends the current order first, then the order again after each of its events', async () => {
    const ada = user();
    const order = graph.order(ada);
    const client = await connect(ada);
    const seen = watch(client, ORDER_UPDATED, { id: order.id });
    await waitFor(() => seen.results.length === 1);
    expect(seen.results[0]).toEqual({
      data: { orderUpdated: { id: order.id, status: 'PENDING_PAYMENT', payment: null, notifications: [] } },
    });
    const paymentId = await graph.events.paymentSucceeded(order);
    await waitFor(() => seen.results.length === 2);
    await graph.events.paid(order);
    await waitFor(() => seen.results.length === 3);
    await graph.events.notificationSent(order, 'Your order is paid');
    await waitFor(() => seen.results.length === 4);
    expect(seen.results.map(statusOf)).toEqual(['PENDING_PAYMENT', 'PENDING_PAYMENT', 'PAID', 'PAID']);
    expect(seen.results[3]).toEqual({
      data: {
        orderUpdated: {
          id: order.id,
          status: 'PAID',
          payment: { id: paymentId, status: 'SUCCEEDED' },
          notifications: [{ subject: 'Your order is paid' }],
        },
      },
    });
    expect(seen.error).toBeUndefined();
    await client.dispose();
  });

  it('ends at once with BAD_USER_INPUT for an order of someone else, one that does not exist, or an id in another form', async () => {
    const ada = user();
    const order = graph.order(ada);
    const bob = await connect(user());
    const before = graph.requests.orders;
    for (const id of [order.id, randomUUID(), order.id.toUpperCase(), ` ${order.id}`]) {
      const seen = watch(bob, ORDER_UPDATED, { id });
      await seen.ended;
      expect(codeOf(seen.error)).toBe('BAD_USER_INPUT');
      expect(seen.results).toEqual([]);
    }
    // the two ids in another form never reached a subgraph
    expect(graph.requests.orders - before).toBe(2);
    // and Bob gets none of the order's events either (the subscription is gone)
    await graph.events.paid(order);
    await bob.dispose();
  });

  it('an admin may follow any order (the orders subgraph lets admins see every order)', async () => {
    const order = graph.order(user());
    const admin = await connect(user(), { role: 'ADMIN' });
    const seen = watch(admin, ORDER_UPDATED, { id: order.id });
    await waitFor(() => seen.results.length === 1);
    await graph.events.paid(order);
    await waitFor(() => seen.results.length === 2);
    expect(seen.results.map(statusOf)).toEqual(['PENDING_PAYMENT', 'PAID']);
    await admin.dispose();
  });

  it('an order that is no longer visible to the viewer gets no more updates', async () => {
    const ada = user();
    const order = graph.order(ada);
    const client = await connect(ada);
    const seen = watch(client, ORDER_UPDATED, { id: order.id });
    await waitFor(() => seen.results.length === 1);
    order.userId = user();
    await graph.events.paid(order);
    await new Promise((resolve) => setTimeout(resolve, 500));
    // the PAID event resolved to null for Ada (ownership per event): not delivered
    expect(seen.results).toHaveLength(1);
    order.userId = ada;
    await graph.events.notificationSent(order);
    await waitFor(() => seen.results.length === 2);
    expect(seen.results[1]).toMatchObject({
      data: { orderUpdated: { status: 'PAID', notifications: [{}] } },
    });
    await client.dispose();
  });
});

describe('myOrderEvents', () => {
  const EVENTS = `subscription Mine {
    myOrderEvents {
      __typename
      kind
      ...Facts
      placed: order { ref: id ...OrderFacts }
    }
  }
  fragment Facts on OrderEvent { at payment { id status } notification { subject } order { status } }
  fragment OrderFacts on Order { number s: status }`;

  it('delivers each event of the viewer’s orders with the order, the payment and the notification, as the selection asks', async () => {
    const ada = user();
    const order = graph.order(ada);
    const client = await connect(ada);
    const seen = watch(client, EVENTS);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen.results).toEqual([]); // nothing on subscribing
    const paymentId = await graph.events.paymentFailed(order);
    await waitFor(() => seen.results.length === 1);
    await graph.events.notificationSent(order, 'Payment declined');
    await waitFor(() => seen.results.length === 2);
    const [failed, sent] = seen.results.map(
      (r) => (r.data as { myOrderEvents: Record<string, unknown> }).myOrderEvents,
    );
    expect(failed).toEqual({
      __typename: 'OrderEvent',
      kind: 'PAYMENT_FAILED',
      at: expect.any(String),
      payment: { id: paymentId, status: 'FAILED' },
      notification: null,
      order: { status: 'PENDING_PAYMENT' },
      placed: { ref: order.id, number: order.number, s: 'PENDING_PAYMENT' },
    });
    expect(sent).toMatchObject({
      kind: 'NOTIFICATION_SENT',
      payment: null,
      notification: { subject: 'Payment declined' },
    });
    // the keys in the order the selection asked for them
    expect(Object.keys(failed!)).toEqual([
      '__typename',
      'kind',
      'at',
      'payment',
      'notification',
      'order',
      'placed',
    ]);
    await client.dispose();
  });

  it('never shows another user’s events, and an admin gets only their own orders’ events', async () => {
    const ada = user();
    const bob = user();
    const adaOrder = graph.order(ada);
    const bobOrder = graph.order(bob);
    const bobClient = await connect(bob);
    const adminClient = await connect(user(), { role: 'ADMIN' });
    const bobs = watch(bobClient, 'subscription { myOrderEvents { kind order { id } } }');
    const admins = watch(adminClient, 'subscription { myOrderEvents { kind order { id } } }');
    // Bob following Ada's order by id is refused
    const spying = watch(bobClient, ORDER_UPDATED, { id: adaOrder.id });
    await spying.ended;
    expect(codeOf(spying.error)).toBe('BAD_USER_INPUT');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await graph.events.paymentSucceeded(adaOrder);
    await graph.events.paid(adaOrder);
    await graph.events.paid(bobOrder);
    await waitFor(() => bobs.results.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(bobs.results).toEqual([{ data: { myOrderEvents: { kind: 'PAID', order: { id: bobOrder.id } } } }]);
    expect(admins.results).toEqual([]);
    await bobClient.dispose();
    await adminClient.dispose();
  });

  it('ignores malformed events and events with ids in another form', async () => {
    const ada = user();
    const order = graph.order(ada);
    const client = await connect(ada);
    const seen = watch(client, 'subscription { myOrderEvents { kind } }');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await graph.publish(graph.names.events.ordersPaid, { orderId: order.id, userId: ada });
    await graph.publish(graph.names.events.ordersDelivered, {
      eventId: randomUUID(),
      orderId: order.id.toUpperCase(),
      orderNumber: order.number,
      userId: ada,
      deliveredAt: new Date().toISOString(),
    });
    await graph.events.paid(order);
    await waitFor(() => seen.results.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen.results).toEqual([{ data: { myOrderEvents: { kind: 'PAID' } } }]);
    await client.dispose();
  });
});

describe('one consumer per router process', () => {
  it('holds one ordered consumer per stream whatever the number of subscribers', async () => {
    const clients = await Promise.all([1, 2, 3].map(() => connect(user())));
    const watched = clients.flatMap((client) => [
      watch(client, 'subscription { myOrderEvents { kind } }'),
      watch(client, 'subscription { myOrderEvents { at } }'),
    ]);
    await waitFor(() => graph.router.subscriptionStats().myOrderEvents >= 6);
    const nc = await connectNats(endpoints.nats, 'subs-consumers');
    const jsm = await jetstreamManager(nc);
    for (const stream of [
      graph.names.streams.orders,
      graph.names.streams.payments,
      graph.names.streams.notifications,
    ]) {
      const consumers = await jsm.consumers.list(stream).next();
      expect(consumers).toHaveLength(1);
    }
    await nc.close();
    expect(watched.every((w) => w.error === undefined)).toBe(true);
    for (const client of clients) await client.dispose();
    await waitFor(() => graph.router.subscriptionStats().myOrderEvents === 0);
  });
});

describe('authentication and refusals', () => {
  it('refuses anonymous subscribers and bad tokens with UNAUTHENTICATED, and operations that are not subscriptions', async () => {
    const anonymous = wsClient(graph.wsUrl);
    const refused = watch(anonymous, 'subscription { myOrderEvents { kind } }');
    await refused.ended;
    expect(codeOf(refused.error)).toBe('UNAUTHENTICATED');
    await anonymous.dispose();

    const forged = wsClient(graph.wsUrl, { connectionParams: { authorization: 'Bearer not.a.token' } });
    const bad = watch(forged, 'subscription { myOrderEvents { kind } }');
    await bad.ended;
    expect(codeOf(bad.error)).toBe('UNAUTHENTICATED');
    await forged.dispose();

    const client = await connect(user());
    const query = watch(client, '{ order(id: "x") { id } }');
    await query.ended;
    expect(codeOf(query.error)).toBe('BAD_REQUEST');
    const invalid = watch(client, 'subscription { myOrderEvents { nope } }');
    await invalid.ended;
    expect(codeOf(invalid.error)).toBe('GRAPHQL_VALIDATION_FAILED');
    await client.dispose();
  });

  it('takes the token from the upgrade request’s Authorization header too', async () => {
    const ada = user();
    const order = graph.order(ada);
    const authorization = await graph.bearer(ada);
    const client = wsClient(graph.wsUrl, {
      webSocketImpl: class extends WebSocket {
        constructor(url: string, protocols: string[]) {
          super(url, protocols, { headers: { authorization } });
        }
      },
    });
    const seen = watch(client, ORDER_UPDATED, { id: order.id });
    await waitFor(() => seen.results.length === 1);
    await client.dispose();
  });

  it('answers a subscription sent as a plain request with 400 BAD_REQUEST, and lists the subscriptions in introspection', async () => {
    const plain = await fetch(graph.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'subscription { myOrderEvents { kind } }' }),
    });
    expect(plain.status).toBe(400);
    const body = (await plain.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('BAD_REQUEST');
    const introspection = await fetch(graph.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __schema { subscriptionType { fields { name } } } }' }),
    });
    expect(await introspection.json()).toEqual({
      data: {
        __schema: { subscriptionType: { fields: [{ name: 'orderUpdated' }, { name: 'myOrderEvents' }] } },
      },
    });
  });
});

describe('multipart HTTP (Apollo’s protocol)', () => {
  it('streams the order, heartbeats and updates as parts, in Apollo’s format', async () => {
    const ada = user();
    const order = graph.order(ada);
    const read = await multipart(
      graph.url,
      { query: ORDER_UPDATED, variables: { id: order.id } },
      { authorization: await graph.bearer(ada) },
    );
    expect(read.status).toBe(200);
    expect(read.contentType).toBe('multipart/mixed;boundary="graphql";subscriptionSpec=1.0');
    await waitFor(() => read.parts.length >= 1);
    expect(read.parts[0]).toEqual({
      payload: {
        data: { orderUpdated: { id: order.id, status: 'PENDING_PAYMENT', payment: null, notifications: [] } },
      },
    });
    await graph.events.paid(order);
    await waitFor(() => read.parts.some((p) => JSON.stringify(p).includes('"PAID"')));
    // heartbeats every SUBSCRIPTION_HEARTBEAT_MS (500 here)
    await waitFor(() => read.parts.some((p) => JSON.stringify(p) === '{}'), { timeoutMs: 2000 });
    read.abort();
    await read.ended;
    await waitFor(() => graph.router.subscriptionStats().orderUpdated === 0);
  });

  it('refuses before streaming: anonymous 401 UNAUTHENTICATED, another user’s order ends with an errors part', async () => {
    const anonymous = await multipart(graph.url, { query: 'subscription { myOrderEvents { kind } }' });
    await anonymous.ended;
    expect(anonymous.status).toBe(401);
    expect(anonymous.parts[0]).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });

    const order = graph.order(user());
    const spying = await multipart(
      graph.url,
      { query: ORDER_UPDATED, variables: { id: order.id } },
      { authorization: await graph.bearer(user()) },
    );
    await spying.ended;
    expect(spying.parts).toEqual([
      {
        payload: null,
        errors: [
          expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }),
        ],
      },
    ]);
    expect(spying.finalBoundary).toBe(true);
  });
});
