import { gql, type GraphQLResponse } from '@shop/testing';
import mongoose from 'mongoose';
import { admin, type Booted } from './helpers';

const { addProduct, bootProducts, listAll } = await import('./helpers');
const { demoCatalogue } = await import('../src/seed-data');

let t: Booted;

beforeAll(async () => {
  t = await bootProducts('prodcat', { SEED_IF_EMPTY: 'true' });
});
afterAll(async () => {
  await t.cleanup();
});

interface Page {
  products: {
    edges: {
      cursor: string;
      node: {
        id: string;
        sku: string;
        name: string;
        inStock: boolean;
        price: { amount: number; currency: string };
      };
    }[];
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
  };
}
const PAGE = `query Page($first: Int, $after: String, $filter: ProductFilter, $sort: ProductSort) {
  products(first: $first, after: $after, filter: $filter, sort: $sort) {
    edges { cursor node { id sku name inStock price { amount currency } } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}`;

async function pageAll(variables: Record<string, unknown>, between?: () => Promise<void>) {
  const ids: string[] = [];
  const nodes: Page['products']['edges'][number]['node'][] = [];
  let after: string | null = null;
  for (let i = 0; i < 1000; i += 1) {
    const res: GraphQLResponse<Page> = await t.query<Page>(PAGE, { ...variables, after });
    expect(res.errors).toBeUndefined();
    const { edges, pageInfo } = res.data!.products;
    ids.push(...edges.map((e) => e.node.id));
    nodes.push(...edges.map((e) => e.node));
    if (!pageInfo.hasNextPage) break;
    after = pageInfo.endCursor;
    await between?.();
  }
  return { ids, nodes };
}

