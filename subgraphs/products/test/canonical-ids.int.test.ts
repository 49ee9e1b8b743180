/**
 * Finding 2 of issue 16: a product id in another letter case leaked stock. Mongo finds the product
 * whatever the case, but the lock key was the raw string, so case variants ran the unlocked
 * read-modify-write. Only the canonical id (24 lower-case hex digits) names a product now, at every
 * boundary; every invariant here is read from the store through the test's own connection.
 */
import { randomUUID } from 'node:crypto';
import { encodeCursor } from '@shop/graphql';
import { request, ReleaseReply, ReserveReply } from '@shop/messaging';
import mongoose from 'mongoose';
import type { Booted } from './helpers';

const { admin, bootProducts } = await import('./helpers');
const { addProduct, ledgerOf, sizes } = await import('./variants.helpers');

let t: Booted;
beforeAll(async () => {
  t = await bootProducts('prodids');
});
afterAll(async () => {
  await t.cleanup();
});

const reserve = (orderId: string, items: { productId: string; variantId?: string; quantity: number }[]) =>
  request(t.nc, t.names.commands.productsReserve, { orderId, items }, ReserveReply, 120_000);
const release = (orderId: string) =>
  request(t.nc, t.names.commands.productsRelease, { orderId }, ReleaseReply, 120_000);

/** Spellings of one product id that are not the canonical one. */
function variantsOf(id: string): string[] {
  const upper = id.toUpperCase();
  const mixed = [...id].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join('');
  const firstLetter = id.search(/[a-f]/);
  const oneLetter = id.slice(0, firstLetter) + id[firstLetter]!.toUpperCase() + id.slice(firstLetter + 1);
  return [...new Set([upper, mixed, oneLetter, ` ${id}`, `${id} `, `{${id}}`])].filter((v) => v !== id);
}

/** A product id made of letters only in its hex part would be useless here; make sure there are some. */
async function productWithLetters(stock: number) {
  for (;;) {
    const product = await addProduct(t, { stock });
    if (/[a-f]/.test(product.id)) return product;
  }
}

/** Straight from the store: available (stock), reserved (holds) and sold (SOLD reservation lines). */
async function ledger(productId: string) {
  const doc = await t.store
    .collection('products')
    .findOne({ _id: new mongoose.Types.ObjectId(productId) } as never);
  const holds = (doc?.holds ?? []) as { orderId: string; quantity: number }[];
  const sold = await t.store
    .collection('reservations')
    .find({ status: 'SOLD' } as never)
    .toArray();
  const soldUnits = sold
    .flatMap((r) => (r.lines ?? []) as { productId: string; quantity: number }[])
    .filter((l) => l.productId === productId)
    .reduce((sum, l) => sum + l.quantity, 0);
  return {
    available: doc?.stock as number,
    reserved: holds.reduce((sum, h) => sum + h.quantity, 0),
    sold: soldUnits,
    holds,
  };
}

