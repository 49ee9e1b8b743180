/**
 * Finding 1 of issue 16 (orders' side): orders found rows through MariaDB's case-insensitive
 * collation, so `orders.payable` said "payable" for upper- and lower-case variants of one order id.
 * Now every id column compares exactly (utf8mb4_bin) and every boundary accepts only the issued form
 * (isOrderId / isUserId / isProductId): anything else is "not found" and never reaches a query.
 */
import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager, PayableReply, publishEvent, request } from '@shop/messaging';
import { waitFor } from '@shop/testing';
import {
  bootWithFakeProducts,
  CANCEL,
  customer,
  paymentEvent,
  pid,
  PLACE,
  placeFor,
  type FakeHarness,
  type Placed,
} from './helpers';

/** Forms of an id that are not the issued one (the issued form is lower-case). */
const variants = (id: string) => {
  const letter = id.search(/[a-f]/);
  const forms = [
    id.toUpperCase(),
    // Only one letter in upper case.
    `${id.slice(0, letter)}${id.charAt(letter).toUpperCase()}${id.slice(letter + 1)}`,
    `{${id}}`,
    ` ${id}`,
    `${id} `,
    id.replaceAll('-', ''),
    `urn:uuid:${id}`,
  ];
  return forms.filter((form) => form !== id);
};

const BOOK = pid('book');
/** A product id whose hex digits include letters, so an upper-case variant differs. */
const upperable = (id: string) => {
  expect(id).toMatch(/[a-f]/);
  return id;
};

