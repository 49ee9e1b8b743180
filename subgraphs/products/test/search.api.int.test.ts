import { bootProducts, categoryId, type Booted } from './helpers';
import { addSearchable } from './search.helpers';

/**
 * Search through the products subgraph's GraphQL API (as the router sends it): the default order
 * with a search, totalCount, both paging directions, the category filter by slug, and what an
 * attacker sends (too long, NUL, lone surrogates, regex, forged and foreign cursors).
 */

let t: Booted;

beforeAll(async () => {
  t = await bootProducts('searchapi');
  await addSearchable(t, {
    name: 'Walnut Cutting Board',
    description: 'oiled walnut',
    amount: 4500,
    category: 'kitchen',
  });
  await addSearchable(t, {
    name: 'Walnut Bowl',
    description: 'turned by hand',
    amount: 2500,
    category: 'kitchen',
  });
  await addSearchable(t, {
    name: 'Oak Shelf',
    description: 'pairs with walnut boards',
    amount: 7000,
    category: 'home',
  });
  for (let i = 0; i < 7; i += 1)
    await addSearchable(t, { name: `Walnut Coaster ${i}`, amount: 500 + i, stock: i % 2, category: 'home' });
});
afterAll(async () => {
  await t.cleanup();
});

interface Page {
  products: {
    totalCount: number;
    edges: {
      cursor: string;
      node: { id: string; name: string; inStock: boolean; price: { amount: number } };
    }[];
    pageInfo: {
      hasNextPage: boolean;
      hasPreviousPage: boolean;
      startCursor: string | null;
      endCursor: string | null;
    };
  };
}
const PAGE = `query Page($first: Int, $after: String, $last: Int, $before: String, $filter: ProductFilter, $sort: ProductSort) {
  products(first: $first, after: $after, last: $last, before: $before, filter: $filter, sort: $sort) {
    totalCount
    edges { cursor node { id name inStock price { amount } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;
const search = (variables: Record<string, unknown>) => t.query<Page>(PAGE, variables);
const codeOf = (res: { errors?: { extensions?: Record<string, unknown> }[] }) =>
  res.errors?.[0]?.extensions?.code;

it('ranks by relevance by default with a search (name above description), with totalCount', async () => {
  const res = await search({ first: 3, filter: { search: 'WALNUT boards' } });
  expect(res.errors).toBeUndefined();
  expect(res.data!.products.edges.map((e) => e.node.name)).toEqual(['Walnut Cutting Board', 'Oak Shelf']);
  const all = await search({ first: 2, filter: { search: 'walnut' } });
  expect(all.data!.products.totalCount).toBe(10);
  expect(all.data!.products.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
});

it('pages forward then back with last/before to the same products', async () => {
  const first = await search({ first: 4, filter: { search: 'walnut' }, sort: 'PRICE_ASC' });
  const second = await search({
    first: 4,
    after: first.data!.products.pageInfo.endCursor,
    filter: { search: 'walnut' },
    sort: 'PRICE_ASC',
  });
  const back = await search({
    last: 4,
    before: second.data!.products.pageInfo.startCursor,
    filter: { search: 'walnut' },
    sort: 'PRICE_ASC',
  });
  expect(back.data!.products.edges.map((e) => e.node.id)).toEqual(
    first.data!.products.edges.map((e) => e.node.id),
  );
  const prices = [...first.data!.products.edges, ...second.data!.products.edges].map(
    (e) => e.node.price.amount,
  );
  expect(prices).toEqual([...prices].sort((a, b) => a - b));
});

it('combines with a category slug and inStock', async () => {
  const kitchen = await search({ first: 10, filter: { search: 'walnut', category: 'kitchen' } });
  expect(kitchen.data!.products.edges.map((e) => e.node.name).sort()).toEqual([
    'Walnut Bowl',
    'Walnut Cutting Board',
  ]);
  expect(kitchen.data!.products.totalCount).toBe(2);
  const byId = await search({
    first: 10,
    filter: { search: 'coaster', categoryId: await categoryId(t, 'home'), inStock: true },
  });
  expect(byId.data!.products.edges.map((e) => e.node.inStock)).toEqual([true, true, true]);
  expect(byId.data!.products.totalCount).toBe(3);
  const unknown = await search({ first: 10, filter: { search: 'walnut', category: 'no-such-category' } });
  expect(unknown.data!.products).toMatchObject({ edges: [], totalCount: 0 });
});

it('refuses a search over 200 characters with BAD_USER_INPUT', async () => {
  const res = await search({ first: 5, filter: { search: 'w'.repeat(201) } });
  expect(codeOf(res)).toBe('BAD_USER_INPUT');
  const ok = await search({ first: 5, filter: { search: `walnut ${'w'.repeat(193)}` } });
  expect(ok.errors).toBeUndefined();
  expect(ok.data!.products.totalCount).toBe(0);
});

it.each([
  ['NUL', 'walnut\u0000'],
  ['a lone surrogate', 'walnut\uD83D'],
  ['a bell', '\u0007walnut'],
])('a search with %s matches nothing, without an error', async (_, text) => {
  const res = await search({ first: 5, filter: { search: text } });
  expect(res.errors).toBeUndefined();
  expect(res.data!.products).toMatchObject({ edges: [], totalCount: 0 });
});

it('regex metacharacters are not patterns', async () => {
  const res = await search({ first: 20, filter: { search: 'walnut.*|oak' } });
  expect(res.errors).toBeUndefined();
  // the words "walnut" and "oak", both required: only the shelf has both (oak in its name, walnut in its text)
  expect(res.data!.products.edges.map((e) => e.node.name)).toEqual(['Oak Shelf']);
});

it('refuses forged cursors and cursors of the plain list with BAD_USER_INPUT', async () => {
  const plain = await search({ first: 1, sort: 'NEWEST' });
  const listCursor = plain.data!.products.pageInfo.endCursor;
  const searched = await search({ first: 1, filter: { search: 'walnut' }, sort: 'NEWEST' });
  const searchCursor = searched.data!.products.pageInfo.endCursor;
  for (const [after, filter] of [
    [listCursor, { search: 'walnut' }],
    [searchCursor, {}],
    ['bm90IGpzb24', { search: 'walnut' }],
    [Buffer.from(JSON.stringify(['q', 'NEWEST', 1, 'x'])).toString('base64url'), { search: 'walnut' }],
  ] as const) {
    const res = await search({ first: 5, after, filter, sort: 'NEWEST' });
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
  }
  const otherSort = await search({
    first: 5,
    after: searchCursor,
    filter: { search: 'walnut' },
    sort: 'PRICE_ASC',
  });
  expect(codeOf(otherSort)).toBe('BAD_USER_INPUT');
});