describe('finding 2: only the canonical product id names a product', () => {
  it('a lock key is never made from a variant spelling of a product or order id', async () => {
    const { orderLock, productLock } = await import('../src/locks');
    const id = 'abcdef0123456789abcdef01';
    expect(productLock(id)).toBe(`product:${id}`);
    for (const variant of variantsOf(id))
      expect(() => productLock(variant)).toThrow(/not a canonical product id/);
    const orderId = randomUUID();
    expect(orderLock(orderId)).toBe(`order:${orderId}`);
    for (const variant of [orderId.toUpperCase(), `{${orderId}}`, 'order-1'])
      expect(() => orderLock(variant)).toThrow(/not a canonical order id/);
  });

  it('concurrent reserves with case variants of one product id reserve nothing; available + reserved + sold = start', async () => {
    const START = 6;
    const product = await productWithLetters(START);
    const variants = variantsOf(product.id);
    expect(variants.length).toBeGreaterThanOrEqual(4);
    // 60 concurrent reserves: a third with the canonical id, the rest with variants (as the attack).
    const requests = Array.from({ length: 60 }, (_, i) => ({
      orderId: randomUUID(),
      productId: i % 3 === 0 ? product.id : variants[i % variants.length]!,
    }));
    const replies = await Promise.all(requests.map((r) => reserve(r.orderId, [{ ...r, quantity: 1 }])));

    const byVariant = requests.map((r, i) => ({ ...r, reply: replies[i]! }));
    for (const { productId, reply } of byVariant.filter((r) => r.productId !== product.id)) {
      expect(reply).toEqual({
        ok: false,
        code: 'NOT_FOUND',
        message: `product ${productId} does not exist`,
        productId,
      });
    }
    const canonical = byVariant.filter((r) => r.productId === product.id);
    expect(canonical.filter((r) => r.reply.ok)).toHaveLength(START);

    const { available, reserved, sold, holds } = await ledger(product.id);
    expect(available + reserved + sold).toBe(START);
    expect(available).toBe(0);
    // Every hold belongs to an order that reserved with the canonical id.
    const okOrders = new Set<string>(canonical.filter((r) => r.reply.ok).map((r) => r.orderId));
    expect(holds.every((h) => okOrders.has(h.orderId))).toBe(true);
    // No variant left a reservation record behind (nothing is written for a refused request).
    const variantOrders = byVariant.filter((r) => r.productId !== product.id).map((r) => r.orderId);
    expect(
      await t.store.collection('reservations').countDocuments({ _id: { $in: variantOrders } } as never),
    ).toBe(0);

    // Releasing everything gives back exactly what was taken.
    await Promise.all([...okOrders].map((orderId) => release(orderId)));
    const after = await ledger(product.id);
    expect(after).toMatchObject({ available: START, reserved: 0, sold: 0 });
  }, 120_000);

  it('a multi-item reserve with one variant id takes nothing of the canonical items', async () => {
    const a = await productWithLetters(5);
    const b = await productWithLetters(5);
    const orderId = randomUUID();
    const reply = await reserve(orderId, [
      { productId: a.id, quantity: 2 },
      { productId: b.id.toUpperCase(), quantity: 1 },
    ]);
    expect(reply).toMatchObject({ ok: false, code: 'NOT_FOUND', productId: b.id.toUpperCase() });
    expect([(await ledger(a.id)).available, (await ledger(b.id)).available]).toEqual([5, 5]);
    expect(await t.app.reservationsRepository.findReservation(orderId)).toBeNull();
  });

  it('an order id that is not canonical is INVALID_REQUEST for reserve and release, and writes nothing', async () => {
    const a = await productWithLetters(5);
    const orderId = randomUUID();
    const variants = [
      orderId.toUpperCase(),
      `{${orderId}}`,
      orderId.replace(/-/g, ''),
      ` ${orderId}`,
      'order-1',
    ];
    for (const variant of variants) {
      expect(await reserve(variant, [{ productId: a.id, quantity: 1 }])).toMatchObject({
        ok: false,
        code: 'INVALID_REQUEST',
      });
      expect(await release(variant)).toMatchObject({ ok: false, code: 'INVALID_REQUEST' });
      expect(await t.app.reservations.sell(variant)).toEqual({ sold: false });
    }
    expect((await ledger(a.id)).available).toBe(5);
    expect(await t.store.collection('reservations').countDocuments({ _id: { $in: variants } } as never)).toBe(
      0,
    );
    // The canonical spelling is untouched by all of that.
    expect(await reserve(orderId, [{ productId: a.id, quantity: 1 }])).toMatchObject({ ok: true });
    expect(await release(orderId)).toEqual({ ok: true, released: true });
  });

  it('product(id:), _entities, updateProduct and adjustStock treat a variant as not found and change nothing', async () => {
    const p = await productWithLetters(7);
    const before = await t.store
      .collection('products')
      .findOne({ _id: new mongoose.Types.ObjectId(p.id) } as never);
    for (const variant of variantsOf(p.id)) {
      const one = await t.query<{ product: unknown }>('query($id: ID!) { product(id: $id) { id } }', {
        id: variant,
      });
      expect(one).toMatchObject({ data: { product: null } });
      expect(one.errors).toBeUndefined();

      const entities = await t.query<{ _entities: unknown[] }>(
        'query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id stock } } }',
        { r: [{ __typename: 'Product', id: variant }] },
      );
      expect(entities).toMatchObject({ data: { _entities: [null] } });
      expect(entities.errors).toBeUndefined();

      const updated = await t.query<{ updateProduct: Record<string, unknown> }>(
        `mutation($id: ID!) { updateProduct(id: $id, input: { name: "Hijacked" }) {
          __typename ... on ProductNotFoundError { productId } } }`,
        { id: variant },
        admin,
      );
      expect(updated.data).toEqual({
        updateProduct: { __typename: 'ProductNotFoundError', productId: variant },
      });

      const adjusted = await t.query<{ adjustStock: Record<string, unknown> }>(
        `mutation($id: ID!) { adjustStock(id: $id, delta: 5) {
          __typename ... on ProductNotFoundError { productId } } }`,
        { id: variant },
        admin,
      );
      expect(adjusted.data).toEqual({
        adjustStock: { __typename: 'ProductNotFoundError', productId: variant },
      });
    }
    const after = await t.store
      .collection('products')
      .findOne({ _id: new mongoose.Types.ObjectId(p.id) } as never);
    expect(after).toEqual(before);
  });

  it('a cursor naming a variant id is BAD_USER_INPUT', async () => {
    const p = await productWithLetters(1);
    const res = await t.query(
      'query($after: String) { products(first: 1, after: $after) { edges { cursor } } }',
      {
        after: encodeCursor(['NEWEST', p.createdAt.toISOString(), p.id.toUpperCase()]),
      },
    );
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const good = await t.query(
      'query($after: String) { products(first: 1, after: $after) { edges { cursor } } }',
      {
        after: encodeCursor(['NEWEST', p.createdAt.toISOString(), p.id]),
      },
    );
    expect(good.errors).toBeUndefined();
  });
});

