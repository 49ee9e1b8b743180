/**
 * Product slugs (issue 18): made from the name at creation (accents folded, suffixed when taken),
 * stable when the name changes, changed only by updateProduct(slug), unique under concurrency
 * (the registry keyed by `_id`), `product(slug:)` only in the issued form, and a stale registry entry
 * (a process that died between its claim and its write) taken over after the grace period.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import mongoose from 'mongoose';
import { Locks } from '../src/locks';
import { SlugRegistry } from '../src/slugs.repository';
import { isSlug, slugify } from '../src/slugs';
import type { Booted } from './helpers';

const { addProduct, admin, bootProducts } = await import('./helpers');

let t: Booted;
beforeAll(async () => {
  t = await bootProducts('prodslug');
});
afterAll(async () => {
  await t.cleanup();
});

type Result = Record<string, unknown> & { __typename: string };
const CREATE = `mutation($input: CreateProductInput!) {
  createProduct(input: $input) {
    __typename
    ... on Product { id slug name }
    ... on InvalidInputError { field }
    ... on DuplicateSlugError { slug }
  }
}`;
const UPDATE = `mutation($id: ID!, $input: UpdateProductInput!) {
  updateProduct(id: $id, input: $input) {
    __typename
    ... on Product { id slug name }
    ... on InvalidInputError { field }
    ... on DuplicateSlugError { slug }
  }
}`;
const BY_SLUG = `query($slug: String) { product(slug: $slug) { id slug } }`;

let sku = 0;
async function create(input: Record<string, unknown>): Promise<Result> {
  sku += 1;
  const res = await t.query<{ createProduct: Result }>(
    CREATE,
    { input: { sku: `SLUG-${sku}`, price: { amount: 100, currency: 'EUR' }, category: 'slugs', ...input } },
    admin,
  );
  expect(res.errors).toBeUndefined();
  return res.data!.createProduct;
}
const bySlug = async (slug: string) =>
  (await t.query<{ product: Result | null }>(BY_SLUG, { slug })).data?.product;

describe('slugify', () => {
  it.each([
    ['Noise-Cancelling Headphones', 'noise-cancelling-headphones'],
    ['Crème Brûlée Torch', 'creme-brulee-torch'],
    ['Ærøskøbing Straße', 'aeroskobing-strasse'],
    ['Salt, Fat, Acid, Heat', 'salt-fat-acid-heat'],
    ['  --Odd   spacing__and_underscores-- ', 'odd-spacing-and-underscores'],
    ['Soy Candle Cedar & Sage', 'soy-candle-cedar-and-sage'],
    ['Łódź', 'lodz'],
    ['日本茶', 'product'],
  ])('%s → %s', (name, slug) => {
    expect(slugify(name, 'product')).toBe(slug);
    expect(isSlug(slug)).toBe(true);
  });

  it('keeps room for a suffix and accepts only the issued form', () => {
    expect(slugify('word '.repeat(60), 'product').length).toBeLessThanOrEqual(95);
    for (const bad of ['Upper', 'a--b', '-a', 'a-', 'a b', 'a_b', '', 'é', 'a'.repeat(101)])
      expect(isSlug(bad)).toBe(false);
    expect(isSlug('a'.repeat(100))).toBe(true);
  });
});

describe('product slugs', () => {
  it('makes a slug from the name and suffixes -2, -3 when it is taken', async () => {
    const first = await create({ name: 'Café Crème Mug' });
    const second = await create({ name: 'Cafe Creme Mug' });
    const third = await create({ name: 'CAFÉ CRÈME MUG!' });
    expect([first.slug, second.slug, third.slug]).toEqual([
      'cafe-creme-mug',
      'cafe-creme-mug-2',
      'cafe-creme-mug-3',
    ]);
    expect(await bySlug('cafe-creme-mug-2')).toEqual({ id: second.id, slug: 'cafe-creme-mug-2' });
  });

  it('keeps the slug when the name changes; updateProduct(slug) changes it and frees the old one', async () => {
    const p = await create({ name: 'Original Name' });
    const renamed = await t.query<{ updateProduct: Result }>(
      UPDATE,
      { id: p.id, input: { name: 'New Name' } },
      admin,
    );
    expect(renamed.data!.updateProduct).toMatchObject({ name: 'New Name', slug: 'original-name' });
    const moved = await t.query<{ updateProduct: Result }>(
      UPDATE,
      { id: p.id, input: { slug: 'new-name' } },
      admin,
    );
    expect(moved.data!.updateProduct).toMatchObject({ slug: 'new-name' });
    expect(await bySlug('original-name')).toBeNull();
    expect(await bySlug('new-name')).toMatchObject({ id: p.id });
    // The old slug is free for another product.
    expect(await create({ name: 'Original Name' })).toMatchObject({ slug: 'original-name' });
    // Setting the slug it already has changes nothing.
    const same = await t.query<{ updateProduct: Result }>(
      UPDATE,
      { id: p.id, input: { slug: 'new-name' } },
      admin,
    );
    expect(same.data!.updateProduct).toMatchObject({ slug: 'new-name' });
  });

  it('an explicit slug that is taken is DuplicateSlugError on create and update; a malformed one InvalidInputError', async () => {
    const owner = await create({ name: 'Owner Of The Slug', slug: 'taken-slug' });
    expect(owner).toMatchObject({ slug: 'taken-slug' });
    expect(await create({ name: 'Another', slug: 'taken-slug' })).toEqual({
      __typename: 'DuplicateSlugError',
      slug: 'taken-slug',
    });
    const other = await addProduct(t, { name: 'Someone Else' });
    const update = await t.query<{ updateProduct: Result }>(
      UPDATE,
      { id: other.id, input: { slug: 'taken-slug', name: 'Renamed Too' } },
      admin,
    );
    expect(update.data!.updateProduct).toEqual({ __typename: 'DuplicateSlugError', slug: 'taken-slug' });
    expect(await t.app.repository.findById(other.id)).toMatchObject({
      name: 'Someone Else',
      slug: 'someone-else',
    });
    for (const slug of ['Upper-Case', 'two--dashes', 'trailing-', 'sp ace', 'a'.repeat(101)]) {
      expect(await create({ name: 'Bad Slug', slug })).toMatchObject({
        __typename: 'InvalidInputError',
        field: 'slug',
      });
      const res = await t.query<{ updateProduct: Result }>(UPDATE, { id: other.id, input: { slug } }, admin);
      expect(res.data!.updateProduct).toMatchObject({ __typename: 'InvalidInputError', field: 'slug' });
    }
    expect(await t.app.repository.idBySlug('bad-slug')).toBeNull();
  });

  it('10 concurrent products with one name get 10 different slugs; with one explicit slug exactly one wins', async () => {
    const made = await Promise.all(Array.from({ length: 10 }, () => create({ name: 'Race Product' })));
    expect(made.every((r) => r.__typename === 'Product')).toBe(true);
    expect(new Set(made.map((r) => r.slug)).size).toBe(10);
    for (const r of made) expect(await bySlug(String(r.slug))).toMatchObject({ id: r.id });

    const exact = await Promise.all(
      Array.from({ length: 10 }, (_, i) => create({ name: `Exact ${i}`, slug: 'exact-race' })),
    );
    expect(exact.filter((r) => r.__typename === 'Product')).toHaveLength(1);
    expect(exact.filter((r) => r.__typename === 'DuplicateSlugError')).toHaveLength(9);
  });

  it('product(slug:) only in the issued form; exactly one of id and slug', async () => {
    const p = await create({ name: 'Lookup Me' });
    for (const slug of [
      'LOOKUP-ME',
      'Lookup-Me',
      ' lookup-me',
      'lookup-me ',
      'lookup--me',
      'lookup-me\u0000',
      '',
    ]) {
      const res = await t.query<{ product: unknown }>(BY_SLUG, { slug });
      expect({ slug, errors: res.errors, product: res.data?.product }).toEqual({
        slug,
        errors: undefined,
        product: null,
      });
    }
    expect(await bySlug('lookup-me')).toEqual({ id: p.id, slug: 'lookup-me' });
    for (const variables of [{}, { id: p.id, slug: 'lookup-me' }]) {
      const res = await t.query(
        `query($id: ID, $slug: String) { product(id: $id, slug: $slug) { id } }`,
        variables,
      );
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('a slug claimed by a process that died before writing its product is taken over after the grace period', async () => {
    // graceMs 2 s here (30 s in the app): long enough that a loaded machine does not outrun it.
    const connection = await mongoose.createConnection(t.app.config.MONGO_URL).asPromise();
    try {
      const locks = new Locks({ connection });
      const registry = new SlugRegistry({ connection, locks, graceMs: 2_000 });
      registry.register('product', async (id) => (await t.app.repository.findById(id))?.slug ?? null);
      const ghost = new mongoose.Types.ObjectId().toHexString(); // never written
      expect(await registry.claim('product', 'ghost-slug', ghost)).toBe(true);
      const other = new mongoose.Types.ObjectId().toHexString();
      expect(await registry.claim('product', 'ghost-slug', other)).toBe(false); // within the grace period
      await sleep(2_100);
      expect(await registry.claim('product', 'ghost-slug', other)).toBe(true);
      expect(await registry.ownerOf('product', 'ghost-slug')).toBe(other);
      // A live owner keeps its slug however old the claim.
      const live = await create({ name: 'Live Owner' });
      await sleep(2_100);
      expect(await registry.claim('product', 'live-owner', other)).toBe(false);
      expect(await bySlug('live-owner')).toMatchObject({ id: live.id });
      // A stale entry never makes product(slug:) answer a product that does not carry the slug.
      expect(await bySlug('ghost-slug')).toBeNull();
    } finally {
      await connection.close();
    }
  });
});
