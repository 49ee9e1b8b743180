/**
 * The start-up migration of the catalogue (issue 18) from documents as they were stored before
 * categories and slugs: each product gets the category its old `category` string names (created
 * top-level with a title-cased name, one per distinct string) and a slug made from its name,
 * idempotently (a second run, a second instance, two runs at once, a run that died after claiming a
 * slug), keeping everything else of the document (stock, holds, timestamps).
 */
import { dropMongo, mongoDatabase } from '@shop/testing';
import mongoose from 'mongoose';
import { migrateCatalogue } from '../src/catalogue.migrations';
import type { Booted } from './helpers';

const { bootProducts } = await import('./helpers');

const db = mongoDatabase('prodmig');
let t: Booted;
let raw: mongoose.Connection;

const legacy = (sku: string, name: string, category: string, extra: Record<string, unknown> = {}) => ({
  _id: new mongoose.Types.ObjectId(),
  sku,
  name,
  description: `${name}, as stored before issue 18`,
  price: { amount: 1500, currency: 'EUR' },
  stock: 7,
  category,
  holds: [],
  createdAt: new Date('2026-01-01T00:00:00Z'),
  updatedAt: new Date('2026-01-02T00:00:00Z'),
  ...extra,
});

const HOLDER = '6f1c1f0e-3f8a-4c1e-9a51-6a7c8d2b1e01';
const docs = [
  legacy('OLD-1', 'Chef Knife', 'kitchen', { holds: [{ orderId: HOLDER, quantity: 2 }] }),
  legacy('OLD-2', 'Chef Knife', 'kitchen'),
  legacy('OLD-3', 'Crème Pot', 'Home & Garden'),
  legacy('OLD-4', 'Thing', 'books'),
];

beforeAll(async () => {
  raw = await mongoose.createConnection(db.url).asPromise();
  await raw.collection('products').insertMany(docs as never[]);
  // A run that died after claiming OLD-4's slug and before writing it left this claim.
  await raw
    .collection('slugs')
    .insertOne({ _id: 'product:thing', owner: docs[3]!._id.toHexString(), claimedAt: new Date() } as never);
  t = await bootProducts('prodmig', { MONGO_URL: db.url, SEED_IF_EMPTY: 'true' });
});
afterAll(async () => {
  await t.cleanup();
  await raw.close();
  await dropMongo(db.url);
});

const stored = async () =>
  (await raw.collection('products').find({}).sort({ sku: 1 }).toArray()).map((d) => ({
    sku: d.sku as string,
    slug: d.slug as string,
    categoryIds: d.categoryIds as string[],
    stock: d.stock as number,
    holds: d.holds as unknown[],
    createdAt: d.createdAt as Date,
  }));
const categories = async () =>
  (await raw.collection('categories').find({}).sort({ slug: 1 }).toArray()).map((c) => ({
    id: String(c._id),
    slug: c.slug as string,
    name: c.name as string,
    parentId: c.parentId as string | null,
  }));

describe('catalogue migration', () => {
  it('gives every old product a category made from its old string and a slug from its name', async () => {
    expect(await t.app.repository.count()).toBe(4); // not seeded: the catalogue was not empty
    const cats = await categories();
    expect(cats.map(({ slug, name, parentId }) => ({ slug, name, parentId }))).toEqual([
      { slug: 'books', name: 'Books', parentId: null },
      { slug: 'home-and-garden', name: 'Home & Garden', parentId: null },
      { slug: 'kitchen', name: 'Kitchen', parentId: null },
    ]);
    const idOf = new Map(cats.map((c) => [c.slug, c.id]));
    const products = await stored();
    expect(products.map((p) => p.categoryIds)).toEqual([
      [idOf.get('kitchen')],
      [idOf.get('kitchen')],
      [idOf.get('home-and-garden')],
      [idOf.get('books')],
    ]);
    expect(
      products
        .slice(0, 2)
        .map((p) => p.slug)
        .sort(),
    ).toEqual(['chef-knife', 'chef-knife-2']);
    expect(products[2]!.slug).toBe('creme-pot');
    expect(products[3]!.slug).toBe('thing'); // its own earlier claim
    // Nothing else changed: stock, holds, creation time.
    expect(products[0]).toMatchObject({
      stock: 7,
      holds: [{ orderId: HOLDER, quantity: 2 }],
    });
    expect(products[0]!.createdAt.toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });

  it('the migrated products answer by slug, by category and with the deprecated category field', async () => {
    const bySlug = await t.query<{
      product: { sku: string; category: string; categories: { name: string }[] };
    }>(`{ product(slug: "creme-pot") { sku category categories { name } } }`);
    expect(bySlug.data!.product).toEqual({
      sku: 'OLD-3',
      category: 'home-and-garden',
      categories: [{ name: 'Home & Garden' }],
    });
    const kitchen = await t.query<{ products: { totalCount: number } }>(
      `{ products(filter: { category: "kitchen" }) { totalCount } }`,
    );
    expect(kitchen.data!.products.totalCount).toBe(2);
  });

  it('is idempotent: a second run and a second instance change nothing', async () => {
    const before = { products: await stored(), categories: await categories() };
    expect(await migrateCatalogue({ products: t.app.repository, categories: t.app.categories })).toBe(0);
    const second = await bootProducts('prodmig2', { MONGO_URL: db.url, SEED_IF_EMPTY: 'true' });
    try {
      expect({ products: await stored(), categories: await categories() }).toEqual(before);
    } finally {
      await second.cleanup(); // drops only its own (unused) database, not this file's
    }
  });

  it('two runs at once complete each product once, and a new string makes one category', async () => {
    const more = [
      legacy('OLD-5', 'Garden Hose', 'garden'),
      legacy('OLD-6', 'Garden Hose', 'Garden'),
      legacy('OLD-7', 'Rake', 'garden'),
    ];
    await raw.collection('products').insertMany(more as never[]);
    const runs = await Promise.all([
      migrateCatalogue({ products: t.app.repository, categories: t.app.categories }),
      migrateCatalogue({ products: t.app.repository, categories: t.app.categories }),
    ]);
    expect(runs.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(3);
    const cats = await categories();
    expect(cats.filter((c) => c.slug.startsWith('garden'))).toEqual([
      expect.objectContaining({ slug: 'garden', name: 'Garden' }),
    ]);
    const products = (await stored()).filter((p) => ['OLD-5', 'OLD-6', 'OLD-7'].includes(p.sku));
    expect(products.map((p) => p.slug).sort()).toEqual(['garden-hose', 'garden-hose-2', 'rake']);
    for (const p of products) expect(p.categoryIds).toEqual([cats.find((c) => c.slug === 'garden')!.id]);
    const registry = await raw
      .collection('slugs')
      .find({
        _id: { $in: ['product:garden-hose', 'product:garden-hose-2', 'product:garden-hose-3'] } as never,
      })
      .toArray();
    expect(registry.map((r) => String(r._id)).sort()).toEqual([
      'product:garden-hose',
      'product:garden-hose-2',
    ]);
  });
});
