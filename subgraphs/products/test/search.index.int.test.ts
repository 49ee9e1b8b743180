import mongoose from 'mongoose';
import { encodeFacts, encodePosting } from '../src/search.postings';
import { STALE_MARKER_MS } from '../src/search.repository';
import { bootProducts, categoryId, type Booted } from './helpers';
import { addSearchable, filterOf, names, searchPage } from './search.helpers';

/**
 * The keyword index stays right on FerretDB: it follows product and variant writes (old terms
 * removed), writes are idempotent, concurrent writes all land, a crash between the product write and
 * the index write (or in the middle of the index write) is repaired, the start-up builds an index
 * that was never built, and a second instance's cache follows the first's writes.
 */

let t: Booted;
const raw = () => t.store;
const oid = (id: string) => new mongoose.Types.ObjectId(id);
const version = async () =>
  (
    (await raw()
      .collection('search_meta')
      .findOne({ _id: 'version' } as never)) as { v?: number } | null
  )?.v ?? 0;

beforeAll(async () => {
  t = await bootProducts('searchidx');
});
afterAll(async () => {
  await t.cleanup();
});

describe('following writes', () => {
  it('a rename removes the old terms and adds the new ones', async () => {
    const p = await addSearchable(t, { name: 'Aardvark Lamp', description: 'warm light' });
    expect(await names(t, 'aardvark')).toEqual(['Aardvark Lamp']);
    await t.app.repository.update(p.id, { name: 'Badger Lamp' });
    expect(await names(t, 'aardvark')).toEqual([]);
    expect(await names(t, 'badger lamp')).toEqual(['Badger Lamp']);
    expect((await t.app.repository.search.recordOf(p.id))?.keys).not.toContain('aardvark');
    const old = await raw()
      .collection('search_terms')
      .findOne({ _id: 'aardvark' } as never);
    expect((old as { n?: number } | null)?.n ?? 0).toBe(0);
  });

  it('follows a new description and new categories', async () => {
    const toys = await categoryId(t, 'toys-x');
    const p = await addSearchable(t, { name: 'Capybara Plush', description: 'soft', category: 'home-x' });
    await t.app.repository.update(p.id, { description: 'fluffy and soft', categoryIds: [toys] });
    expect(await names(t, 'fluffy capybara')).toEqual(['Capybara Plush']);
    expect(await names(t, 'capybara', { categoryIds: [toys] })).toEqual(['Capybara Plush']);
    expect(await names(t, 'capybara', { categoryIds: [await categoryId(t, 'home-x')] })).toEqual([]);
  });

  it("follows a variant's new price and SKU (filters and sorts use the new price)", async () => {
    const p = await addSearchable(t, { name: 'Dingo Bowl', sku: 'DINGO-1', amount: 1000 });
    await t.app.variantsRepository.updateVariant(
      { productId: p.id, n: 1 },
      { price: { amount: 4000, currency: 'EUR' }, sku: 'DINGO-2' },
    );
    expect(await names(t, 'dingo', { maxPrice: 1000 })).toEqual([]);
    expect(await names(t, 'dingo', { minPrice: 4000 })).toEqual(['Dingo Bowl']);
    expect(await names(t, 'DINGO-2')).toEqual(['Dingo Bowl']);
    expect(await names(t, 'DINGO-1')).toEqual([]);
  });

  it('is idempotent: indexing an unchanged product writes nothing', async () => {
    const p = await addSearchable(t, { name: 'Echidna Mug' });
    const before = await version();
    await t.app.repository.search.reindex([p.id, p.id]);
    await t.app.repository.update(p.id, { name: 'Echidna Mug' });
    expect(await version()).toBe(before);
    expect(await t.app.repository.search.pendingMarkers()).toEqual([]);
  });

  it('indexes every one of many concurrent inserts, once', async () => {
    const made = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        addSearchable(t, { name: `Ferret Toy ${i}`, description: 'ferret' }),
      ),
    );
    const page = await searchPage(t, filterOf('ferret'), 'NAME_ASC', { first: 100 });
    expect(page.edges.map((e) => e.node.id).sort()).toEqual(made.map((p) => p.id).sort());
    expect(await page.totalCount()).toBe(30);
    const term = (await raw()
      .collection('search_terms')
      .findOne({ _id: 'ferret' } as never)) as { n: number } | null;
    expect(term?.n).toBe(30);
  });
});

