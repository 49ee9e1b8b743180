import { createHash, randomUUID } from 'node:crypto';
import { OrderCancelledEvent, OrderPaidEvent } from '@shop/messaging';
import { waitFor } from '@shop/testing';
import { fingerprintOf } from '../src/orders.placing';
import {
  bootWithFakeProducts,
  CANCEL,
  customer,
  paymentEvent,
  pid,
  PLACE,
  variantsOf,
  type FakeHarness,
  type OrderView,
  type Placed,
} from './helpers';

/**
 * placeOrder per variant (issue 18), against MariaDB and a NATS products stand-in: an order line is
 * one variant; variant ids only in the issued form of their product; a product with several
 * variants needs one named; items snapshot the variant's SKU, price and title; the events name the
 * variants; idempotency compares variants.
 */
describe('placeOrder with variants', () => {
  let h: FakeHarness;
  const SHIRT = pid('variant-shirt');
  const MUG = pid('variant-mug');
  const M = `${SHIRT}-1`;
  const L = `${SHIRT}-2`;
  const XL = `${SHIRT}-4`; // number 3 was removed: its id is never reused

  beforeAll(async () => {
    h = await bootWithFakeProducts(
      {
        [SHIRT]: {
          sku: 'SH-M',
          name: 'Shirt',
          price: { amount: 2000, currency: 'EUR' },
          stock: 0,
          variants: [
            { n: 1, sku: 'SH-M', title: 'M / Blue', price: { amount: 2000, currency: 'EUR' }, stock: 10 },
            { n: 2, sku: 'SH-L', title: 'L / Blue', price: { amount: 2200, currency: 'EUR' }, stock: 10 },
            { n: 4, sku: 'SH-XL', title: 'XL / Blue', price: { amount: 2400, currency: 'EUR' }, stock: 1 },
          ],
        },
        [MUG]: { sku: 'MUG-1', name: 'Mug', price: { amount: 800, currency: 'EUR' }, stock: 10 },
      },
      { runExpiry: false, runRelay: false },
    );
  });
  afterAll(async () => {
    await h.stop();
  });

  const stockOf = (variantId: string) => {
    const [productId, n] = [variantId.slice(0, 24), Number(variantId.slice(25))];
    return variantsOf(h.products.catalogue.get(productId)!).find((v) => v.n === n)!.stock;
  };
  const place = async (
    items: { productId: string; variantId?: string | null; quantity: number }[],
    user = customer(),
    key: string = randomUUID(),
  ) => {
    const res = await (await h.as(user))<Placed>(PLACE, { input: { idempotencyKey: key, items } });
    expect(res.errors).toBeUndefined();
    return res.data!.placeOrder;
  };
  const countOrders = async () =>
    Number((await h.app.db.rows<{ n: number }>('SELECT COUNT(*) AS n FROM orders'))[0]?.n);
  const outboxOf = async <T>(orderId: string, kind: string) =>
    (
      await h.app.db.rows<{ payload: string | T }>(
        `SELECT payload FROM outbox WHERE kind = ? AND JSON_VALUE(payload, '$.orderId') = ? ORDER BY seq`,
        [kind, orderId],
      )
    ).map((r) => (typeof r.payload === 'string' ? (JSON.parse(r.payload) as T) : r.payload));

  it('orders two variants of one product as two items (two holds) with their SKU, price and title; the events name them', async () => {
    const [m, l] = [stockOf(M), stockOf(L)];
    const user = customer();
    const order = (await place(
      [
        { productId: SHIRT, variantId: M, quantity: 2 },
        { productId: MUG, quantity: 1 },
        { productId: SHIRT, variantId: L, quantity: 1 },
        { productId: SHIRT, variantId: M, quantity: 1 },
      ],
      user,
    )) as OrderView & { __typename: string };
    expect(order.__typename).toBe('Order');
    // Lines of one variant are added up; the two variants stay two items.
    expect(
      order.items.map((i) => [i.variant.id, i.sku, i.variantTitle, i.quantity, i.unitPrice.amount]),
    ).toEqual([
      [M, 'SH-M', 'M / Blue', 3, 2000],
      [`${MUG}-1`, 'MUG-1', '', 1, 800],
      [L, 'SH-L', 'L / Blue', 1, 2200],
    ]);
    expect(order.items.map((i) => i.product.id)).toEqual([SHIRT, MUG, SHIRT]);
    expect(order.items.map((i) => i.productName)).toEqual(['Shirt', 'Mug', 'Shirt']);
    expect(order.total).toEqual({ amount: 3 * 2000 + 800 + 2200, currency: 'EUR' });
    expect([stockOf(M), stockOf(L)]).toEqual([m - 3, l - 1]);
    const rows = await h.app.db.rows<{ variant_id: string; sku: string; variant_title: string }>(
      'SELECT variant_id, sku, variant_title FROM order_items WHERE order_id = ? ORDER BY position',
      [order.id],
    );
    expect(rows.map((r) => [r.variant_id, r.sku, r.variant_title])).toEqual([
      [M, 'SH-M', 'M / Blue'],
      [`${MUG}-1`, 'MUG-1', ''],
      [L, 'SH-L', 'L / Blue'],
    ]);

    // orders.paid lists the variants with their titles.
    expect(await h.app.service.applyPaymentEvent(paymentEvent(order, user.id))).toBe('PAID');
    const [paid] = await outboxOf<OrderPaidEvent>(order.id, 'orders.paid');
    expect(
      OrderPaidEvent.parse(paid).items.map((i) => [i.productId, i.variantId, i.name, i.variantTitle]),
    ).toEqual([
      [SHIRT, M, 'Shirt', 'M / Blue'],
      [MUG, `${MUG}-1`, 'Mug', ''],
      [SHIRT, L, 'Shirt', 'L / Blue'],
    ]);
  });

  it('gives both variants back on cancel: orders.cancelled lists each variant', async () => {
    const [m, l] = [stockOf(M), stockOf(L)];
    const order = (await place([
      { productId: SHIRT, variantId: M, quantity: 1 },
      { productId: SHIRT, variantId: L, quantity: 2 },
    ])) as OrderView;
    const user = (await h.app.repository.findById(order.id))!.userId;
    const res = await (
      await h.as({ id: user, role: 'CUSTOMER', email: 'x@example.test' })
    )<{ cancelOrder: { __typename: string } }>(CANCEL, { id: order.id });
    expect(res.data?.cancelOrder.__typename).toBe('Order');
    const [cancelled] = await outboxOf<OrderCancelledEvent>(order.id, 'orders.cancelled');
    expect(OrderCancelledEvent.parse(cancelled).items).toEqual([
      { productId: SHIRT, variantId: M, quantity: 1 },
      { productId: SHIRT, variantId: L, quantity: 2 },
    ]);
    expect([stockOf(M), stockOf(L)]).toEqual([m - 1, l - 2]);
    await h.app.relay.relayOnce();
    await waitFor(() => stockOf(M) === m && stockOf(L) === l);
  });

  it('refuses a product with several variants named without one (VARIANT_REQUIRED): nothing stored', async () => {
    const before = await countOrders();
    const result = await place([
      { productId: MUG, quantity: 1 },
      { productId: SHIRT, quantity: 1 },
    ]);
    expect(result).toMatchObject({ __typename: 'InvalidInputError', field: 'items.1.variantId' });
    expect(result.message).toMatch(/Choose a variant/);
    expect(await countOrders()).toBe(before);
    // A product without options needs no variant id: its only one is taken.
    const mug = (await place([{ productId: MUG, variantId: null, quantity: 1 }])) as OrderView;
    expect(mug.items[0]!.variant.id).toBe(`${MUG}-1`);
  });

  it('takes variant ids only in the issued form of their product, without asking products', async () => {
    const forms = [
      M.toUpperCase(),
      `${SHIRT.toUpperCase()}-1`,
      `${MUG}-1`, // another product's variant
      `${SHIRT}-0`,
      `${SHIRT}-01`,
      `${SHIRT}-+1`,
      ` ${M}`,
      `${M} `,
      `${SHIRT}-`,
      `${SHIRT}1`,
      SHIRT,
      `${SHIRT}-10000`,
      '',
    ];
    const reserves = h.products.calls.reserve;
    const before = await countOrders();
    for (const variantId of forms) {
      const result = await place([{ productId: SHIRT, variantId, quantity: 1 }]);
      expect(result).toMatchObject({ __typename: 'UnknownProductError', productId: SHIRT, variantId });
    }
    expect(h.products.calls.reserve).toBe(reserves);
    expect(await countOrders()).toBe(before);
  });

  it('answers a variant in the issued form that products does not have (removed) as UnknownProductError with it', async () => {
    const removed = `${SHIRT}-3`;
    const result = await place([{ productId: SHIRT, variantId: removed, quantity: 1 }]);
    expect(result).toMatchObject({ __typename: 'UnknownProductError', productId: SHIRT, variantId: removed });
  });

  it('refuses a product named with and without a variant in one order', async () => {
    const result = await place([
      { productId: SHIRT, variantId: M, quantity: 1 },
      { productId: SHIRT, quantity: 1 },
    ]);
    expect(result).toMatchObject({ __typename: 'InvalidInputError', field: 'items.1.variantId' });
  });

  it('says which variant is short, and counts MAX_LINE_QUANTITY per variant', async () => {
    const short = await place([
      { productId: SHIRT, variantId: M, quantity: 1 },
      { productId: SHIRT, variantId: XL, quantity: 2 },
    ]);
    expect(short).toMatchObject({
      __typename: 'InsufficientStockError',
      productId: SHIRT,
      variantId: XL,
      requested: 2,
      available: 1,
    });
    // 100 of one variant and 1 of another is within the limit; 101 of one is not.
    const many = await place([
      { productId: SHIRT, variantId: M, quantity: 60 },
      { productId: SHIRT, variantId: M, quantity: 41 },
    ]);
    expect(many).toMatchObject({ __typename: 'InvalidInputError', field: 'items.0.quantity' });
  });

  it('replays a key only for the same variants: another variant of the product is other items', async () => {
    const user = customer();
    const key = randomUUID();
    const first = (await place(
      [
        { productId: SHIRT, variantId: M, quantity: 1 },
        { productId: MUG, quantity: 1 },
      ],
      user,
      key,
    )) as OrderView;
    const same = (await place(
      [
        { productId: MUG, quantity: 1 },
        { productId: SHIRT, variantId: M, quantity: 1 },
      ],
      user,
      key,
    )) as OrderView;
    expect(same.id).toBe(first.id);
    const other = await place(
      [
        { productId: SHIRT, variantId: L, quantity: 1 },
        { productId: MUG, quantity: 1 },
      ],
      user,
      key,
    );
    expect(other).toMatchObject({ __typename: 'IdempotencyKeyReusedError', orderId: first.id });
  });

  it('hashes lines without a variant as before variants existed (orders placed then replay)', () => {
    const lines = [
      { productId: MUG, quantity: 2 },
      { productId: SHIRT, quantity: 1 },
    ];
    const before = createHash('sha256')
      .update(
        JSON.stringify(
          [...lines]
            .sort((a, b) => (a.productId < b.productId ? -1 : 1))
            .map((l) => [l.productId, l.quantity]),
        ),
      )
      .digest('hex');
    expect(fingerprintOf(lines)).toBe(before);
    expect(fingerprintOf([...lines].reverse())).toBe(before);
    expect(fingerprintOf([{ productId: MUG, variantId: `${MUG}-1`, quantity: 2 }, lines[1]!])).not.toBe(
      before,
    );
    expect(fingerprintOf([{ productId: SHIRT, variantId: M, quantity: 1 }])).not.toBe(
      fingerprintOf([{ productId: SHIRT, variantId: L, quantity: 1 }]),
    );
  });

  it('gives the stock of a refused order back per variant (a NOT_PLACED release names the variants)', async () => {
    const [m, l] = [stockOf(M), stockOf(L)];
    // Mixed currencies are refused after the reserve: the release must give both variants back.
    const EUR_ONLY = pid('variant-usd');
    h.products.catalogue.set(EUR_ONLY, {
      sku: 'USD-1',
      name: 'Dollar',
      price: { amount: 100, currency: 'USD' },
      stock: 5,
    });
    const result = await place([
      { productId: SHIRT, variantId: M, quantity: 1 },
      { productId: SHIRT, variantId: L, quantity: 1 },
      { productId: EUR_ONLY, quantity: 1 },
    ]);
    expect(result).toMatchObject({ __typename: 'InvalidInputError', field: 'items' });
    const rows = await h.app.db.rows<{ payload: string | OrderCancelledEvent }>(
      "SELECT payload FROM outbox WHERE kind = 'orders.cancelled' ORDER BY seq DESC LIMIT 1",
    );
    const payload = rows[0]!.payload;
    const event = OrderCancelledEvent.parse(typeof payload === 'string' ? JSON.parse(payload) : payload);
    expect(event.reason).toBe('NOT_PLACED');
    expect(event.items).toEqual([
      { productId: SHIRT, variantId: M, quantity: 1 },
      { productId: SHIRT, variantId: L, quantity: 1 },
      { productId: EUR_ONLY, quantity: 1 },
    ]);
    await h.app.relay.relayOnce();
    await waitFor(() => stockOf(M) === m && stockOf(L) === l);
  });
});
