/**
 * The SKU registry (`skus._id` = SKU) after crashes (issue 18): a claim left by a process that died
 * between claiming a SKU and writing the variant, or between the write that took the SKU away and
 * letting it go, names a variant that does not have the SKU. Another product may take such a claim
 * over once it is older than the lock lifetime (30 s), the same product at once; a claim whose
 * variant has the SKU is never taken. Claims are planted straight into the store.
 */
import type { Booted } from './helpers';

const { bootProducts } = await import('./helpers');
const { addVariantProduct, sizes } = await import('./variants.helpers');

let t: Booted;
beforeAll(async () => {
  t = await bootProducts('prodskus');
});
afterAll(async () => {
  await t.cleanup();
});

const skus = () => t.store.collection('skus');
const plantClaim = (sku: string, productId: string, n: number, ageMs: number) =>
  skus().insertOne({ _id: sku, productId, n, claimedAt: new Date(Date.now() - ageMs) } as never);
const tag = () => Math.random().toString(36).slice(2, 10).toUpperCase();
const withL = () => addVariantProduct(t, [{ name: 'Size', values: ['S', 'M', 'L'] }], [{ values: ['S'] }]);
const addL = (productId: string, sku: string) =>
  t.app.variantsRepository.addVariant(productId, {
    sku,
    selectedOptions: [{ name: 'Size', value: 'L' }],
    price: { amount: 100, currency: 'EUR' },
    stock: 1,
    images: [],
  });

describe('SKU claims left by a crash', () => {
  it('another product takes over a claim whose variant lacks the SKU only once it is older than 30 s', async () => {
    const owner = await sizes(t);
    const taker = await withL();
    const young = `YOUNG-${tag()}`;
    const old = `OLD-${tag()}`;
    await plantClaim(young, owner.id, 3, 1_000);
    await plantClaim(old, owner.id, 3, 60_000);
    expect(await addL(taker.id, young)).toEqual({ kind: 'duplicate-sku', sku: young });
    expect(await t.app.variantsRepository.skus.owner(young)).toEqual({ productId: owner.id, n: 3 });
    expect(await addL(taker.id, old)).toMatchObject({ kind: 'ok' });
    expect(await t.app.variantsRepository.skus.owner(old)).toEqual({ productId: taker.id, n: 2 });
  });

  it('a claim whose variant has the SKU is never taken, however old', async () => {
    const owner = await sizes(t);
    const sku = owner.variants[1]!.sku;
    await skus().updateOne({ _id: sku } as never, { $set: { claimedAt: new Date(0) } });
    const taker = await withL();
    expect(await addL(taker.id, sku)).toEqual({ kind: 'duplicate-sku', sku });
    expect(await t.app.variantsRepository.skus.owner(sku)).toEqual({ productId: owner.id, n: 2 });
  });

  it('a claim of a product that does not exist (an insert that died) is taken once stale', async () => {
    const sku = `GHOST-${tag()}`;
    await plantClaim(sku, 'f'.repeat(24), 1, 60_000);
    const taker = await withL();
    expect(await addL(taker.id, sku)).toMatchObject({ kind: 'ok' });
    expect(await t.app.variantsRepository.skus.owner(sku)).toEqual({ productId: taker.id, n: 2 });
  });

  it('the same product takes back its own leftover claim at once (a rename that died before letting the old SKU go)', async () => {
    const p = await withL();
    const leftover = `LEFT-${tag()}`;
    // Variant 1 was renamed from `leftover`, and the process died before the release.
    await plantClaim(leftover, p.id, 1, 0);
    expect(await addL(p.id, leftover)).toMatchObject({ kind: 'ok' });
    expect(await t.app.variantsRepository.skus.owner(leftover)).toEqual({ productId: p.id, n: 2 });
    // And a SKU the product itself still uses on another variant is refused.
    const other = await withL();
    expect(await addL(other.id, other.variants[0]!.sku)).toEqual({
      kind: 'duplicate-sku',
      sku: other.variants[0]!.sku,
    });
    expect(
      await t.app.variantsRepository.updateVariant({ productId: p.id, n: 2 }, { sku: p.variants[0]!.sku }),
    ).toEqual({ kind: 'duplicate-sku', sku: p.variants[0]!.sku });
  });

  it('registerMissing registers a stored variant without an entry, once, and reports nothing the second time', async () => {
    const p = await sizes(t);
    const sku = p.variants[1]!.sku;
    await skus().deleteOne({ _id: sku } as never);
    expect(await t.app.variantsRepository.skus.owner(sku)).toBeNull();
    expect(await t.app.variantsRepository.skus.registerMissing()).toMatchObject({
      registered: 1,
      conflicts: [],
    });
    expect(await t.app.variantsRepository.skus.owner(sku)).toEqual({ productId: p.id, n: 2 });
    expect(await t.app.variantsRepository.skus.registerMissing()).toMatchObject({ registered: 0 });
  });

  it('registerMany registers a bulk insert’s SKUs without a scan, and reports the ones another variant has', async () => {
    const owner = await sizes(t);
    const fresh = [`BULK-${tag()}`, `BULK-${tag()}`];
    const productId = 'a'.repeat(24);
    const result = await t.app.variantsRepository.skus.registerMany([
      { sku: fresh[0]!, productId, n: 1 },
      { sku: owner.variants[0]!.sku, productId, n: 2 },
      { sku: fresh[1]!, productId, n: 3 },
    ]);
    expect(result).toEqual({ registered: 2, taken: [owner.variants[0]!.sku] });
    expect(await t.app.variantsRepository.skus.owner(fresh[1]!)).toEqual({ productId, n: 3 });
    expect(await t.app.variantsRepository.skus.owner(owner.variants[0]!.sku)).toEqual({
      productId: owner.id,
      n: 1,
    });
  });
});
