/**
 * Finding 4 of issue 16, products' share: stock and prices have configured maxima (MAX_STOCK,
 * MAX_PRICE_AMOUNT), checked before anything is written, refused with typed errors. Every refusal is
 * followed by reading the product from the store (the test's own connection): nothing changed.
 */
import { randomUUID } from 'node:crypto';
import { request, ReleaseReply, ReserveReply } from '@shop/messaging';
import mongoose from 'mongoose';
import type { Booted } from './helpers';

const { admin, bootProducts } = await import('./helpers');
const { addProduct, sizes } = await import('./variants.helpers');

const MAX_STOCK = 1_000;
const MAX_PRICE = 50_000;
const INT_MAX = 2 ** 31 - 1;

let t: Booted;
beforeAll(async () => {
  t = await bootProducts('prodlim', { MAX_STOCK: String(MAX_STOCK), MAX_PRICE_AMOUNT: String(MAX_PRICE) });
});
afterAll(async () => {
  await t.cleanup();
});

type Result = Record<string, unknown> & { __typename: string };
const CREATE = `mutation($input: CreateProductInput!) {
  createProduct(input: $input) {
    __typename
    ... on Product { id stock price { amount } }
    ... on StockLimitError { message max }
    ... on PriceLimitError { message max }
    ... on InvalidInputError { field }
  }
}`;
const UPDATE = `mutation($id: ID!, $input: UpdateProductInput!) {
  updateProduct(id: $id, input: $input) {
    __typename
    ... on Product { id price { amount } }
    ... on PriceLimitError { message max }
    ... on InvalidInputError { field }
  }
}`;
const ADJUST = `mutation($id: ID!, $delta: Int!) {
  adjustStock(id: $id, delta: $delta) {
    __typename
    ... on Product { id stock }
    ... on StockLimitError { message max }
    ... on StockBelowZeroError { refusedAt: stock delta }
  }
}`;

const input = (sku: string, over: { stock?: number; amount?: number } = {}) => ({
  sku,
  name: 'Bounded thing',
  price: { amount: over.amount ?? 100, currency: 'EUR' },
  stock: over.stock ?? 1,
  category: 'limits',
});

/** The stored document, straight from the store. */
const stored = (id: string) =>
  t.store.collection('products').findOne({ _id: new mongoose.Types.ObjectId(id) } as never);
const countAll = () => t.store.collection('products').countDocuments({});
const sku = () => `LIM-${randomUUID().slice(0, 8)}`;

