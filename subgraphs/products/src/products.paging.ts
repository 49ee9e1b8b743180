import { badUserInput } from '@shop/errors';
import { decodeCursor, encodeCursor, pageSize, type Connection } from '@shop/graphql';
import { isProductId } from '@shop/messaging';
import { PRODUCT_SORTS, type ProductCursor, type ProductModel, type ProductSort } from './models';

/**
 * Keyset paging of product lists, both directions. A cursor is `[sort, sortKeyValue, _id]`; a page
 * is the rows strictly after (forward: `first`/`after`) or strictly before (backward: `last`/
 * `before`) the cursor's (key, _id) in the sort's order, so paging while products are added or
 * changed never repeats or skips a product that existed when paging began.
 */

/** The sort key of each sort order; the _id tie-break runs in the same direction. */
export const SORT_KEYS: Record<
  ProductSort,
  { field: 'price.amount' | 'name' | 'createdAt'; direction: 1 | -1 }
> = {
  PRICE_ASC: { field: 'price.amount', direction: 1 },
  PRICE_DESC: { field: 'price.amount', direction: -1 },
  NAME_ASC: { field: 'name', direction: 1 },
  NEWEST: { field: 'createdAt', direction: -1 },
  // Only reached without the search path (products.search.ts ranks with its own cursors).
  RELEVANCE: { field: 'createdAt', direction: -1 },
};

/** The cursor value of a product for a sort order. */
export function sortValue(product: ProductModel, sort: ProductSort): number | string {
  switch (SORT_KEYS[sort].field) {
    case 'price.amount':
      return product.price.amount;
    case 'name':
      return product.name;
    case 'createdAt':
      return product.createdAt.toISOString();
  }
}

export const cursorOf = (product: ProductModel, sort: ProductSort): string =>
  encodeCursor([sort, sortValue(product, sort), product.id]);

const isCursor = (value: unknown): value is [ProductSort, number | string, string] =>
  Array.isArray(value) &&
  value.length === 3 &&
  (PRODUCT_SORTS as readonly unknown[]).includes(value[0]) &&
  (typeof value[1] === 'number' || typeof value[1] === 'string') &&
  typeof value[2] === 'string' &&
  isProductId(value[2]);

/** Decodes a cursor of this sort; anything else (another sort, another shape) is BAD_USER_INPUT. */
export function parseCursor(cursor: string, sort: ProductSort, field: 'after' | 'before'): ProductCursor {
  let decoded: [ProductSort, number | string, string];
  try {
    decoded = decodeCursor(cursor, isCursor);
  } catch {
    throw badUserInput(`${field} is not a valid cursor`, field);
  }
  const [cursorSort, value, id] = decoded;
  if (cursorSort !== sort) throw badUserInput(`${field} belongs to a different sort order`, field);
  const { field: key } = SORT_KEYS[sort];
  const ok =
    key === 'createdAt'
      ? typeof value === 'string' && !Number.isNaN(Date.parse(value))
      : key === 'name'
        ? typeof value === 'string'
        : typeof value === 'number' && Number.isFinite(value);
  if (!ok) throw badUserInput(`${field} is not a valid cursor`, field);
  return { sort, value, id };
}

export interface WindowArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** Which end a page is read from: forward after `cursor`, or backward before it. */
export interface PageWindow {
  direction: 'forward' | 'backward';
  limit: number;
  cursor: ProductCursor | null;
}

/**
 * `first`/`after` page forward, `last`/`before` backward; mixing the two directions is
 * BAD_USER_INPUT (so is a page size outside 0-100). No arguments: the first 20.
 */
export function pageWindow(args: WindowArgs, sort: ProductSort): PageWindow {
  const forward = args.first != null || args.after != null;
  const backward = args.last != null || args.before != null;
  if (forward && backward)
    throw badUserInput('page forward (first, after) or backward (last, before), not both', 'last');
  if (backward) {
    let limit: number;
    try {
      limit = pageSize(args.last);
    } catch {
      throw badUserInput('last must be between 0 and 100', 'last');
    }
    const cursor = args.before != null ? parseCursor(args.before, sort, 'before') : null;
    return { direction: 'backward', limit, cursor };
  }
  const limit = pageSize(args.first);
  const cursor = args.after != null ? parseCursor(args.after, sort, 'after') : null;
  return { direction: 'forward', limit, cursor };
}

/** A page of products; totalCount is counted only when the query asks for it. */
export interface ProductPage extends Omit<Connection<ProductModel>, 'totalCount'> {
  totalCount: () => Promise<number>;
}

export const emptyPage = (): ProductPage => ({
  edges: [],
  pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
  totalCount: async () => 0,
});

/**
 * The page from the rows read in the window's direction (at most limit + 1: the extra one says
 * more follow in that direction). `beyondCursor` says whether anything lies on the cursor's other
 * side (false without a cursor). Backward rows come nearest-first and are put back in list order.
 */
export function toPage(
  rows: ProductModel[],
  window: PageWindow,
  sort: ProductSort,
  beyondCursor: boolean,
  totalCount: () => Promise<number>,
): ProductPage {
  const more = rows.length > window.limit;
  const taken = rows.slice(0, window.limit);
  const page = window.direction === 'forward' ? taken : taken.reverse();
  const edges = page.map((node) => ({ cursor: cursorOf(node, sort), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: window.direction === 'forward' ? more : beyondCursor,
      hasPreviousPage: window.direction === 'forward' ? beyondCursor : more,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount,
  };
}