/**
 * Spellings of variant n of a product that name no variant: another letter case, another
 * product's id before the number, number 0, a leading zero, a number beyond 9999, spaces.
 */
function variantSpellings(productId: string, otherProductId: string, n: number): string[] {
  const id = `${productId}-${n}`;
  return [
    id.toUpperCase(),
    `${otherProductId}-${n}`,
    `${productId}-0`,
    `${productId}-0${n}`,
    `${productId}-10000`,
    ` ${id}`,
    `${id} `,
    `${productId}-${n}.0`,
    `${productId}--${n}`,
    `${productId}+${n}`,
  ];
}

describe('issue 18: only the variant id as issued names a variant', () => {
  it('reserve: every other form of a variant id is NOT_FOUND with that variantId, and nothing is written', async () => {
    const p = await sizes(t, [5, 5]);
    const other = await productWithLetters(5);
    for (const variantId of variantSpellings(p.id, other.id, 1)) {
      const orderId = randomUUID();
      const reply = await reserve(orderId, [
        { productId: p.id, variantId: `${p.id}-2`, quantity: 1 },
        { productId: p.id, variantId, quantity: 1 },
      ]);
      expect(reply).toMatchObject({ ok: false, code: 'NOT_FOUND', productId: p.id, variantId });
      expect(await t.app.reservationsRepository.findReservation(orderId)).toBeNull();
    }
    // A variant id with its own product's id, but a product id in another case, is refused by the product.
    const misspelt = p.id.toUpperCase();
    expect(
      await reserve(randomUUID(), [{ productId: misspelt, variantId: `${p.id}-1`, quantity: 1 }]),
    ).toMatchObject({ ok: false, code: 'NOT_FOUND', productId: misspelt });
    const ledger = await ledgerOf(t, p.id);
    expect([...ledger.byVariant.values()]).toEqual([
      { stock: 5, held: 0 },
      { stock: 5, held: 0 },
    ]);
    expect(ledger.holds).toHaveLength(0);
    expect((await ledgerOf(t, other.id)).productStock).toBe(5);
  });

  it('concurrent reserves of one variant under other spellings take nothing; stock + held of each variant stays', async () => {
    const p = await sizes(t, [4, 4]);
    const other = await addProduct(t, { stock: 4 });
    const spellings = variantSpellings(p.id, other.id, 1);
    const requests = Array.from({ length: 40 }, (_, i) => ({
      orderId: randomUUID(),
      variantId: i % 4 === 0 ? `${p.id}-1` : spellings[i % spellings.length]!,
    }));
    const replies = await Promise.all(
      requests.map((r) => reserve(r.orderId, [{ productId: p.id, variantId: r.variantId, quantity: 1 }])),
    );
    for (const [i, r] of requests.entries()) {
      if (r.variantId === `${p.id}-1`) continue;
      expect(replies[i]).toMatchObject({ ok: false, code: 'NOT_FOUND', variantId: r.variantId });
    }
    expect(replies.filter((r) => r.ok)).toHaveLength(4);
    const ledger = await ledgerOf(t, p.id);
    expect([...ledger.byVariant.values()]).toEqual([
      { stock: 0, held: 4 },
      { stock: 4, held: 0 },
    ]);
    expect((await ledgerOf(t, other.id)).productStock).toBe(4);
  }, 120_000);

  it('productVariant(id:), _entities, adjustStock, updateVariant and removeVariant name no variant by another spelling', async () => {
    const p = await sizes(t, [3, 3]);
    const other = await productWithLetters(3);
    const before = await t.store
      .collection('products')
      .findOne({ _id: new mongoose.Types.ObjectId(p.id) } as never);
    const good = await t.query<{ productVariant: { id: string } | null }>(
      'query($id: ID!) { productVariant(id: $id) { id } }',
      { id: `${p.id}-1` },
    );
    expect(good).toMatchObject({ data: { productVariant: { id: `${p.id}-1` } } });
    expect(good.errors).toBeUndefined();
    // (Another product's prefix names that product's variant here: left out.)
    for (const id of variantSpellings(p.id, other.id, 1).filter((x) => !x.startsWith(other.id))) {
      const one = await t.query('query($id: ID!) { productVariant(id: $id) { id } }', { id });
      expect(one).toMatchObject({ data: { productVariant: null } });
      expect(one.errors).toBeUndefined();
      const entities = await t.query(
        'query($r: [_Any!]!) { _entities(representations: $r) { ... on ProductVariant { id stock } } }',
        { r: [{ __typename: 'ProductVariant', id }] },
      );
      expect(entities).toMatchObject({ data: { _entities: [null] } });
      expect(entities.errors).toBeUndefined();
      // adjustStock also takes product ids: a form with no '-' reads as a product that is not found.
      const adjusted = await t.query<{ adjustStock: Record<string, unknown> }>(
        `mutation($id: ID!) { adjustStock(id: $id, delta: 5) { __typename
          ... on VariantNotFoundError { variantId } ... on ProductNotFoundError { productId } } }`,
        { id },
        admin,
      );
      expect([
        { __typename: 'VariantNotFoundError', variantId: id },
        { __typename: 'ProductNotFoundError', productId: id },
      ]).toContainEqual(adjusted.data?.adjustStock);
      for (const mutation of [
        `mutation($id: ID!) { updateVariant(id: $id, input: { sku: "HIJACK-1" }) { __typename ... on VariantNotFoundError { variantId } } }`,
        `mutation($id: ID!) { removeVariant(id: $id) { __typename ... on VariantNotFoundError { variantId } } }`,
      ]) {
        const res = await t.query<Record<string, unknown>>(mutation, { id }, admin);
        expect(Object.values(res.data ?? {})).toEqual([
          { __typename: 'VariantNotFoundError', variantId: id },
        ]);
      }
    }
    const after = await t.store
      .collection('products')
      .findOne({ _id: new mongoose.Types.ObjectId(p.id) } as never);
    expect(after).toEqual(before);
    expect(await t.app.variantsRepository.skus.owner('HIJACK-1')).toBeNull();
  });
});
