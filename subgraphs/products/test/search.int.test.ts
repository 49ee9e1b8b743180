import mongoose from 'mongoose';
import { PRODUCT_SORTS, type ProductModel, type ProductSort } from '../src/models';
import { bootProducts, categoryId, type Booted } from './helpers';
import { addSearchable, filterOf, names, pageThrough, searchPage } from './search.helpers';

/**
 * The search engine (products.search.ts) on the keyword index (search.repository.ts), on FerretDB:
 * matching (word order, case, accents, plurals, AND, prefixes), ranking, filters and sorts, paging,
 * cursors and hostile text. The index's maintenance (updates, crashes, start-up) is in
 * search.index.int.test.ts; the API in search.api.int.test.ts.
 */

let t: Booted;
const made: Record<string, ProductModel> = {};

beforeAll(async () => {
  t = await bootProducts('search');
  const add = async (key: string, p: Parameters<typeof addSearchable>[1]) => {
    made[key] = await addSearchable(t, p);
  };
  await add('soap', {
    name: 'Olive Oil Soap',
    description: 'Cold-process soap made with 80% olive oil.',
    sku: 'BEAU-SOAP-006',
    amount: 690,
    category: 'beauty',
  });
  await add('soapSet', {
    name: 'Soaps Gift Box',
    description: 'Three handmade soaps in a wooden box.',
    amount: 1990,
    category: 'beauty',
  });
  await add('dish', {
    name: 'Ceramic Dish',
    description: 'A dish for your soap, glazed by hand.',
    amount: 1200,
    category: 'home',
  });
  await add('creme', {
    name: 'Crème Brûlée Torch',
    description: 'Caramelises sugar in seconds.',
    amount: 2990,
    category: 'kitchen',
  });
  await add('berries', {
    name: 'Berry Bowl',
    description: 'Colander for berries and cherries.',
    amount: 1500,
    category: 'kitchen',
  });
  await add('glasses', {
    name: 'Wine Glasses Set',
    description: 'Four glasses, lead-free crystal.',
    amount: 3990,
    stock: 0,
    category: 'kitchen',
  });
  await add('boxes', {
    name: 'Storage Boxes',
    description: 'Stackable boxes with lids.',
    amount: 2490,
    category: 'home',
  });
  await add('blanket', {
    name: 'Wool Blanket',
    description: 'Soft wool throw.',
    amount: 5900,
    category: 'home',
  });
  await add('blocks', {
    name: 'Wooden Building Blocks',
    description: 'A box of 100 blocks.',
    amount: 2990,
    category: 'toys',
  });
});
afterAll(async () => {
  await t.cleanup();
});

/** Changes the stock in the store as a reservation does (no index write). */
const setStock = (id: string, stock: number) =>
  t.store.collection('products').updateOne({ _id: new mongoose.Types.ObjectId(id) } as never, {
    $set: { stock, 'variants.0.stock': stock },
  });

const idsOf = async (search: string, sort?: ProductSort) =>
  (await searchPage(t, filterOf(search), sort, { first: 100 })).edges.map((e) => e.node.id);

describe('matching', () => {
  it('finds words in any order, ignoring letter case and accents', async () => {
    expect(await names(t, 'soap olive')).toEqual(['Olive Oil Soap']);
    expect(await names(t, 'OLIVE soap')).toEqual(['Olive Oil Soap']);
    expect(await names(t, 'creme brulee')).toEqual(['Crème Brûlée Torch']);
    expect(await names(t, 'CRÈME')).toEqual(['Crème Brûlée Torch']);
    expect(await names(t, 'torch  BRÛLÉE')).toEqual(['Crème Brûlée Torch']);
  });

  it('matches plurals and singulars both ways', async () => {
    expect(await names(t, 'soaps')).toEqual(expect.arrayContaining(['Olive Oil Soap', 'Soaps Gift Box']));
    expect(await names(t, 'berry')).toEqual(['Berry Bowl']);
    expect(await names(t, 'berries')).toEqual(['Berry Bowl']);
    expect(await names(t, 'glass')).toEqual(['Wine Glasses Set']);
    expect(await names(t, 'box storage')).toEqual(['Storage Boxes']);
  });

  it('every word must match (AND)', async () => {
    expect(await names(t, 'wool blanket')).toEqual(['Wool Blanket']);
    expect(await names(t, 'wool soap')).toEqual([]);
    expect(await names(t, 'soap unicorn')).toEqual([]);
    expect(await names(t, 'unicorn')).toEqual([]);
  });

  it('stop words alone match nothing; among other words they are ignored', async () => {
    expect(await names(t, 'the and of')).toEqual([]);
    expect(await names(t, 'the wool of blanket')).toEqual(['Wool Blanket']);
  });

  it('the last word also matches as the start of a longer word (search-as-you-type)', async () => {
    expect(await names(t, 'wooden bui')).toEqual(['Wooden Building Blocks']);
    expect(await names(t, 'blan')).toEqual(['Wool Blanket']);
    // only the last word: an earlier unfinished word must match whole
    expect(await names(t, 'blan wool')).toEqual([]);
  });

  it('finds a product by any of its SKUs, exactly or by its parts', async () => {
    expect(await names(t, 'BEAU-SOAP-006')).toEqual(['Olive Oil Soap']);
    expect(await names(t, 'beau-soap-006')).toEqual(['Olive Oil Soap']);
    const multi = await addSearchable(t, { name: 'Trail Shoe', skus: ['TRL-40', 'TRL-41', 'TRL-42'] });
    expect(await idsOf('TRL-41')).toEqual([multi.id]);
  });
});

