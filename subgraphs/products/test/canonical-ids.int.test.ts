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

const { addProduct, admin, bootProducts } = await import('./helpers');

let t: Booted;
beforeAll(async () => {
  t = await bootProducts('prodids');
});
afterAll(async () => {
  await t.cleanup();
});

const reserve = (orderId: string, items: { productId: string; quantity: number }[]) =>
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