describe('catalogue queries', () => {
  it('seeds the demo catalogue into an empty database', async () => {
    expect(await t.app.repository.count()).toBe(demoCatalogue.length);
    expect(demoCatalogue.length).toBeGreaterThanOrEqual(60);
  });

  it.each(['NEWEST', 'PRICE_ASC', 'PRICE_DESC', 'NAME_ASC'])(
    'pages through the whole catalogue once (sort %s)',
    async (sort) => {
      const total = await t.app.repository.count();
      const { ids, nodes } = await pageAll({ first: 7, sort });
      expect(ids).toHaveLength(total);
      expect(new Set(ids).size).toBe(total);
      if (sort === 'PRICE_ASC') {
        const prices = nodes.map((n) => n.price.amount);
        expect(prices).toEqual([...prices].sort((a, b) => a - b));
      }
      if (sort === 'NAME_ASC') {
        const names = nodes.map((n) => n.name);
        expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      }
    },
  );

  it('returns every product exactly once while products are being added', async () => {
    for (const sort of ['PRICE_ASC', 'NEWEST'] as const) {
      const before = new Set((await listAll(t, sort, 10_000)).map((p) => p.id));
      const added: string[] = [];
      const { ids } = await pageAll({ first: 5, sort }, async () => {
        // Between pages: products that sort before, after and between the pages seen so far.
        const batch = await Promise.all(
          [1, 50_000, Math.floor(Math.random() * 20_000)].map((amount) =>
            addProduct(t, { amount, stock: 1 }),
          ),
        );
        added.push(...batch.map((p) => p.id));
      });
      expect(new Set(ids).size).toBe(ids.length); // no duplicates
      for (const id of before) expect(ids).toContain(id); // nothing that existed is skipped
      for (const id of ids) expect(before.has(id) || added.includes(id)).toBe(true);
    }
  }, 90_000); // about 90 inserts, each claiming its slug and SKU and indexing its words

  it('filters by case-insensitive search (regex characters are literal), category, stock and price', async () => {
    const search = await t.query<Page>(PAGE, { first: 100, filter: { search: 'HEADPHONES' } });
    expect(search.data!.products.edges.map((e) => e.node.sku)).toEqual(['ELEC-HEAD-001']);

    const literal = await t.query<Page>(PAGE, { first: 100, filter: { search: '.*' } });
    expect(literal.data!.products.edges).toHaveLength(0);

    const books = await t.query<Page>(PAGE, { first: 100, filter: { category: 'books' } });
    expect(books.data!.products.edges.map((e) => e.node.sku).sort()).toEqual(
      // A category's products include its sub-categories' (Books > Programming).
      demoCatalogue
        .filter((p) => p.categorySlugs.some((slug) => slug === 'books' || slug === 'programming'))
        .map((p) => p.variants[0]!.sku)
        .sort(),
    );

    const soldOut = await t.query<Page>(PAGE, { first: 100, filter: { inStock: false } });
    expect(soldOut.data!.products.edges.length).toBeGreaterThan(0);
    expect(soldOut.data!.products.edges.every((e) => !e.node.inStock)).toBe(true);

    const range = await t.query<Page>(PAGE, { first: 100, filter: { minPrice: 1000, maxPrice: 2000 } });
    const prices = range.data!.products.edges.map((e) => e.node.price.amount);
    expect(prices.length).toBeGreaterThan(0);
    expect(prices.every((p) => p >= 1000 && p <= 2000)).toBe(true);
  });

  it('a search with a control character or a lone surrogate matches nothing, without an error', async () => {
    // No stored text holds either, so nothing can match; a NUL byte used to reach the regex (500).
    for (const search of ['head\u0000phones', '\u0000', 'head\u0007', 'x\uD800y', 'Headphones\uDC00']) {
      const res = await t.query<Page>(PAGE, { first: 100, filter: { search } });
      expect({ errors: res.errors, edges: res.data?.products.edges }).toEqual({
        errors: undefined,
        edges: [],
      });
    }
    // Tab and line breaks may be part of a description, so they are still searched for.
    const p = await addProduct(t);
    await t.app.repository.update(p.id, { description: 'first line\nsecond line' });
    const layout = await t.query<Page>(PAGE, { first: 100, filter: { search: 'line\nsecond' } });
    expect(layout.data!.products.edges.map((e) => e.node.id)).toEqual([p.id]);
  });

  it('refuses a page above 100, a foreign cursor and a bad price range with BAD_USER_INPUT', async () => {
    const big = await t.query(PAGE, { first: 101 });
    expect(big.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const first = await t.query<Page>(PAGE, { first: 1, sort: 'NEWEST' });
    const foreign = await t.query(PAGE, {
      first: 1,
      sort: 'PRICE_ASC',
      after: first.data!.products.pageInfo.endCursor,
    });
    expect(foreign.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const garbage = await t.query(PAGE, { first: 1, after: 'not-a-cursor' });
    expect(garbage.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const range = await t.query(PAGE, { filter: { minPrice: 10, maxPrice: 5 } });
    expect(range.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('product(id) returns the product, null for unknown and malformed ids', async () => {
    const p = await addProduct(t, { stock: 0 });
    const q = `query($id: ID!) { product(id: $id) { id sku stock inStock createdAt } }`;
    type Found = { product: { id: string; sku: string; stock: number | null; inStock: boolean } };
    const found = await t.query<Found>(q, { id: p.id }, admin);
    expect(found.data!.product).toMatchObject({ id: p.id, sku: p.sku, stock: 0, inStock: false });
    // The exact count is for administrators; shoppers see inStock (and availability).
    const anonymous = await t.query<Found>(q, { id: p.id });
    expect(anonymous.data!.product).toMatchObject({ id: p.id, stock: null, inStock: false });
    for (const id of ['0123456789abcdef01234567', 'nope', '']) {
      const res = await t.query(q, { id });
      expect(res.errors).toBeUndefined();
      expect(res.data).toEqual({ product: null });
    }
  });

  it('_entities for 100 product ids costs one datastore query; malformed and unknown ids are null', async () => {
    const ids = (await listAll(t, 'NEWEST', 98)).map((p) => p.id);
    expect(ids).toHaveLength(98);
    const representations = [...ids, 'not-an-id', 'ffffffffffffffffffffffff'].map((id) => ({
      __typename: 'Product',
      id,
    }));
    // Counted where mongoose hands every collection call to the driver (its debug hook, in this
    // test's module registry, so only this file's app): finds on the products collection.
    let finds = 0;
    mongoose.set('debug', (collectionName: string, method: string) => {
      if (collectionName === 'products' && method === 'find') finds += 1;
    });
    try {
      const res = await t.query<{ _entities: ({ id: string; name: string } | null)[] }>(
        `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id name price { amount } } } }`,
        { r: representations },
      );
      expect(res.errors).toBeUndefined();
      expect(res.data!._entities).toHaveLength(100);
      expect(res.data!._entities.slice(0, 98).map((e) => e?.id)).toEqual(ids);
      expect(res.data!._entities.slice(98)).toEqual([null, null]);
    } finally {
      mongoose.set('debug', false);
    }
    expect(finds).toBe(1);
  });

  it('_entities answers null for ids that are not strings, without failing the rest of the batch', async () => {
    const [known] = await listAll(t, 'NEWEST', 1);
    const ids: unknown[] = [known!.id, { $gt: '' }, 42, null, '', ['x'], known!.id.toUpperCase()];
    const res = await t.query<{ _entities: ({ id: string } | null)[] }>(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id } } }`,
      { r: ids.map((id) => ({ __typename: 'Product', id })) },
    );
    expect(res.errors).toBeUndefined();
    // The upper-case spelling of a known id names nothing: only the id as issued does.
    expect(res.data!._entities).toEqual([{ id: known!.id }, null, null, null, null, null, null]);
  });

  it('serves the Federation 2 SDL with @key and the public tags', async () => {
    const res = await t.query<{ _service: { sdl: string } }>('{ _service { sdl } }');
    const sdl = res.data!._service.sdl;
    expect(sdl).toMatch(/type Product\s+@key\(fields: "id"\)\s+@tag\(name: "public"\)/);
    expect(sdl).toMatch(/ stock: Int\n/); // untagged: not in the partner contract (and null for non-admins)
    expect(sdl).toMatch(/ inStock: Boolean! @tag\(name: "public"\)/);
    expect(sdl).toContain('federation/v2.9');
  });
});

describe('HTTP edge', () => {
  it('refuses GraphQL requests without the router secret, and with a wrong one', async () => {
    for (const headers of [{}, { 'x-router-secret': 'wrong-secret-wrong-secret' }] as Record<
      string,
      string
    >[]) {
      const res = await gql(t.url, '{ products { edges { cursor } } }', undefined, headers);
      expect(res.status).toBe(403);
      expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(res.data ?? null).toBeNull();
    }
  });

  it('answers a bad token with UNAUTHENTICATED', async () => {
    const res = await gql(t.url, '{ products { edges { cursor } } }', undefined, {
      'x-router-secret': 'test-router-secret-0123456789',
      authorization: 'Bearer abc.def.ghi',
    });
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('reports parse and validation errors with their codes, without schema suggestions', async () => {
    const parse = await t.query('{ products { ');
    expect(parse.status).toBe(400);
    expect(parse.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    const invalid = await t.query('{ productz { edges { cursor } } }');
    expect(invalid.status).toBe(400);
    expect(invalid.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(invalid.errors?.[0]?.message).not.toMatch(/Did you mean/);
    const variables = await t.query(PAGE, { first: 'many' });
    expect(variables.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('serves /healthz and /readyz without the secret, and sets a request id', async () => {
    const base = t.url.replace(/\/graphql$/, '');
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    const res = await gql(t.url, '{ products(first: 1) { edges { cursor } } }', undefined, {
      'x-router-secret': 'test-router-secret-0123456789',
      'x-request-id': 'req-123',
    });
    expect(res.headers.get('x-request-id')).toBe('req-123');
  });
});