describe('crash safety', () => {
  const staleAt = () => new Date(Date.now() - STALE_MARKER_MS - 5_000);

  it('a product written but not indexed (the writer died) is indexed by the repair', async () => {
    // What a crash right after the product insert leaves: the product and its pending marker.
    const template = await addSearchable(t, { name: 'Template Gnu' });
    const doc = await raw()
      .collection('products')
      .findOne({ _id: oid(template.id) } as never);
    const _id = new mongoose.Types.ObjectId();
    await raw()
      .collection('products')
      .insertOne({
        ...doc,
        _id,
        name: 'Gecko Lantern',
        slug: `gecko-${_id.toHexString()}`,
        sku: 'GECKO-1',
        variants: [{ ...(doc!.variants as object[])[0], sku: 'GECKO-1' }],
      } as never);
    await raw()
      .collection('search_pending')
      .insertOne({ _id: `${_id.toHexString()}:x`, productId: _id.toHexString(), at: staleAt() } as never);
    expect(await names(t, 'gecko')).toEqual([]);
    // a young marker belongs to a writer still at work: left alone
    await raw()
      .collection('search_pending')
      .insertOne({ _id: `${_id.toHexString()}:y`, productId: _id.toHexString(), at: new Date() } as never);
    expect(await t.app.repository.search.repair()).toBe(1);
    expect(await names(t, 'gecko lantern')).toEqual(['Gecko Lantern']);
    expect((await t.app.repository.search.pendingMarkers()).map((m) => m.productId)).toEqual([
      _id.toHexString(),
    ]);
    await raw().collection('search_pending').deleteMany({});
  });

  it('an index write that died half-way is completed by the repair', async () => {
    const p = await addSearchable(t, { name: 'Hyena Rug', description: 'woven' });
    // The crash: product renamed, the record already names old and new keys (the intent), the new
    // term written, the old ones not yet cleared, the marker still there.
    await raw()
      .collection('products')
      .updateOne({ _id: oid(p.id) } as never, { $set: { name: 'Ibex Rug' } });
    const record = (await raw()
      .collection('search_docs')
      .findOne({ _id: p.id } as never)) as { keys: string[] } | null;
    await raw()
      .collection('search_docs')
      .updateOne({ _id: p.id } as never, { $set: { keys: [...record!.keys, '4ibex'].sort(), facts: null } });
    const facts = encodeFacts({ price: 1000, created: Date.now(), inStock: true, name: 'Ibex Rug' });
    await raw()
      .collection('search_terms')
      .insertOne({ _id: 'ibex', p: encodePosting(p.id, 4, facts), n: 1 } as never);
    await raw()
      .collection('search_pending')
      .insertOne({ _id: `${p.id}:z`, productId: p.id, at: staleAt() } as never);
    expect(await t.app.repository.search.repair()).toBe(1);
    expect(await names(t, 'hyena')).toEqual([]);
    expect(await names(t, 'ibex rug')).toEqual(['Ibex Rug']);
    expect((await t.app.repository.search.recordOf(p.id))?.keys).toEqual(
      expect.arrayContaining(['ibex', 'rug', 'woven']),
    );
    expect(await t.app.repository.search.pendingMarkers()).toEqual([]);
  });

  it('a product stale in the index is re-indexed when a search shows it', async () => {
    const p = await addSearchable(t, { name: 'Jackal Vase', amount: 1000 });
    await raw()
      .collection('products')
      .updateOne({ _id: oid(p.id) } as never, {
        $set: { 'price.amount': 2500, 'variants.0.price.amount': 2500 },
      });
    expect(await names(t, 'jackal', { maxPrice: 1000 })).toEqual(['Jackal Vase']); // indexed price
    for (let i = 0; i < 50 && (await names(t, 'jackal', { maxPrice: 1000 })).length > 0; i += 1)
      await new Promise((r) => setTimeout(r, 50));
    expect(await names(t, 'jackal', { minPrice: 2500 })).toEqual(['Jackal Vase']);
  });
});

describe('the seed', () => {
  it('deferred(): writes leave markers only, then one rebuild indexes everything and clears them', async () => {
    const before = await version();
    const { added, pendingInside } = await t.app.repository.search.deferred(async () => {
      const made = [
        await addSearchable(t, { name: 'Narwhal Mobile' }),
        await addSearchable(t, { name: 'Narwhal Poster' }),
      ];
      return { added: made, pendingInside: (await t.app.repository.search.pendingMarkers()).length };
    });
    expect(pendingInside).toBe(2);
    expect(await version()).toBeGreaterThan(before);
    expect((await names(t, 'narwhal')).sort()).toEqual(['Narwhal Mobile', 'Narwhal Poster']);
    expect(await names(t, 'badger lamp')).toEqual(['Badger Lamp']); // the rest is rebuilt too
    expect(await t.app.repository.search.pendingMarkers()).toEqual([]);
    expect(added).toHaveLength(2);
  });
});

describe('start-up', () => {
  it('builds the whole index once when it was never built, then repairs', async () => {
    // Products the index has never seen (written before the index existed).
    const template = await addSearchable(t, { name: 'Template Koala' });
    const doc = await raw()
      .collection('products')
      .findOne({ _id: oid(template.id) } as never);
    const _id = new mongoose.Types.ObjectId();
    await raw()
      .collection('products')
      .insertOne({
        ...doc,
        _id,
        name: 'Koala Kettle',
        slug: `koala-${_id.toHexString()}`,
        sku: 'KOALA-1',
        variants: [],
      } as never);
    await raw()
      .collection('search_meta')
      .deleteOne({ _id: 'built' } as never);
    const second = await bootProducts('searchidx2', { MONGO_URL: t.app.config.MONGO_URL });
    try {
      expect(await names(t, 'koala kettle')).toEqual(['Koala Kettle']);
      expect(await names(t, 'aardvark')).toEqual([]); // still renamed
      expect(await names(t, 'badger')).toEqual(['Badger Lamp']);
      // built: a third start does not build again
      expect(await t.app.repository.search.init()).toEqual({ built: null, repaired: 0 });
    } finally {
      await second.cleanup();
    }
  });

  it("a second instance's searches follow the first one's writes (the cache checks the version)", async () => {
    const second = await bootProducts('searchidx3', { MONGO_URL: t.app.config.MONGO_URL });
    try {
      const p = await addSearchable(t, { name: 'Lemur Clock' });
      expect(await names(second, 'lemur')).toEqual(['Lemur Clock']);
      await t.app.repository.update(p.id, { name: 'Meerkat Clock' });
      expect(await names(second, 'lemur')).toEqual([]);
      expect(await names(second, 'meerkat')).toEqual(['Meerkat Clock']);
    } finally {
      await second.cleanup();
    }
  });
});
