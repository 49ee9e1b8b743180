/**
 * Connections (issue 18): `last`/`before` keyset paging backwards gives the same list as paging
 * forwards, with hasPreviousPage/hasNextPage/startCursor/endCursor right at both ends and from the
 * middle (also when the cursor's product is gone or moved), for `products` and `Category.products`;
 * `totalCount` counts what the filter matches and is only counted when asked for; an unknown category
 * is an empty page without a query.
 */
import mongoose from 'mongoose';
import type { Booted } from './helpers';

const { addProduct, admin, bootProducts } = await import('./helpers');

let t: Booted;
beforeAll(async () => {
  t = await bootProducts('prodpage', { SEED_IF_EMPTY: 'true' });
  // Ties in every sort key: equal prices and names, so the _id tie-break is exercised.
  for (let i = 0; i < 6; i += 1)
    await addProduct(t, { amount: 4242, name: 'Tied Name', category: 'kitchen' });
});
afterAll(async () => {
  await t.cleanup();
});

interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}
interface Page {
  edges: { cursor: string; node: { id: string } }[];
  pageInfo: PageInfo;
}
const PAGE = `query($first: Int, $after: String, $last: Int, $before: String, $filter: ProductFilter, $sort: ProductSort) {
  products(first: $first, after: $after, last: $last, before: $before, filter: $filter, sort: $sort) {
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

async function page(variables: Record<string, unknown>): Promise<Page> {
  const res = await t.query<{ products: Page }>(PAGE, variables);
  expect(res.errors).toBeUndefined();
  return res.data!.products;
}

/** Every page forwards: the ids in list order and each page's pageInfo. */
async function forwards(variables: Record<string, unknown>, size: number) {
  const ids: string[] = [];
  const infos: PageInfo[] = [];
  let after: string | null = null;
  for (let i = 0; i < 100; i += 1) {
    const p = await page({ ...variables, first: size, after });
    ids.push(...p.edges.map((e) => e.node.id));
    infos.push(p.pageInfo);
    expect(p.pageInfo.startCursor).toBe(p.edges[0]?.cursor ?? null);
    expect(p.pageInfo.endCursor).toBe(p.edges.at(-1)?.cursor ?? null);
    if (!p.pageInfo.hasNextPage) break;
    after = p.pageInfo.endCursor;
  }
  return { ids, infos };
}

/** Every page backwards from the end (last/before): the ids in list order and each page's pageInfo. */
async function backwards(variables: Record<string, unknown>, size: number) {
  const ids: string[] = [];
  const infos: PageInfo[] = [];
  let before: string | null = null;
  for (let i = 0; i < 100; i += 1) {
    const p = await page({ ...variables, last: size, before });
    ids.unshift(...p.edges.map((e) => e.node.id));
    infos.push(p.pageInfo);
    expect(p.pageInfo.startCursor).toBe(p.edges[0]?.cursor ?? null);
    expect(p.pageInfo.endCursor).toBe(p.edges.at(-1)?.cursor ?? null);
    if (!p.pageInfo.hasPreviousPage) break;
    before = p.pageInfo.startCursor;
  }
  return { ids, infos };
}

describe('last/before', () => {
  it.each(['NEWEST', 'PRICE_ASC', 'PRICE_DESC', 'NAME_ASC'])(
    'paging backwards gives the forward list, with the page flags right at both ends (%s)',
    async (sort) => {
      const total = await t.app.repository.count();
      const fwd = await forwards({ sort }, 7);
      const back = await backwards({ sort }, 7);
      expect(fwd.ids).toHaveLength(total);
      expect(new Set(fwd.ids).size).toBe(total);
      expect(back.ids).toEqual(fwd.ids);
      // Forward: only the first page has nothing before it, only the last nothing after it.
      expect(fwd.infos.map((i) => i.hasPreviousPage)).toEqual(fwd.infos.map((_, n) => n > 0));
      expect(fwd.infos.map((i) => i.hasNextPage)).toEqual(fwd.infos.map((_, n) => n < fwd.infos.length - 1));
      // Backward from the end: the first page read is the list's last (nothing after it).
      expect(back.infos.map((i) => i.hasNextPage)).toEqual(back.infos.map((_, n) => n > 0));
      expect(back.infos.map((i) => i.hasPreviousPage)).toEqual(
        back.infos.map((_, n) => n < back.infos.length - 1),
      );
    },
  );

  it('from the middle: before the first cursor of a page are exactly the rows before it', async () => {
    const all = (await forwards({ sort: 'PRICE_ASC' }, 100)).ids;
    const middle = await page({
      sort: 'PRICE_ASC',
      first: 10,
      after: (await page({ sort: 'PRICE_ASC', first: 20 })).pageInfo.endCursor,
    });
    expect(middle.edges.map((e) => e.node.id)).toEqual(all.slice(20, 30));
    const previous = await page({ sort: 'PRICE_ASC', last: 5, before: middle.pageInfo.startCursor });
    expect(previous.edges.map((e) => e.node.id)).toEqual(all.slice(15, 20));
    expect(previous.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });
    const head = await page({ sort: 'PRICE_ASC', last: 50, before: middle.pageInfo.startCursor });
    expect(head.edges.map((e) => e.node.id)).toEqual(all.slice(0, 20));
    expect(head.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true });
    // last without before: the end of the list.
    const tail = await page({ sort: 'PRICE_ASC', last: 3 });
    expect(tail.edges.map((e) => e.node.id)).toEqual(all.slice(-3));
    expect(tail.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    expect((await page({ sort: 'PRICE_ASC', last: 0 })).edges).toEqual([]);
  });

  it('a cursor whose product is gone or moved still pages from its place, and the flags are right', async () => {
    const a = await addProduct(t, { amount: 1, name: 'Cheapest A' });
    const b = await addProduct(t, { amount: 1, name: 'Cheapest B' });
    const first = await page({ sort: 'PRICE_ASC', first: 2 });
    expect(first.edges.map((e) => e.node.id).sort()).toEqual([a.id, b.id].sort());
    const [firstCursor, secondCursor] = first.edges.map((e) => e.cursor);
    const next = await page({ sort: 'PRICE_ASC', first: 3, after: secondCursor });
    // The second product disappears: paging after its cursor still continues after its place.
    await t.store
      .collection('products')
      .deleteOne({ _id: new mongoose.Types.ObjectId(first.edges[1]!.node.id) });
    const afterGone = await page({ sort: 'PRICE_ASC', first: 3, after: secondCursor });
    expect(afterGone.edges.map((e) => e.node.id)).toEqual(next.edges.map((e) => e.node.id));
    expect(afterGone.pageInfo.hasPreviousPage).toBe(true); // the first product is still before it
    // The first product moves to the end of the list: nothing precedes the deleted one's place any more.
    await t.store
      .collection('products')
      .updateOne(
        { _id: new mongoose.Types.ObjectId(first.edges[0]!.node.id) },
        { $set: { 'price.amount': 999_999 } },
      );
    const lonely = await page({ sort: 'PRICE_ASC', first: 3, after: secondCursor });
    expect(lonely.pageInfo.hasPreviousPage).toBe(false);
    const beforeGone = await page({ sort: 'PRICE_ASC', last: 3, before: firstCursor });
    expect(beforeGone).toMatchObject({ edges: [], pageInfo: { hasPreviousPage: false, hasNextPage: true } });
  });

  it('refuses mixed directions, sizes outside 0-100 and foreign cursors with BAD_USER_INPUT', async () => {
    const { endCursor } = (await page({ first: 1 })).pageInfo;
    for (const variables of [
      { first: 1, last: 1 },
      { after: endCursor, last: 1 },
      { first: 1, before: endCursor },
      { last: 101 },
      { last: -1 },
      { last: 1, before: 'garbage' },
      { last: 1, before: endCursor, sort: 'PRICE_ASC' },
    ]) {
      const res = await t.query(PAGE, variables);
      expect({ variables, code: res.errors?.[0]?.extensions?.code }).toEqual({
        variables,
        code: 'BAD_USER_INPUT',
      });
    }
  });

  it('a category’s products page backwards too', async () => {
    const q = `query($last: Int, $before: String) { category(slug: "home-and-kitchen") {
      products(last: $last, before: $before, sort: NAME_ASC) { edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount } } }`;
    type C = { category: { products: Page & { totalCount: number } } };
    const ids: string[] = [];
    let before: string | null = null;
    let total = 0;
    for (let i = 0; i < 20; i += 1) {
      const res: { data?: C | null } = await t.query<C>(q, { last: 4, before });
      const p = res.data!.category.products;
      total = p.totalCount;
      ids.unshift(...p.edges.map((e) => e.node.id));
      if (!p.pageInfo.hasPreviousPage) break;
      before = p.pageInfo.startCursor;
    }
    const forward = (await forwards({ sort: 'NAME_ASC', filter: { category: 'home-and-kitchen' } }, 50)).ids;
    expect(ids).toEqual(forward);
    expect(total).toBe(forward.length);
    expect(total).toBeGreaterThan(16); // kitchen and home, with their sub-tree and the tied products
  });
});

describe('totalCount', () => {
  const COUNT = `query($filter: ProductFilter, $first: Int) { products(filter: $filter, first: $first) { totalCount edges { cursor } } }`;
  const count = async (filter: Record<string, unknown>) =>
    (await t.query<{ products: { totalCount: number } }>(COUNT, { filter, first: 1 })).data!.products
      .totalCount;

  it('counts every product the filter matches, over all pages', async () => {
    const all = await t.app.repository.count();
    expect(await count({})).toBe(all);
    const inStock = await count({ inStock: true });
    const soldOut = await count({ inStock: false });
    expect(inStock + soldOut).toBe(all);
    expect(soldOut).toBeGreaterThan(0);
    expect(await count({ category: 'kitchen', minPrice: 4242, maxPrice: 4242 })).toBe(6);
    expect(await count({ search: 'tied name' })).toBe(6);
    expect(await count({ category: 'no-such-category' })).toBe(0);
    const admins = await t.query<{ products: { totalCount: number } }>(
      COUNT,
      { filter: {}, first: 0 },
      admin,
    );
    expect(admins.data!.products.totalCount).toBe(all);
  });

  it('is counted only when selected; an unknown category reads no product at all', async () => {
    const calls: string[] = [];
    mongoose.set('debug', (collection: string, method: string) => {
      if (collection === 'products') calls.push(method);
    });
    try {
      calls.length = 0;
      await t.query(`{ products(first: 5) { edges { cursor } } }`);
      expect(calls).toEqual(['find']);
      calls.length = 0;
      await t.query(`{ products(first: 5) { totalCount edges { cursor } } }`);
      expect(calls.sort()).toEqual(['countDocuments', 'find']);
      calls.length = 0;
      const unknown = await t.query<{ products: { totalCount: number; edges: unknown[] } }>(
        `{ products(filter: { category: "nope" }) { totalCount edges { cursor } } }`,
      );
      expect(unknown.data!.products).toEqual({ totalCount: 0, edges: [] });
      expect(calls).toEqual([]);
    } finally {
      mongoose.set('debug', false);
    }
  });
});
