import { card, TEST_CARDS, type Harness } from './helpers';
import { paymentsRun } from './run-checks';

/**
 * Order.payment and Payment entities (who sees which payment) against real Redis and NATS with a
 * stub orders.payable responder. The last test checks this file's events and scans what it wrote
 * for secrets.
 */
const run = paymentsRun('entities');
const { payWith, expectEachEventOnce, expectNoSecrets } = run;
let h: Harness;
beforeAll(() => {
  h = run.harness();
});

describe('Order.payment and Payment entities', () => {
  const ORDER_PAYMENT = /* GraphQL */ `
    query ($reps: [_Any!]!) {
      _entities(representations: $reps) {
        ... on Order {
          id
          payment {
            id
            status
            failureReason
          }
        }
      }
    }
  `;
  const PAYMENT = /* GraphQL */ `
    query ($reps: [_Any!]!) {
      _entities(representations: $reps) {
        ... on Payment {
          id
          status
          order {
            id
          }
        }
      }
    }
  `;
  type Entities = {
    _entities: ({
      id: string;
      payment?: { id: string; status: string; failureReason: string | null } | null;
      status?: string;
    } | null)[];
  };

  it('shows the success over earlier failures, the latest failure otherwise, null without payments, to the owner and admins only', async () => {
    const owner = h.customer();
    const paid = h.newOrder(owner.id);
    const failed = h.newOrder(owner.id);
    const none = h.newOrder(owner.id);
    await payWith(owner, paid, card(TEST_CARDS.DECLINED), 'k-e1');
    const success = await payWith(owner, paid, card(TEST_CARDS.SUCCESS), 'k-e2');
    await payWith(owner, failed, card(TEST_CARDS.DECLINED), 'k-e3');
    const latest = await payWith(owner, failed, card(TEST_CARDS.INSUFFICIENT_FUNDS), 'k-e4');
    const reps = [paid, failed, none].map((id) => ({ __typename: 'Order', id }));

    const mine = await h.query<Entities>(owner, ORDER_PAYMENT, { reps });
    expect(mine.errors).toBeUndefined();
    expect(mine.data!._entities.map((e) => e?.payment?.id ?? null)).toEqual([
      success.payment!.id,
      latest.payment!.id,
      null,
    ]);
    expect(mine.data!._entities[1]?.payment?.failureReason).toBe('INSUFFICIENT_FUNDS');

    const admin = await h.query<Entities>(h.admin(), ORDER_PAYMENT, { reps });
    expect(admin.data!._entities.map((e) => e?.payment?.id ?? null)).toEqual([
      success.payment!.id,
      latest.payment!.id,
      null,
    ]);

    const stranger = await h.query<Entities>(h.customer(), ORDER_PAYMENT, { reps });
    expect(stranger.data!._entities.map((e) => e?.payment ?? null)).toEqual([null, null, null]);
    const anonymous = await h.query<Entities>(null, ORDER_PAYMENT, { reps });
    expect(anonymous.data!._entities.map((e) => e?.payment ?? null)).toEqual([null, null, null]);

    const payment = await h.query<Entities>(owner, PAYMENT, {
      reps: [{ __typename: 'Payment', id: success.payment!.id }],
    });
    expect(payment.data!._entities[0]).toMatchObject({ id: success.payment!.id, status: 'SUCCEEDED' });
    const hidden = await h.query<Entities>(h.customer(), PAYMENT, {
      reps: [{ __typename: 'Payment', id: success.payment!.id }],
    });
    expect(hidden.data!._entities).toEqual([null]);
  });

  it('answers null for Payment and Order representations whose id is not a string, keeping the rest', async () => {
    const owner = h.customer();
    const orderId = h.newOrder(owner.id);
    const paid = await payWith(owner, orderId, card(TEST_CARDS.SUCCESS), 'k-entities');
    const bad: unknown[] = [{ $gt: '' }, 42, null, '', ['x']];
    const payments = await h.query<Entities>(owner, PAYMENT, {
      reps: [paid.payment!.id, ...bad].map((id) => ({ __typename: 'Payment', id })),
    });
    expect(payments.errors).toBeUndefined();
    expect(payments.data!._entities.map((e) => e?.id ?? null)).toEqual([
      paid.payment!.id,
      ...bad.map(() => null),
    ]);
    const orders = await h.query<Entities>(owner, ORDER_PAYMENT, {
      reps: [orderId, ...bad].map((id) => ({ __typename: 'Order', id })),
    });
    expect(orders.errors).toBeUndefined();
    expect(orders.data!._entities.map((e) => e?.payment?.id ?? null)).toEqual([
      paid.payment!.id,
      ...bad.map(() => null),
    ]);
    expect(orders.data!._entities.slice(1)).toEqual(bad.map(() => null));
  });

  it('refuses requests without the router secret', async () => {
    const res = await fetch(h.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ _service { sdl } }' }),
    });
    expect(res.status).toBe(403);
  });
});

describe('after the run', () => {
  it('every recorded payment was published once, and no Redis key or log line holds a card number or CVC', async () => {
    await expectEachEventOnce();
    await expectNoSecrets();
  });
});
