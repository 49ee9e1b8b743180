/**
 * What shoppers see of stock (issue 18): `availability` (IN_STOCK / LOW_STOCK / OUT_OF_STOCK at
 * LOW_STOCK_THRESHOLD, here 3) and `inStock` for everyone, the exact `stock` only for administrators
 * (null for anonymous callers and customers), in lookups, lists and entities alike. A product's
 * availability is over all its variants.
 */
import type { Booted } from './helpers';

const { addProduct, admin, bootProducts, customer } = await import('./helpers');

let t: Booted;
beforeAll(async () => {
  t = await bootProducts('prodavail', { LOW_STOCK_THRESHOLD: '3' });
});
afterAll(async () => {
  await t.cleanup();
});

interface Seen {
  id: string;
  stock: number | null;
  inStock: boolean;
  availability: string;
}
const FIELDS = 'id stock inStock availability';

describe('availability and stock visibility', () => {
  it('availability follows the threshold; stock is null unless the viewer is an admin', async () => {
    const expected: [number, string][] = [
      [0, 'OUT_OF_STOCK'],
      [1, 'LOW_STOCK'],
      [3, 'LOW_STOCK'],
      [4, 'IN_STOCK'],
      [500, 'IN_STOCK'],
    ];
    for (const [stock, availability] of expected) {
      const p = await addProduct(t, { stock });
      const q = `query($id: ID!) { product(id: $id) { ${FIELDS} } }`;
      for (const [viewer, shown] of [
        [undefined, null],
        [customer, null],
        [admin, stock],
      ] as const) {
        const res = await t.query<{ product: Seen }>(q, { id: p.id }, viewer);
        expect(res.errors).toBeUndefined();
        expect(res.data!.product).toEqual({ id: p.id, stock: shown, inStock: stock > 0, availability });
      }
    }
  });

  it('lists and _entities hide the count the same way', async () => {
    const p = await addProduct(t, { stock: 2, category: 'visibility' });
    const list = `{ products(first: 10, filter: { category: "visibility" }) { edges { node { ${FIELDS} } } } }`;
    const entities = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { ${FIELDS} } } }`;
    for (const [viewer, shown] of [
      [undefined, null],
      [customer, null],
      [admin, 2],
    ] as const) {
      const page = await t.query<{ products: { edges: { node: Seen }[] } }>(list, undefined, viewer);
      expect(page.data!.products.edges.map((e) => e.node)).toEqual([
        { id: p.id, stock: shown, inStock: true, availability: 'LOW_STOCK' },
      ]);
      const refs = await t.query<{ _entities: Seen[] }>(
        entities,
        { r: [{ __typename: 'Product', id: p.id }] },
        viewer,
      );
      expect(refs.data!._entities).toEqual([
        { id: p.id, stock: shown, inStock: true, availability: 'LOW_STOCK' },
      ]);
    }
  });

  it('a product with variants is available over all of them', async () => {
    const res = await t.query<{ createProduct: { __typename: string; id: string } }>(
      `mutation($input: CreateProductInput!) { createProduct(input: $input) { __typename ... on Product { id } ... on Error { message } } }`,
      {
        input: {
          sku: 'AVAIL-TEE-S',
          name: 'Availability Tee',
          price: { amount: 1000, currency: 'EUR' },
          category: 'visibility',
          options: [{ name: 'Size', values: ['S', 'M'] }],
          variants: [
            {
              sku: 'AVAIL-TEE-S',
              selectedOptions: [{ name: 'Size', value: 'S' }],
              price: { amount: 1000, currency: 'EUR' },
              stock: 0,
            },
            {
              sku: 'AVAIL-TEE-M',
              selectedOptions: [{ name: 'Size', value: 'M' }],
              price: { amount: 1000, currency: 'EUR' },
              stock: 2,
            },
          ],
        },
      },
      admin,
    );
    expect(res.data!.createProduct.__typename).toBe('Product');
    const q = `query($id: ID!) { product(id: $id) { ${FIELDS} } }`;
    const seen = await t.query<{ product: Seen }>(q, { id: res.data!.createProduct.id });
    expect(seen.data!.product).toMatchObject({ stock: null, inStock: true, availability: 'LOW_STOCK' });
    const byAdmin = await t.query<{ product: Seen }>(q, { id: res.data!.createProduct.id }, admin);
    expect(byAdmin.data!.product).toMatchObject({ stock: 2 });
  });
});