describe('finding 1: one issued form for every id (orders)', () => {
  let h: FakeHarness;

  beforeAll(async () => {
    // No background loops: every statement counted below comes from the request under test.
    h = await bootWithFakeProducts(
      { [BOOK]: { sku: 'BK-1', name: 'A Book', price: { amount: 1500, currency: 'EUR' }, stock: 1000 } },
      { runRelay: false, runExpiry: false, consumePayments: false },
    );
  });
  afterAll(async () => {
    await h.stop();
  });

  const count = async (sql: string, params: unknown[]) =>
    Number((await h.app.db.rows<{ n: number }>(sql, params))[0]?.n);

  it('finding 1: the store compares ids exactly, so SQL lookups with case variants find nothing', async () => {
    const { user, order } = await placeFor(h, [{ productId: BOOK, quantity: 1 }]);
    upperable(order.id);
    await h.app.service.applyPaymentEvent(paymentEvent(order, user.id, 'FAILED'));
    const [outbox] = await h.app.db.rows<{ event_id: string }>(
      'SELECT event_id FROM outbox ORDER BY seq DESC LIMIT 1',
    );
    const [{ idempotency_key: key }] = (await h.app.db.rows<{ idempotency_key: string }>(
      'SELECT idempotency_key FROM orders WHERE id = ?',
      [order.id],
    )) as [{ idempotency_key: string }];

    const lookups: [string, string][] = [
      ['SELECT COUNT(*) AS n FROM orders WHERE id = ?', order.id],
      ['SELECT COUNT(*) AS n FROM orders WHERE user_id = ?', user.id],
      ['SELECT COUNT(*) AS n FROM order_items WHERE order_id = ?', order.id],
      ['SELECT COUNT(*) AS n FROM order_items WHERE product_id = ?', BOOK],
      ['SELECT COUNT(*) AS n FROM applied_events WHERE order_id = ?', order.id],
      ['SELECT COUNT(*) AS n FROM orders WHERE idempotency_key = ?', key],
    ];
    if (outbox) lookups.push(['SELECT COUNT(*) AS n FROM outbox WHERE event_id = ?', outbox.event_id]);
    for (const [sql, value] of lookups) {
      expect(await count(sql, [value])).toBeGreaterThan(0);
      expect(await count(sql, [value.toUpperCase()])).toBe(0);
    }
    // The repository itself (what every read goes through) finds nothing either.
    expect(await h.app.repository.findByIds([order.id.toUpperCase()])).toEqual([]);
    expect(await h.app.repository.listForUser(user.id.toUpperCase(), 10, null)).toEqual([]);
  });

  it('finding 1: order(id:), cancelOrder and Order/User references answer not found for every variant, without a query', async () => {
    const { user, order } = await placeFor(h, [{ productId: BOOK, quantity: 1 }]);
    const run = await h.as(user);
    const before = h.app.db.stats.queries;
    for (const id of variants(order.id)) {
      const read = await run<{ order: unknown }>('query($id: ID!) { order(id: $id) { id } }', { id });
      expect(read.errors).toBeUndefined();
      expect(read.data!.order).toBeNull();
      const cancel = await run<{ cancelOrder: Record<string, unknown> }>(CANCEL, { id });
      expect(cancel.data!.cancelOrder).toEqual({
        __typename: 'OrderNotFoundError',
        message: `No order ${id}.`,
        orderId: id,
      });
    }
    const entities = await run<{ _entities: unknown[] }>(
      'query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Order { id } ... on User { id } } }',
      {
        reps: [
          ...variants(order.id).map((id) => ({ __typename: 'Order', id })),
          ...variants(user.id).map((id) => ({ __typename: 'User', id })),
        ],
      },
    );
    expect(entities.errors).toBeUndefined();
    expect(entities.data!._entities).toEqual([...variants(order.id), ...variants(user.id)].map(() => null));
    expect(h.app.db.stats.queries).toBe(before);
    const stored = await h.app.repository.findById(order.id);
    expect(stored).toMatchObject({ status: 'PENDING_PAYMENT', cancelledAt: null });
  });

  it('finding 1: orders.payable refuses every variant of the order id and of the user id with NOT_FOUND and grants no lease', async () => {
    const { user, order } = await placeFor(h, [{ productId: BOOK, quantity: 1 }]);
    const ask = (orderId: string, userId: string) =>
      request(h.nc, h.names.commands.ordersPayable, { orderId, userId }, PayableReply, 2000);
    const before = h.app.db.stats.queries;
    for (const id of variants(order.id)) {
      expect(await ask(id, user.id)).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    }
    for (const id of variants(user.id)) {
      expect(await ask(order.id, id)).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    }
    expect(h.app.db.stats.queries).toBe(before);
    const [row] = await h.app.db.rows<{ payment_lease_until: Date | null; expires_at: Date }>(
      'SELECT payment_lease_until, expires_at FROM orders WHERE id = ?',
      [order.id],
    );
    expect(row!.payment_lease_until).toBeNull();
    expect(row!.expires_at.toISOString()).toBe(order.expiresAt);
    // The issued form still works.
    expect(await ask(order.id, user.id)).toMatchObject({ ok: true, orderId: order.id });
  });

  it('finding 1: a payment event naming a variant id is ignored and never applied', async () => {
    const { user, order } = await placeFor(h, [{ productId: BOOK, quantity: 1 }]);
    const before = h.app.db.stats.queries;
    for (const orderId of variants(order.id)) {
      const event = { ...paymentEvent(order, user.id), orderId };
      expect(await h.app.service.applyPaymentEvent(event)).toBe('IGNORED');
    }
    for (const userId of variants(user.id)) {
      expect(await h.app.service.applyPaymentEvent(paymentEvent(order, userId))).toBe('IGNORED');
    }
    const upperPayment = paymentEvent(order, user.id);
    for (const paymentId of variants(upperPayment.paymentId)) {
      expect(await h.app.service.applyPaymentEvent({ ...upperPayment, paymentId, eventId: paymentId })).toBe(
        'IGNORED',
      );
    }
    expect(h.app.db.stats.queries).toBe(before);
    expect(await count('SELECT COUNT(*) AS n FROM applied_events WHERE order_id = ?', [order.id])).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM unmatched_charges', [])).toBe(0);
    expect((await h.app.repository.findById(order.id))!.status).toBe('PENDING_PAYMENT');
  });

  it('finding 1: placeOrder with a product id in another form is UnknownProductError and never reaches products', async () => {
    const user = customer();
    const run = await h.as(user);
    const reserves = h.products.calls.reserve;
    const stock = h.products.catalogue.get(BOOK)!.stock;
    for (const productId of variants(upperable(BOOK))) {
      const res = await run<Placed>(PLACE, {
        input: { idempotencyKey: randomUUID(), items: [{ productId, quantity: 1 }] },
      });
      expect(res.data!.placeOrder).toMatchObject({ __typename: 'UnknownProductError', productId });
    }
    // A mixed cart: one good line and one variant is refused as a whole.
    const mixed = await run<Placed>(PLACE, {
      input: {
        idempotencyKey: randomUUID(),
        items: [
          { productId: BOOK, quantity: 1 },
          { productId: BOOK.toUpperCase(), quantity: 1 },
        ],
      },
    });
    expect(mixed.data!.placeOrder).toMatchObject({
      __typename: 'UnknownProductError',
      productId: BOOK.toUpperCase(),
    });
    expect(h.products.calls.reserve).toBe(reserves);
    expect(h.products.catalogue.get(BOOK)!.stock).toBe(stock);
    expect(await count('SELECT COUNT(*) AS n FROM orders WHERE user_id = ?', [user.id])).toBe(0);
  });
});