describe('ranking', () => {
  it('puts name matches above description matches, ties by id', async () => {
    // "soap" is in the names of soap and soapSet and only in the description of dish
    const ids = await idsOf('soap');
    expect(ids).toHaveLength(3);
    expect(ids[2]).toBe(made.dish!.id);
    expect(ids.slice(0, 2)).toEqual([made.soap!.id, made.soapSet!.id].sort());
  });

  it('puts an exact SKU match first', async () => {
    // words of the SKU in the name rank below the product whose SKU it is
    const named = await addSearchable(t, { name: 'Quokka Qk 7 Plush', sku: 'PLUSH-QK-8' });
    const exact = await addSearchable(t, { name: 'Quokka Toy', description: 'plush', sku: 'QK-7' });
    expect(await idsOf('QK-7')).toEqual([exact.id, named.id]);
  });

  it('an exact word ranks above a longer word its prefix matches', async () => {
    const longer = await addSearchable(t, { name: 'Quokkaville Map' });
    const exact = await addSearchable(t, { name: 'Quokka Map', description: 'map' });
    expect(await idsOf('map quokka')).toEqual([exact.id, longer.id]);
  });
});

describe('filters and sorts', () => {
  it('combines with a category set', async () => {
    const beauty = await categoryId(t, 'beauty');
    const home = await categoryId(t, 'home');
    expect((await names(t, 'soap', { categoryIds: [beauty] })).sort()).toEqual([
      'Olive Oil Soap',
      'Soaps Gift Box',
    ]);
    expect(await names(t, 'soap', { categoryIds: [home] })).toEqual(['Ceramic Dish']);
    expect((await names(t, 'soap', { categoryIds: [home, beauty] })).length).toBe(3);
  });

  it('combines with min/max price (inclusive)', async () => {
    expect(await names(t, 'soap', { minPrice: 690, maxPrice: 1200 }, 'PRICE_ASC')).toEqual([
      'Olive Oil Soap',
      'Ceramic Dish',
    ]);
    expect(await names(t, 'soap', { minPrice: 1201 })).toEqual(['Soaps Gift Box']);
  });

  it('combines with inStock by the live stock', async () => {
    expect(await names(t, 'glass', { inStock: true })).toEqual([]);
    expect(await names(t, 'glass', { inStock: false })).toEqual(['Wine Glasses Set']);
    // stock changed after indexing (as reservations do): the page follows the live stock
    await setStock(made.glasses!.id, 5);
    expect(await names(t, 'glass', { inStock: true })).toEqual(['Wine Glasses Set']);
    expect(await names(t, 'glass', { inStock: false })).toEqual([]);
    await setStock(made.glasses!.id, 0);
  });

  it.each([
    ['PRICE_ASC', ['Olive Oil Soap', 'Ceramic Dish', 'Soaps Gift Box']],
    ['PRICE_DESC', ['Soaps Gift Box', 'Ceramic Dish', 'Olive Oil Soap']],
    ['NAME_ASC', ['Ceramic Dish', 'Olive Oil Soap', 'Soaps Gift Box']],
    ['NEWEST', ['Ceramic Dish', 'Soaps Gift Box', 'Olive Oil Soap']],
  ] as const)('sorts by %s', async (sort, expected) => {
    expect(await names(t, 'soap', {}, sort)).toEqual(expected);
  });

  it('counts the matches over all pages', async () => {
    const page = await searchPage(t, filterOf('soap'), 'RELEVANCE', { first: 1 });
    expect(page.edges).toHaveLength(1);
    expect(await page.totalCount()).toBe(3);
    const empty = await searchPage(t, filterOf('unicorn'), 'RELEVANCE', { first: 1 });
    expect(await empty.totalCount()).toBe(0);
  });
});