describe('finding 4 (products): stock and prices within configured bounds, checked before writing', () => {
  it('the config refuses a MAX_STOCK above 2³¹−1 and a MAX_PRICE_AMOUNT whose 100-unit line would not fit', async () => {
    const { loadConfig, ConfigError } = await import('@shop/config');
    const { configSchema } = await import('../src/config');
    expect(loadConfig(configSchema, {})).toMatchObject({ MAX_STOCK: 1_000_000, MAX_PRICE_AMOUNT: 1_000_000 });
    expect(loadConfig(configSchema, { MAX_STOCK: String(INT_MAX) }).MAX_STOCK).toBe(INT_MAX);
    expect(() => loadConfig(configSchema, { MAX_STOCK: String(INT_MAX + 1) })).toThrow(ConfigError);
    expect(loadConfig(configSchema, { MAX_PRICE_AMOUNT: '10000000' }).MAX_PRICE_AMOUNT).toBe(10_000_000);
    expect(() => loadConfig(configSchema, { MAX_PRICE_AMOUNT: '10000001' })).toThrow(/MAX_PRICE_AMOUNT/);
    expect(() => loadConfig(configSchema, { MAX_STOCK: '0' })).toThrow(/MAX_STOCK/);
  });

  it.each([
    ['stock at the maximum', { stock: MAX_STOCK }, 'Product'],
    ['stock one above', { stock: MAX_STOCK + 1 }, 'StockLimitError'],
    ['stock 2³¹−1', { stock: INT_MAX }, 'StockLimitError'],
    ['price at the maximum', { amount: MAX_PRICE }, 'Product'],
    ['price one above', { amount: MAX_PRICE + 1 }, 'PriceLimitError'],
    ['price 2³¹−1', { amount: INT_MAX }, 'PriceLimitError'],
  ])('createProduct with %s: %s', async (_label, over, typename) => {
    const before = await countAll();
    const res = await t.query<{ createProduct: Result }>(CREATE, { input: input(sku(), over) }, admin);
    expect(res.errors).toBeUndefined();
    expect(res.data!.createProduct.__typename).toBe(typename);
    if (typename === 'Product') {
      expect(await countAll()).toBe(before + 1);
      return;
    }
    expect(res.data!.createProduct).toMatchObject({
      max: typename === 'StockLimitError' ? MAX_STOCK : MAX_PRICE,
      message: expect.stringContaining(String(typename === 'StockLimitError' ? MAX_STOCK : MAX_PRICE)),
    });
    expect(await countAll()).toBe(before);
  });

  it.each([
    ['stock 2³¹', { stock: 2 ** 31 }],
    ['price 2³¹', { amount: 2 ** 31 }],
    ['stock 2⁵³', { stock: 2 ** 53 }],
  ])(
    'createProduct with %s is refused by the GraphQL Int itself (BAD_USER_INPUT), nothing written',
    async (_l, over) => {
      const before = await countAll();
      const res = await t.query(CREATE, { input: input(sku(), over) }, admin);
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(await countAll()).toBe(before);
    },
  );

  it('updateProduct refuses a price above the maximum and leaves the product as it was', async () => {
    const p = await addProduct(t, { stock: 3, amount: 999 });
    const before = await stored(p.id);
    for (const amount of [MAX_PRICE + 1, INT_MAX]) {
      const res = await t.query<{ updateProduct: Result }>(
        UPDATE,
        { id: p.id, input: { name: 'Renamed', price: { amount, currency: 'EUR' } } },
        admin,
      );
      expect(res.data!.updateProduct).toMatchObject({ __typename: 'PriceLimitError', max: MAX_PRICE });
    }
    const huge = await t.query(
      UPDATE,
      { id: p.id, input: { price: { amount: 2 ** 31, currency: 'EUR' } } },
      admin,
    );
    expect(huge.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await stored(p.id)).toEqual(before);
    const ok = await t.query<{ updateProduct: Result }>(
      UPDATE,
      { id: p.id, input: { price: { amount: MAX_PRICE, currency: 'EUR' } } },
      admin,
    );
    expect(ok.data!.updateProduct).toMatchObject({ __typename: 'Product', price: { amount: MAX_PRICE } });
  });

  it('adjustStock at and beyond the bound: max is written, max+1, 2³¹−1 and negative results are refused', async () => {
    const p = await addProduct(t, { stock: 10 });
    const adjust = async (delta: number) =>
      (await t.query<{ adjustStock: Result }>(ADJUST, { id: p.id, delta }, admin)).data!.adjustStock;
    const refusedWithNothingChanged = async (delta: number, typename: string) => {
      const before = await stored(p.id);
      expect(await adjust(delta)).toMatchObject({ __typename: typename });
      expect(await stored(p.id)).toEqual(before);
    };

    expect(await adjust(MAX_STOCK - 10)).toEqual({ __typename: 'Product', id: p.id, stock: MAX_STOCK });
    await refusedWithNothingChanged(1, 'StockLimitError');
    await refusedWithNothingChanged(INT_MAX, 'StockLimitError');
    await refusedWithNothingChanged(MAX_STOCK + 1, 'StockLimitError');
    await refusedWithNothingChanged(-(MAX_STOCK + 1), 'StockLimitError');
    await refusedWithNothingChanged(-INT_MAX, 'StockLimitError');
    await refusedWithNothingChanged(-2_147_483_648, 'StockLimitError');
    expect(await adjust(-MAX_STOCK)).toEqual({ __typename: 'Product', id: p.id, stock: 0 });
    await refusedWithNothingChanged(-1, 'StockBelowZeroError');
    // Beyond the 32-bit Int, GraphQL refuses the variable before the service runs.
    const before = await stored(p.id);
    for (const delta of [2 ** 31, -(2 ** 31) - 1, 2 ** 53]) {
      const res = await t.query(ADJUST, { id: p.id, delta }, admin);
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
    expect(await stored(p.id)).toEqual(before);
    expect((await stored(p.id))?.stock).toBe(0);
  });

  it('concurrent adjustStock calls never carry the stock past the maximum', async () => {
    const p = await addProduct(t, { stock: 0 });
    const replies = await Promise.all(
      Array.from({ length: 30 }, () =>
        t.query<{ adjustStock: Result }>(ADJUST, { id: p.id, delta: 100 }, admin),
      ),
    );
    const ok = replies.filter((r) => r.data?.adjustStock.__typename === 'Product');
    expect(ok).toHaveLength(MAX_STOCK / 100);
    expect(replies.every((r) => r.errors === undefined)).toBe(true);
    expect((await stored(p.id))?.stock).toBe(MAX_STOCK);
  });

  it('units held by orders count towards the maximum, so a release can never push stock past it', async () => {
    const p = await addProduct(t, { stock: MAX_STOCK });
    const orderId = randomUUID();
    const reserved = await request(
      t.nc,
      t.names.commands.productsReserve,
      { orderId, items: [{ productId: p.id, quantity: 300 }] },
      ReserveReply,
    );
    expect(reserved).toMatchObject({ ok: true });
    expect((await stored(p.id))?.stock).toBe(MAX_STOCK - 300);
    // 300 are held: adding any unit would put MAX_STOCK + 1 on hand once they come back.
    const before = await stored(p.id);
    const refused = await t.query<{ adjustStock: Result }>(ADJUST, { id: p.id, delta: 1 }, admin);
    expect(refused.data!.adjustStock).toMatchObject({
      __typename: 'StockLimitError',
      max: MAX_STOCK,
      message: expect.stringContaining('300 held by orders'),
    });
    expect(await stored(p.id)).toEqual(before);
    expect(await request(t.nc, t.names.commands.productsRelease, { orderId }, ReleaseReply)).toEqual({
      ok: true,
      released: true,
    });
    expect(await stored(p.id)).toMatchObject({ stock: MAX_STOCK, holds: [] });
  });

  it('a give-back above a lowered MAX_STOCK keeps the units and is logged, never silent', async () => {
    const { ReservationsService } = await import('../src/reservations.service');
    const { Locks } = await import('../src/locks');
    const { createLogger } = await import('@shop/server');
    const { memoryLog } = await import('@shop/testing');
    const logs = memoryLog();
    const p = await addProduct(t, { stock: 50 });
    const orderId = randomUUID();
    expect(
      await t.app.reservations.reserve({ orderId, items: [{ productId: p.id, quantity: 20 }] }),
    ).toMatchObject({
      ok: true,
    });
    // The same store, with the limit lowered to 40 below what is on hand (50).
    const lowered = new ReservationsService({
      repository: t.app.reservationsRepository,
      products: t.app.repository,
      locks: new Locks({ connection: t.store }),
      maxStock: 40,
      log: createLogger({ name: 'lowered' }, logs.stream),
    });
    expect(await lowered.release(orderId)).toEqual({ ok: true, released: true });
    expect((await stored(p.id))?.stock).toBe(50);
    expect(
      logs.lines.some((l) => l.includes('stock given back is above MAX_STOCK') && l.includes(p.id)),
    ).toBe(true);
  });
});

describe('issue 18: the bounds hold per variant', () => {
  const VARIANT = `mutation($productId: ID!, $input: VariantInput!) {
    addVariant(productId: $productId, input: $input) {
      __typename
      ... on Product { variants { id stock price { amount } } }
      ... on StockLimitError { message max }
      ... on PriceLimitError { message max }
      ... on InvalidInputError { field message }
    }
  }`;
  const UPDATE_VARIANT = `mutation($id: ID!, $input: UpdateVariantInput!) {
    updateVariant(id: $id, input: $input) {
      __typename
      ... on Product { variants { id price { amount } } }
      ... on PriceLimitError { max }
    }
  }`;
  const withThree = async () => {
    const { addVariantProduct } = await import('./variants.helpers');
    return addVariantProduct(
      t,
      [{ name: 'Size', values: ['S', 'M', 'L'] }],
      [
        { values: ['S'], stock: 5 },
        { values: ['M'], stock: 5 },
      ],
    );
  };
  const variant = (over: { stock?: number; amount?: number } = {}) => ({
    sku: sku(),
    selectedOptions: [{ name: 'Size', value: 'L' }],
    price: { amount: over.amount ?? 100, currency: 'EUR' },
    stock: over.stock ?? 1,
  });

  it.each([
    ['stock at the maximum', { stock: MAX_STOCK }, 'Product'],
    ['stock one above', { stock: MAX_STOCK + 1 }, 'StockLimitError'],
    ['price at the maximum', { amount: MAX_PRICE }, 'Product'],
    ['price one above', { amount: MAX_PRICE + 1 }, 'PriceLimitError'],
  ])('addVariant with %s: %s, nothing written when refused', async (_label, over, typename) => {
    const p = await withThree();
    const before = await stored(p.id);
    const input = variant(over);
    const res = await t.query<{ addVariant: Result }>(VARIANT, { productId: p.id, input }, admin);
    expect(res.errors).toBeUndefined();
    expect(res.data!.addVariant.__typename).toBe(typename);
    if (typename === 'Product') {
      expect((await stored(p.id))?.variants).toHaveLength(3);
      return;
    }
    expect(res.data!.addVariant).toMatchObject({
      max: typename === 'StockLimitError' ? MAX_STOCK : MAX_PRICE,
    });
    expect(await stored(p.id)).toEqual(before);
    expect(await t.app.variantsRepository.skus.owner(input.sku)).toBeNull();
  });

  it('updateVariant refuses a price above the maximum and leaves the product as it was', async () => {
    const p = await withThree();
    const before = await stored(p.id);
    const res = await t.query<{ updateVariant: Result }>(
      UPDATE_VARIANT,
      { id: `${p.id}-2`, input: { price: { amount: MAX_PRICE + 1, currency: 'EUR' } } },
      admin,
    );
    expect(res.data!.updateVariant).toMatchObject({ __typename: 'PriceLimitError', max: MAX_PRICE });
    expect(await stored(p.id)).toEqual(before);
  });

  it('adjustStock of a variant: its own stock and holds count towards the maximum, not the other variants’', async () => {
    const p = await sizes(t, [MAX_STOCK - 100, MAX_STOCK]);
    const orderId = randomUUID();
    expect(
      await request(
        t.nc,
        t.names.commands.productsReserve,
        { orderId, items: [{ productId: p.id, variantId: `${p.id}-2`, quantity: 300 }] },
        ReserveReply,
      ),
    ).toMatchObject({ ok: true });
    const adjust = async (id: string, delta: number) =>
      (await t.query<{ adjustStock: Result }>(ADJUST, { id, delta }, admin)).data!.adjustStock;
    // Variant 2: 700 in stock + 300 held = MAX_STOCK on hand; one more is refused.
    const before = await stored(p.id);
    expect(await adjust(`${p.id}-2`, 1)).toMatchObject({
      __typename: 'StockLimitError',
      max: MAX_STOCK,
      message: expect.stringContaining('300 held by orders'),
    });
    expect(await stored(p.id)).toEqual(before);
    // Variant 1 has no holds: up to the maximum, whatever the product holds in total.
    expect(await adjust(`${p.id}-1`, 100)).toMatchObject({
      __typename: 'Product',
      stock: 2 * MAX_STOCK - 300,
    });
    expect(await adjust(`${p.id}-1`, 1)).toMatchObject({ __typename: 'StockLimitError' });
    expect(await adjust(`${p.id}-2`, -701)).toMatchObject({
      __typename: 'StockBelowZeroError',
      refusedAt: 700,
    });
    // A product with several variants is not adjusted by its id.
    const byProduct = await t.query<{ adjustStock: Result }>(
      `mutation($id: ID!) { adjustStock(id: $id, delta: 1) { __typename ... on InvalidInputError { field } } }`,
      { id: p.id },
      admin,
    );
    expect(byProduct.data!.adjustStock).toEqual({ __typename: 'InvalidInputError', field: 'id' });
    const variants = ((await stored(p.id))?.variants ?? []) as { stock: number }[];
    expect(variants.map((v) => v.stock)).toEqual([MAX_STOCK, MAX_STOCK - 300]);
    expect((await stored(p.id))?.stock).toBe(2 * MAX_STOCK - 300);
  });
});
