import { Redis } from 'ioredis';
import {
  countingProxy,
  diff,
  dumpRedis,
  endpoints,
  requests,
  waitFor,
  type CountingProxy,
} from '@shop/testing';
import { bootPayments, card, quietKeys, TEST_CARDS, TestPsp, type Harness } from './helpers';
import { paymentsRun } from './run-checks';

/**
 * Finding 1 of issue 16 on the payments side: payments keyed its charge lock, its "already paid"
 * guard and its payment index on the order id as sent, while orders found the row whatever the
 * letter case, so case variants of one id charged one order up to three times. The stub orders of
 * bootPayments finds orders case-insensitively, as MariaDB did, so only payments' own check of the
 * id's form can make these tests pass. Charges are counted twice: in the test PSP's ledger and in
 * Redis itself.
 */
const provider = new TestPsp({ LATENCY_MS: '30' });
// orders.payable gets 3 s (not the harness's 400 ms): 20 concurrent calls on a loaded machine must
// not turn into OrderServiceUnavailableError.
const run = paymentsRun('ids', {}, { psp: provider, env: { ORDERS_TIMEOUT_MS: '3000' } });
const { payWith, expectEachEventOnce, expectNoSecrets } = run;
let h: Harness;
beforeAll(() => {
  h = run.harness();
});

/** Other spellings of an issued id that a case-insensitive or lenient lookup would take for it. */
function caseVariants(id: string): string[] {
  const upper = id.toUpperCase();
  const alternate = [...id].map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c)).join('');
  const firstLetter = id.replace(/[a-f]/, (c) => c.toUpperCase());
  return [...new Set([upper, alternate, firstLetter])].filter((v) => v !== id);
}

/** Forms besides letter case: what a lenient UUID parser, a trimming store or the old check took. */
function otherForms(id: string): string[] {
  return [
    `{${id}}`,
    ` ${id}`,
    `${id}\n`,
    `urn:uuid:${id}`,
    id.replaceAll('-', ''),
    id.replace('-', '\u2010'), // a Unicode hyphen
    `${id}0`,
    'o-7f3a', // accepted by the old /^[A-Za-z0-9_-]{1,64}$/ check
    'x'.repeat(64),
  ];
}

