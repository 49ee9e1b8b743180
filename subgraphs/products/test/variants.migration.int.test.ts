/**
 * The start-up migration to variants (issue 18): every product stored before variants gets one
 * variant (number 1, from its sku, price and stock), `options: []`, `nextVariant: 2`, and its holds
 * become holds of variant 1; its SKU goes into the registry. Idempotent, crash-safe (one write per
 * product, under its lock) and safe beside reserves and a second instance migrating at once.
 * Documents are planted as the code before variants wrote them, through the test's own connection.
 */
import { randomUUID } from 'node:crypto';
import { LookupReply, ReleaseReply, request, ReserveReply } from '@shop/messaging';
import mongoose from 'mongoose';
import type { Booted } from './helpers';

const { bootProducts } = await import('./helpers');

let t: Booted;
beforeAll(async () => {
  t = await bootProducts('prodvarmig', {}, { recoveryEveryMs: 3_600_000 });
});
afterAll(async () => {
  await t.cleanup();
});

const products = () => t.store.collection('products');
const oid = (id: string) => new mongoose.Types.ObjectId(id);
const doc = (id: string) => products().findOne({ _id: oid(id) } as never);

/** A product as the code before variants stored it: no variants, holds without a variant. */
async function plantLegacy(stock: number, holds: { orderId: string; quantity: number }[] = []) {
  const _id = new mongoose.Types.ObjectId();
  const sku = `LEGACY-${randomUUID().slice(0, 8)}`;
  const now = new Date();
  await products().insertOne({
    _id,
    sku,
    name: `Legacy ${sku}`,
    description: 'stored before variants',
    price: { amount: 1234, currency: 'EUR' },
    stock,
    category: 'legacy',
    holds,
    createdAt: now,
    updatedAt: now,
  } as never);
  return { id: _id.toHexString(), sku };
}

const reserve = (orderId: string, items: { productId: string; variantId?: string; quantity: number }[]) =>
  request(t.nc, t.names.commands.productsReserve, { orderId, items }, ReserveReply, 60_000);

