import type { ProductModel, ProductSort, ResolvedFilter } from '../src/models';
import type { WindowArgs } from '../src/products.paging';
import { searchProducts } from '../src/products.search';
import { slugify } from '../src/slugs';
import { categoryId, type Booted } from './helpers';

/** A product with the given text (the search tests' fixtures), through the repository's insert. */
export async function addSearchable(
  t: Booted,
  p: {
    name: string;
    description?: string;
    sku?: string;
    amount?: number;
    stock?: number;
    category?: string;
    skus?: string[];
  },
): Promise<ProductModel> {
  const n = Math.random().toString(36).slice(2, 10);
  const skus = p.skus ?? [p.sku ?? `S-${n}`];
  return t.app.repository.insert(
    {
      name: p.name,
      slug: slugify(`${p.name}-${n}`, 'product'),
      description: p.description ?? '',
      categoryIds: [await categoryId(t, p.category ?? 'misc')],
      images: [],
      options: skus.length > 1 ? [{ name: 'Size', values: skus.map((_, i) => `S${i}`) }] : [],
      variants: skus.map((sku, i) => ({
        sku,
        selectedOptions: skus.length > 1 ? [{ name: 'Size', value: `S${i}` }] : [],
        price: { amount: p.amount ?? 1000, currency: 'EUR' },
        stock: p.stock ?? 10,
        images: [],
      })),
    },
    { base: slugify(p.name, 'product') },
  );
}

export const filterOf = (search: string, more: Partial<ResolvedFilter> = {}): ResolvedFilter => ({
  search,
  categoryIds: null,
  inStock: null,
  minPrice: null,
  maxPrice: null,
  ...more,
});

/** One page straight from the search engine (what ProductsService.listProducts returns with a search). */
export const searchPage = (
  t: Booted,
  filter: ResolvedFilter,
  sort: ProductSort = 'RELEVANCE',
  args: WindowArgs = {},
) =>
  searchProducts(
    { index: t.app.repository.search, productById: (id) => t.app.repository.findById(id), log: undefined },
    filter,
    sort,
    args,
  );

/** The names of a search's first page (up to 100). */
export async function names(
  t: Booted,
  search: string,
  more: Partial<ResolvedFilter> = {},
  sort?: ProductSort,
) {
  const page = await searchPage(t, filterOf(search, more), sort, { first: 100 });
  return page.edges.map((e) => e.node.name);
}

/** Every id of a search, paging forward (or backward) `size` at a time; fails on a loop. */
export async function pageThrough(
  t: Booted,
  filter: ResolvedFilter,
  sort: ProductSort,
  size: number,
  direction: 'forward' | 'backward' = 'forward',
): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 1000; i += 1) {
    const page = await searchPage(
      t,
      filter,
      sort,
      direction === 'forward' ? { first: size, after: cursor } : { last: size, before: cursor },
    );
    const pageIds = page.edges.map((e) => e.node.id);
    if (direction === 'forward') ids.push(...pageIds);
    else ids.unshift(...pageIds);
    const more = direction === 'forward' ? page.pageInfo.hasNextPage : page.pageInfo.hasPreviousPage;
    if (!more) return ids;
    cursor = direction === 'forward' ? page.pageInfo.endCursor : page.pageInfo.startCursor;
  }
  throw new Error('paging did not end');
}