/** SUCCEEDED payments per order id (lower-cased, so a variant's payment counts for its order), from Redis. */
async function succeededInRedis(prefix: string): Promise<Map<string, number>> {
  const redis = new Redis(endpoints.redis);
  const counts = new Map<string, number>();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}payment:*`, 'COUNT', 500);
      cursor = next;
      for (const key of keys) {
        const p = await redis.hgetall(key);
        if (p.status !== 'SUCCEEDED' || !p.orderId) continue;
        const order = p.orderId.toLowerCase();
        counts.set(order, (counts.get(order) ?? 0) + 1);
      }
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
  return counts;
}

/** The processor's ledger per order id, lower-cased the same way. */
function chargedByProvider(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const [order, n] of provider.chargesByOrder())
    counts.set(order.toLowerCase(), (counts.get(order.toLowerCase()) ?? 0) + n);
  return counts;
}

describe('finding 1: an order id in another letter case charges the card again', () => {
  it('finding 1: concurrent payOrders with case variants of 5 order ids, each with its own key, charge every order exactly once', async () => {
    const user = h.customer();
    const orders = Array.from({ length: 5 }, () => h.newOrder(user.id, 1_000));
    const calls = orders.flatMap((orderId) =>
      [orderId, ...caseVariants(orderId)].map((sent, i) => ({
        orderId,
        sent,
        key: `k-case-${orderId}-${i}`,
      })),
    );
    expect(calls.length).toBe(20);
    const results = await Promise.all(
      calls.map(async (c) => ({
        ...c,
        result: await payWith(user, c.sent, card(TEST_CARDS.SUCCESS), c.key),
      })),
    );
    expect(results.map((r) => [r.sent, r.result.__typename])).toEqual(
      calls.map((c) => [c.sent, c.sent === c.orderId ? 'PaymentSucceeded' : 'PaymentOrderNotFoundError']),
    );

    const inRedis = await succeededInRedis(h.redisPrefix);
    const ledger = chargedByProvider();
    for (const orderId of orders) {
      expect(ledger.get(orderId)).toBe(1);
      expect(inRedis.get(orderId)).toBe(1);
    }
    // Only the issued ids reached orders.payable and a Redis key.
    const variants = new Set(calls.filter((c) => c.sent !== c.orderId).map((c) => c.sent));
    expect(h.payableAsked.filter((id) => variants.has(id))).toEqual([]);
    const dump = await dumpRedis(h.redisPrefix);
    expect(dump.filter((line) => [...variants].some((v) => line.includes(v)))).toEqual([]);
  });

  it('finding 1: case variants alone, concurrently, charge nothing; the issued id then pays once', async () => {
    const user = h.customer();
    const orders = Array.from({ length: 5 }, () => h.newOrder(user.id, 1_500));
    const results = await Promise.all(
      orders.flatMap((orderId) =>
        caseVariants(orderId).map((sent, i) =>
          payWith(user, sent, card(TEST_CARDS.SUCCESS), `k-variants-${orderId}-${i}`),
        ),
      ),
    );
    expect(new Set(results.map((r) => r.__typename))).toEqual(new Set(['PaymentOrderNotFoundError']));
    const ledger = chargedByProvider();
    const before = await succeededInRedis(h.redisPrefix);
    for (const orderId of orders) {
      expect(ledger.get(orderId)).toBeUndefined();
      expect(before.get(orderId)).toBeUndefined();
    }
    for (const orderId of orders)
      expect((await payWith(user, orderId, card(TEST_CARDS.SUCCESS), `k-issued-${orderId}`)).__typename).toBe(
        'PaymentSucceeded',
      );
    // And a variant after the success is still "not found", not a second charge or "already paid".
    for (const orderId of orders)
      expect(
        (await payWith(user, orderId.toUpperCase(), card(TEST_CARDS.SUCCESS), `k-after-${orderId}`))
          .__typename,
      ).toBe('PaymentOrderNotFoundError');
    const after = await succeededInRedis(h.redisPrefix);
    for (const orderId of orders) {
      expect(chargedByProvider().get(orderId)).toBe(1);
      expect(after.get(orderId)).toBe(1);
    }
  });

  it('finding 1: a single payOrder with the upper-case id (or any other form) is not found: no charge, no orders.payable, no Redis key written', async () => {
    const user = h.customer();
    const orderId = h.newOrder(user.id, 2_000);
    const forms = [...caseVariants(orderId), ...otherForms(orderId)];
    await waitFor(async () => (await h.app.repository.outboxLength()) === 0);
    const keysBefore = await quietKeys(h, provider);
    const charges = provider.charges;
    const asked = h.payableAsked.length;
    for (const [i, sent] of forms.entries()) {
      const res = await h.pay(user, {
        orderId: sent,
        paymentMethodToken: await h.token(),
        idempotencyKey: `k-form-${i}`,
      });
      expect(res.errors).toBeUndefined();
      expect(res.data?.payOrder).toMatchObject({ __typename: 'PaymentOrderNotFoundError' });
    }
    expect(provider.charges).toBe(charges);
    expect(h.payableAsked.length).toBe(asked);
    expect(await quietKeys(h, provider)).toEqual(keysBefore);
    // The order itself is untouched and still payable with its issued id.
    expect(await h.app.repository.paymentsByOrders([orderId])).toEqual([[]]);
    expect((await payWith(user, orderId, card(TEST_CARDS.SUCCESS), 'k-form-issued')).__typename).toBe(
      'PaymentSucceeded',
    );
  });
});

describe('finding 1: Payment and Order references in another form', () => {
  const ENTITIES = /* GraphQL */ `
    query ($reps: [_Any!]!) {
      _entities(representations: $reps) {
        ... on Payment {
          id
          status
        }
        ... on Order {
          id
          payment {
            id
          }
        }
      }
    }
  `;
  type Entity = { id: string; status?: string; payment?: { id: string } | null } | null;
  let proxy: CountingProxy;
  let p: Harness;
  beforeAll(async () => {
    // Its own app behind a counting proxy, without the relay, so every Redis command is a request's.
    proxy = await countingProxy('redis', endpoints.redis);
    p = await bootPayments('ids-proxy', { relay: false }, { redisUrl: proxy.url });
  });
  afterAll(async () => {
    await p?.close();
    await proxy?.close();
  });

  /** The entities answered and the Redis commands it took. */
  async function entities(viewer: ReturnType<Harness['customer']>, reps: unknown[]) {
    const before = proxy.snapshot();
    const res = await p.query<{ _entities: Entity[] }>(viewer, ENTITIES, { reps });
    expect(res.errors).toBeUndefined();
    const delta = diff(proxy.snapshot(), before);
    return { entities: res.data!._entities, commands: requests('redis', delta), delta };
  }

  it('finding 1: a Payment or Order representation whose id is not the issued form is null, and only issued ids reach Redis', async () => {
    const owner = p.customer();
    const orderId = p.newOrder(owner.id);
    const paid = await p.pay(owner, {
      orderId,
      paymentMethodToken: await p.token(),
      idempotencyKey: 'k-refs',
    });
    const paymentId = paid.data!.payOrder.payment!.id;
    // its charge.succeeded webhook (which changes nothing) must not land among the counted commands
    await p.psp.webhooksIdle();

    const paymentForms = [...caseVariants(paymentId), ...otherForms(paymentId)];
    const orderForms = [...caseVariants(orderId), ...otherForms(orderId)];
    const onlyVariants = await entities(owner, [
      ...paymentForms.map((id) => ({ __typename: 'Payment', id })),
      ...orderForms.map((id) => ({ __typename: 'Order', id })),
    ]);
    expect(onlyVariants.entities).toEqual([...paymentForms, ...orderForms].map(() => null));
    expect(onlyVariants.commands).toBe(0);

    const mixed = await entities(owner, [
      { __typename: 'Payment', id: paymentId },
      { __typename: 'Payment', id: paymentId.toUpperCase() },
      { __typename: 'Order', id: orderId },
      { __typename: 'Order', id: orderId.toUpperCase() },
    ]);
    expect(mixed.entities).toEqual([
      { id: paymentId, status: 'SUCCEEDED' },
      null,
      { id: orderId, payment: { id: paymentId } },
      null,
    ]);
    // One HGETALL for the payment, one ZRANGE + one HGETALL for the order's payments.
    const { '#writes': _writes, ...commands } = mixed.delta;
    expect(commands).toEqual({ HGETALL: 2, ZRANGE: 1 });
  });
});

describe('after the run', () => {
  it('every recorded payment was published once, and no Redis key or log line holds a card number or CVC', async () => {
    await expectEachEventOnce();
    await expectNoSecrets();
  });
});