describe('the start-up migration to variants', () => {
  it('gives a legacy product variant 1 from its sku, price and stock, marks its holds variant 1, registers its SKU; twice changes nothing', async () => {
    const orderId = randomUUID();
    const legacy = await plantLegacy(8, [{ orderId, quantity: 2 }]);
    const first = await t.app.variantsRepository.init({ full: true });
    expect(first.migrated).toBeGreaterThanOrEqual(1);
    const migrated = await doc(legacy.id);
    expect(migrated).toMatchObject({
      sku: legacy.sku,
      price: { amount: 1234, currency: 'EUR' },
      stock: 8,
      options: [],
      nextVariant: 2,
      variants: [
        {
          n: 1,
          sku: legacy.sku,
          options: [],
          price: { amount: 1234, currency: 'EUR' },
          stock: 8,
          images: [],
        },
      ],
      holds: [{ orderId, variant: 1, quantity: 2 }],
    });
    expect(await t.app.variantsRepository.skus.owner(legacy.sku)).toEqual({ productId: legacy.id, n: 1 });

    const second = await t.app.variantsRepository.init({ full: true });
    expect(second).toMatchObject({ migrated: 0, registered: 0, conflicts: [], skipped: false });
    expect(await doc(legacy.id)).toEqual(migrated);
    // A start-up after a completed pass skips the scans (the mark in `migrations`).
    expect(
      await t.store.collection('migrations').findOne({ _id: 'products-variants' } as never),
    ).not.toBeNull();
    expect(await t.app.variantsRepository.init()).toEqual({
      migrated: 0,
      registered: 0,
      conflicts: [],
      skipped: true,
    });
    // Its variant id is <productId>-1, as orders migrates its rows; the hold is released through it.
    expect(await t.app.reservationsRepository.heldBy(`${legacy.id}-1`, orderId)).toBe(2);
  });

  it('a run that died half-way: the products done are left as they are, the rest are done', async () => {
    const planted = await Promise.all(Array.from({ length: 6 }, (_, i) => plantLegacy(i + 1)));
    await t.app.variantsRepository.init({ full: true });
    const done = await Promise.all(planted.map((p) => doc(p.id)));
    // What a crash after the first three writes leaves: the other three as they were.
    for (const p of planted.slice(3))
      await products().updateOne({ _id: oid(p.id) } as never, {
        $unset: { variants: '', options: '', nextVariant: '' },
      });
    expect(await t.app.variantsRepository.init({ full: true })).toMatchObject({ migrated: 3 });
    for (const [i, p] of planted.entries()) {
      const now = await doc(p.id);
      if (i < 3) expect(now).toEqual(done[i]);
      expect(now).toMatchObject({
        stock: i + 1,
        nextVariant: 2,
        variants: [{ n: 1, sku: p.sku, stock: i + 1 }],
      });
    }
  });

  it('a reserve before the migration reaches the product takes variant 1 and gives the document its variant; the migration then leaves it', async () => {
    const legacy = await plantLegacy(5);
    const orderId = randomUUID();
    const reply = await reserve(orderId, [{ productId: legacy.id, quantity: 2 }]);
    expect(reply).toMatchObject({
      ok: true,
      lines: [{ variantId: `${legacy.id}-1`, sku: legacy.sku, variantTitle: '', quantity: 2 }],
    });
    const taken = await doc(legacy.id);
    expect(taken).toMatchObject({
      stock: 3,
      nextVariant: 2,
      variants: [{ n: 1, stock: 3 }],
      holds: [{ orderId, variant: 1, quantity: 2 }],
    });
    await t.app.variantsRepository.init({ full: true });
    expect(await doc(legacy.id)).toMatchObject({ stock: 3, variants: [{ n: 1, stock: 3 }] });
    expect(await request(t.nc, t.names.commands.productsRelease, { orderId }, ReleaseReply)).toEqual({
      ok: true,
      released: true,
    });
    expect(await doc(legacy.id)).toMatchObject({ stock: 5, variants: [{ n: 1, stock: 5 }], holds: [] });
  });

  it('two instances migrating while orders reserve: per product, one variant, stock + held unchanged', async () => {
    const START = 10;
    const planted = await Promise.all(Array.from({ length: 20 }, () => plantLegacy(START)));
    const { createApp } = await import('../src');
    const { createLogger } = await import('@shop/server');
    const { memoryLog, deleteStreams } = await import('@shop/testing');
    const orders = planted.flatMap((p) =>
      [randomUUID(), randomUUID()].map((orderId) => ({ orderId, productId: p.id })),
    );
    // The second instance's createApp runs the migration at start-up, concurrently with this one's
    // (as on a first start: no mark yet).
    await t.store.collection('migrations').deleteMany({});
    const [second, , replies] = await Promise.all([
      createApp(
        { ...t.app.config, NATS_PREFIX: `${t.app.config.NATS_PREFIX}m` },
        { log: createLogger({ name: 'second' }, memoryLog().stream), recoveryEveryMs: 3_600_000 },
      ),
      t.app.variantsRepository.init({ full: true }),
      Promise.all(orders.map((o) => reserve(o.orderId, [{ productId: o.productId, quantity: 3 }]))),
    ]);
    try {
      expect(replies.every((r) => r.ok)).toBe(true);
      for (const p of planted) {
        const now = await doc(p.id);
        const variants = now?.variants as { n: number; stock: number }[];
        const holds = now?.holds as { variant: number; quantity: number }[];
        expect(variants.map((v) => v.n)).toEqual([1]);
        expect(holds.every((h) => h.variant === 1)).toBe(true);
        expect(variants[0]!.stock + holds.reduce((s, h) => s + h.quantity, 0)).toBe(START);
        expect(now?.stock).toBe(variants[0]!.stock);
        expect(now?.stock).toBe(START - 6);
      }
    } finally {
      await second.stop();
      await deleteStreams(t.nc, second.names);
    }
  }, 120_000);

  it('a migrated product is looked up with its one variant, and its SKU is taken for new variants', async () => {
    const legacy = await plantLegacy(4);
    await t.app.variantsRepository.init({ full: true });
    const reply = await request(
      t.nc,
      t.names.commands.productsLookup,
      { productIds: [legacy.id] },
      LookupReply,
    );
    expect(reply).toMatchObject({
      ok: true,
      products: [
        {
          productId: legacy.id,
          sku: legacy.sku,
          available: 4,
          variants: [{ variantId: `${legacy.id}-1`, sku: legacy.sku, title: '', available: 4 }],
        },
      ],
    });
    const { DuplicateSkuError } = await import('../src/products.repository');
    const { addProduct } = await import('./variants.helpers');
    await expect(addProduct(t, { sku: legacy.sku })).rejects.toBeInstanceOf(DuplicateSkuError);
    expect(await products().countDocuments({ sku: legacy.sku } as never)).toBe(1);
  });
});
