/**
 * The N+1 check of the catalogue (issue 18): a category page with everything a storefront shows
 * (breadcrumbs, sub-categories, totalCount, and per product its price, availability, categories,
 * images, options and variants with their images) costs the same number of datastore round trips
 * for 5 and for 20 products: one read of the category tree, one of the page, one count. Counted by
 * a proxy between the subgraph and FerretDB (every command the driver sends, monitoring aside).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { countingProxy, dropMongo, mongoDatabase, roundTrips, type CountingProxy } from '@shop/testing';
import type { Booted } from './helpers';

const { admin, bootProducts } = await import('./helpers');

const db = mongoDatabase('prodrt');
let proxy: CountingProxy;
let t: Booted;

const image = (key: string) => ({ url: `/images/${key}.svg`, altText: key, width: 480, height: 480 });

beforeAll(async () => {
  proxy = await countingProxy('mongo', db.url);
  // The recovery sweep must not fall into a measurement window.
  t = await bootProducts('prodrt', { MONGO_URL: proxy.url }, { recoveryEveryMs: 3_600_000 });
  const { categories, products } = t.app;
  const top = await categories.createCategory(admin, { name: 'Round Trips' });
  if (top.__typename !== 'Category') throw new Error(top.message);
  const extra = await categories.createCategory(admin, { name: 'Round Trip Extras' });
  if (extra.__typename !== 'Category') throw new Error(extra.message);
  for (const [slug, count] of [
    ['rt-five', 5],
    ['rt-twenty', 20],
  ] as const) {
    const category = await categories.createCategory(admin, { name: slug, slug, parentId: top.id });
    if (category.__typename !== 'Category') throw new Error(category.message);
    for (let i = 0; i < count; i += 1) {
      const sku = `${slug}-${i}`.toUpperCase();
      const price = { amount: 1000 + i, currency: 'EUR' };
      const created = await products.createProduct(admin, {
        sku: `${sku}-S-RED`,
        name: `Round trip ${slug} ${i}`,
        price,
        categoryIds: [category.id, extra.id],
        images: [image('organic-cotton-t-shirt'), image('french-press-1-l')],
        options: [
          { name: 'Size', values: ['S', 'M'] },
          { name: 'Colour', values: ['Red', 'Blue'] },
        ],
        variants: [
          {
            sku: `${sku}-S-RED`,
            selectedOptions: [
              { name: 'Size', value: 'S' },
              { name: 'Colour', value: 'Red' },
            ],
            price,
            stock: 3,
            images: [image('organic-cotton-t-shirt-white')],
          },
          {
            sku: `${sku}-M-RED`,
            selectedOptions: [
              { name: 'Size', value: 'M' },
              { name: 'Colour', value: 'Red' },
            ],
            price,
            stock: 0,
          },
          {
            sku: `${sku}-M-BLUE`,
            selectedOptions: [
              { name: 'Size', value: 'M' },
              { name: 'Colour', value: 'Blue' },
            ],
            price,
            stock: 9,
            images: [image('organic-cotton-t-shirt-navy')],
          },
        ],
      });
      if (created.__typename !== 'Product') throw new Error(created.message);
    }
  }
});
afterAll(async () => {
  await t.cleanup();
  await proxy.close();
  await dropMongo(db.url);
});

const PAGE = `query($slug: String!) {
  category(slug: $slug) {
    name breadcrumbs { slug name } children { slug } parent { slug }
    products(first: 20) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node {
        id slug name price { amount currency } availability inStock category
        categories { slug name breadcrumbs { slug } }
        images { url altText width height }
        options { name values }
        variants { id sku title price { amount } availability inStock images { url } selectedOptions { name value } product { id slug } }
      } }
    }
  }
}`;

interface Node {
  categories: { slug: string }[];
  images: unknown[];
  variants: { images: { url: string }[] }[];
}

/** Round trips of one request: after a warm-up, the smallest delta of three runs. */
async function measure(slug: string, size: number): Promise<Record<string, number>> {
  const run = async () => {
    const res = await t.query<{ category: { products: { totalCount: number; edges: { node: Node }[] } } }>(
      PAGE,
      { slug },
    );
    expect(res.errors).toBeUndefined();
    const { totalCount, edges } = res.data!.category.products;
    expect(totalCount).toBe(size);
    expect(edges).toHaveLength(size);
    for (const { node } of edges) {
      expect(node.categories.map((c) => c.slug)).toEqual([slug, 'round-trip-extras']);
      expect(node.images).toHaveLength(2);
      expect(node.variants).toHaveLength(3);
      // The variant without images of its own shows the product's.
      expect(node.variants.map((v) => v.images.length)).toEqual([1, 2, 1]);
    }
  };
  await run();
  const deltas: Record<string, number>[] = [];
  for (let i = 0; i < 3; i += 1) {
    const before = proxy.snapshot();
    await run();
    await sleep(50);
    const after = proxy.snapshot();
    deltas.push(Object.fromEntries(Object.keys(after).map((k) => [k, (after[k] ?? 0) - (before[k] ?? 0)])));
  }
  const total = (d: Record<string, number>) => roundTrips('mongo', d);
  return deltas.reduce((min, d) => (total(d) < total(min) ? d : min));
}

describe('datastore round trips of a category page', () => {
  it('5 and 20 products with variants, images and categories cost the same 3 round trips', async () => {
    const five = await measure('rt-five', 5);
    const twenty = await measure('rt-twenty', 20);
    const requests = (d: Record<string, number>) =>
      Object.fromEntries(
        Object.entries(d).filter(([kind, n]) => n > 0 && roundTrips('mongo', { [kind]: n }) > 0),
      );
    // The tree (categories), the page (products), the count.
    expect(roundTrips('mongo', five)).toBe(3);
    expect(roundTrips('mongo', twenty)).toBe(3);
    expect(requests(twenty)).toEqual(requests(five));
    expect(requests(twenty)).toEqual({ find: 2, aggregate: 1 }); // countDocuments is an aggregate
  });
});