describe('paging', () => {
  let all: string[];
  beforeAll(async () => {
    for (let i = 0; i < 23; i += 1)
      await addSearchable(t, {
        name: `Pager Lamp ${String.fromCharCode(97 + (i % 5))}`,
        description: i % 2 ? 'a pager lamp' : 'lamp',
        amount: 1000 + (i % 4) * 100,
        stock: i % 3,
      });
    all = await idsOf('pager');
  });

  it.each(PRODUCT_SORTS)(
    'pages forward and backward through every result exactly once (%s)',
    async (sort) => {
      const forward = await pageThrough(t, filterOf('pager'), sort, 4);
      expect(forward).toHaveLength(all.length);
      expect(new Set(forward).size).toBe(all.length);
      expect(await pageThrough(t, filterOf('pager'), sort, 5, 'backward')).toEqual(forward);
    },
  );

  it('pages with inStock, skipping what is sold out, each once', async () => {
    const inStock = await pageThrough(t, filterOf('pager', { inStock: true }), 'PRICE_ASC', 3);
    const expected = (await searchPage(t, filterOf('pager', { inStock: true }), 'PRICE_ASC', { first: 100 }))
      .edges;
    expect(inStock).toEqual(expected.map((e) => e.node.id));
    expect(new Set(inStock).size).toBe(inStock.length);
    expect(expected.every((e) => e.node.stock > 0)).toBe(true);
  });

  it('says what lies on either side of a page', async () => {
    const first = await searchPage(t, filterOf('pager'), 'NAME_ASC', { first: 5 });
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const second = await searchPage(t, filterOf('pager'), 'NAME_ASC', {
      first: 5,
      after: first.pageInfo.endCursor,
    });
    expect(second.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    const back = await searchPage(t, filterOf('pager'), 'NAME_ASC', {
      last: 5,
      before: second.pageInfo.startCursor,
    });
    expect(back.edges.map((e) => e.node.id)).toEqual(first.edges.map((e) => e.node.id));
    expect(back.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
  });
});

describe('hostile input', () => {
  const badInput = expect.objectContaining({
    extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }),
  });

  it.each([
    ['regex metacharacters', '.*'],
    ['a pattern', 'soap|wool'],
    ['brackets', '[soap]'],
  ])('%s are separators, never patterns', async (_, search) => {
    const got = await names(t, search);
    expect(got).toEqual(search === '.*' ? [] : search === 'soap|wool' ? [] : await names(t, 'soap'));
  });

  it('control characters and lone surrogates match nothing (and are not looked up)', async () => {
    expect(await names(t, 'soap\u0000')).toEqual([]);
    expect(await names(t, 'soap\uD800')).toEqual([]);
    expect(await names(t, '\uDFFFsoap')).toEqual([]);
    expect(await names(t, 'soap 😀')).toEqual(await names(t, 'soap')); // a whole emoji is a separator
  });

  it('a very long text is bounded (terms cut and counted), not an error', async () => {
    expect(await names(t, `soap ${'x'.repeat(190)}`)).toEqual([]);
    expect(await names(t, Array.from({ length: 40 }, () => 'soap').join(' '))).toHaveLength(3);
  });

  it.each([
    ['not base64 JSON', '!!!'],
    ['another shape', Buffer.from(JSON.stringify({ a: 1 })).toString('base64url')],
    ['a list cursor', Buffer.from(JSON.stringify(['RELEVANCE', 1, 'a'.repeat(24)])).toString('base64url')],
    [
      'a non-canonical id',
      Buffer.from(JSON.stringify(['q', 'RELEVANCE', 1, 'A'.repeat(24)])).toString('base64url'),
    ],
    [
      'a string key for a number sort',
      Buffer.from(JSON.stringify(['q', 'PRICE_ASC', '1', 'a'.repeat(24)])).toString('base64url'),
    ],
    [
      'an infinite key',
      Buffer.from('["q","RELEVANCE",1e999,"' + 'a'.repeat(24) + '"]').toString('base64url'),
    ],
    [
      'another sort',
      Buffer.from(JSON.stringify(['q', 'NAME_ASC', 'x', 'a'.repeat(24)])).toString('base64url'),
    ],
  ])('refuses a forged cursor (%s) with BAD_USER_INPUT', async (_, cursor) => {
    await expect(searchPage(t, filterOf('soap'), 'RELEVANCE', { first: 5, after: cursor })).rejects.toEqual(
      badInput,
    );
    await expect(searchPage(t, filterOf('soap'), 'RELEVANCE', { last: 5, before: cursor })).rejects.toEqual(
      badInput,
    );
  });

  it('a well-formed cursor from nowhere just positions the page', async () => {
    const cursor = Buffer.from(JSON.stringify(['q', 'RELEVANCE', 3, 'f'.repeat(24)])).toString('base64url');
    const page = await searchPage(t, filterOf('soap'), 'RELEVANCE', { first: 5, after: cursor });
    expect(page.edges.map((e) => e.node.id)).toEqual([made.dish!.id]); // after every score-4+ match
  });

  it('refuses page sizes out of bounds and mixed directions', async () => {
    await expect(searchPage(t, filterOf('soap'), 'RELEVANCE', { first: 101 })).rejects.toEqual(badInput);
    await expect(searchPage(t, filterOf('soap'), 'RELEVANCE', { last: -1 })).rejects.toEqual(badInput);
    await expect(searchPage(t, filterOf('soap'), 'RELEVANCE', { first: 1, last: 1 })).rejects.toEqual(
      badInput,
    );
  });
});