describe('finding 1: a products that answers another form of a reserved id', () => {
  let h: FakeHarness;
  const LAMP = upperable(pid('lamp'));

  beforeAll(async () => {
    h = await bootWithFakeProducts(
      { [LAMP]: { sku: 'LMP-1', name: 'Lamp', price: { amount: 4999, currency: 'EUR' }, stock: 10 } },
      { runExpiry: false },
      { OUTBOX_POLL_MS: '50' },
      { answerId: (id) => id.toUpperCase() },
    );
  });
  afterAll(async () => {
    await h.stop();
  });

  it('finding 1: is a clear error (never a silent mismatch), the stock goes back and no order is stored', async () => {
    const user = customer();
    const res = await (
      await h.as(user)
    )<Placed>(PLACE, { input: { idempotencyKey: randomUUID(), items: [{ productId: LAMP, quantity: 3 }] } });
    expect(res.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(
      h.logs.lines.some((l) => l.includes('products answered the reserve of order') && l.includes(LAMP)),
    ).toBe(true);
    await waitFor(() => h.products.catalogue.get(LAMP)!.stock === 10);
    expect(h.products.reservations.size).toBe(0);
    const [row] = await h.app.db.rows<{ n: number }>('SELECT COUNT(*) AS n FROM orders WHERE user_id = ?', [
      user.id,
    ]);
    expect(Number(row!.n)).toBe(0);
  });

  it('finding 1: a payment event with a variant id published on NATS is acked and ignored', async () => {
    const user = customer();
    const order = { id: randomUUID(), total: { amount: 100, currency: 'EUR' } };
    const event = { ...paymentEvent(order, user.id), orderId: order.id.toUpperCase() };
    await publishEvent(jetstream(h.nc), h.names.events.paymentsSucceeded, event.eventId, event);
    await waitFor(() =>
      h.logs.lines.some((l) => l.includes('ids not in the issued form ignored') && l.includes(event.eventId)),
    );
    const [row] = await h.app.db.rows<{ n: number }>('SELECT COUNT(*) AS n FROM applied_events', []);
    expect(Number(row!.n)).toBe(0);
    // Acked: nothing waits for redelivery.
    const jsm = await jetstreamManager(h.nc);
    const consumer = await waitFor(async () => {
      const info = await jsm.consumers.info(h.names.streams.payments, h.names.consumers.ordersOnPayments);
      return info.num_ack_pending === 0 && info.num_pending === 0 ? info : null;
    });
    expect(consumer.num_redelivered).toBe(0);
  });
});
