import { badUserInput } from '@shop/errors';
import { decodeCursor, encodeCursor, isWellFormed, pageSize } from '@shop/graphql';
import { isProductId } from '@shop/messaging';
import type { Logger } from '@shop/server';
import { PRODUCT_SORTS, type ProductModel, type ProductSort, type ResolvedFilter } from './models';
import { emptyPage, type ProductPage, type WindowArgs } from './products.paging';
import { categoryKey, fieldScore, parseQuery, SKU_SCORE, termOf, words } from './search';
import type { Posting } from './search.postings';
import type { SearchRepository } from './search.repository';

/**
 * Catalogue search on the maintained keyword index (search.repository.ts), never a scan:
 *
 * 1. The search text becomes terms (search.ts); every term must match (AND). The last word, when the
 *    text ends in it, also matches as the start of up to MAX_EXPANSIONS longer terms (the most
 *    frequent first; search-as-you-type), at half weight.
 * 2. One read of the index version, then the postings of every term, the exact SKU and the category
 *    ids (cached in-process for the version): the candidates are intersected in memory with their
 *    facts (price, creation time, name, in-stock state at the last index write).
 * 3. Relevance: per term its best field (name 4 > SKU 2 > description 1, ×2 for an exact term, ×1
 *    for a prefix), +SKU_SCORE for an exact SKU; ties by id. Other sorts as the plain list orders
 *    them, by the indexed price, name or creation time, ties by id in the sort's direction.
 * 4. The page: the candidates after (before) the cursor in that order, whose products are read by
 *    `_id` (one read each, in parallel), nothing else.
 *
 * inStock: stock changes with every reservation, so postings do not follow it. The page is checked
 * against the live stock of the products it reads (over-fetching up to MAX_PRODUCT_READS products
 * per request; a page cut short by that bound ends with hasNextPage and an endCursor after the last
 * product examined). totalCount with inStock counts by the state recorded at the product's last index
 * write, which a search corrects when it shows a product whose live state differs (re-index, at most
 * once a minute per product). Without inStock totalCount is exact for the index.
 */

export interface SearchDeps {
  index: SearchRepository;
  /** One product by id (null when gone), read by `_id`. */
  productById: (id: string) => Promise<ProductModel | null>;
  log?: Logger;
}

/** Longer terms a prefix may stand for. */
export const MAX_EXPANSIONS = 10;
/** Products one search request reads at most (the page, and with inStock what it skips). */
export const MAX_PRODUCT_READS = 200;
/** Longest name a NAME_ASC cursor may carry (names are at most 200 characters). */
const MAX_CURSOR_NAME = 1000;
const HEAL_COOLDOWN_MS = 60_000;

interface Candidate extends Posting {
  score: number;
}

type Key = number | string;

/** The order of each sort: [key of a candidate, direction of key and id tie-break]. */
const ORDER: Record<ProductSort, { key: (c: Candidate) => Key; direction: 1 | -1 }> = {
  RELEVANCE: { key: (c) => c.score, direction: -1 },
  PRICE_ASC: { key: (c) => c.price, direction: 1 },
  PRICE_DESC: { key: (c) => c.price, direction: -1 },
  NAME_ASC: { key: (c) => c.name, direction: 1 },
  NEWEST: { key: (c) => c.created, direction: -1 },
};

/** Position of (key, id) against (key2, id2) in a sort's order: < 0 before, > 0 after. */
function compare(sort: ProductSort, key: Key, id: string, key2: Key, id2: string): number {
  const { direction } = ORDER[sort];
  if (key !== key2) return (key < key2 ? -1 : 1) * direction;
  if (sort === 'RELEVANCE') return id < id2 ? -1 : id > id2 ? 1 : 0;
  return id === id2 ? 0 : (id < id2 ? -1 : 1) * direction;
}

// ---- cursors ------------------------------------------------------------------------------------

interface SearchCursor {
  sort: ProductSort;
  key: Key;
  id: string;
}

const isCursorValue = (v: unknown): v is ['q', ProductSort, Key, string] =>
  Array.isArray(v) &&
  v.length === 4 &&
  v[0] === 'q' &&
  (PRODUCT_SORTS as readonly unknown[]).includes(v[1]) &&
  (v[1] === 'NAME_ASC'
    ? typeof v[2] === 'string' && v[2].length <= MAX_CURSOR_NAME
    : typeof v[2] === 'number' && Number.isFinite(v[2])) &&
  typeof v[3] === 'string' &&
  isProductId(v[3]);

const cursorOf = (sort: ProductSort, c: Candidate): string =>
  encodeCursor(['q', sort, ORDER[sort].key(c), c.id]);

function parseCursor(cursor: string, sort: ProductSort, field: 'after' | 'before'): SearchCursor {
  let value: ['q', ProductSort, Key, string];
  try {
    value = decodeCursor(cursor, isCursorValue);
  } catch {
    throw badUserInput(`${field} is not a valid cursor`, field);
  }
  if (value[1] !== sort) throw badUserInput(`${field} belongs to a different sort order`, field);
  return { sort, key: value[2], id: value[3] };
}

interface Window {
  direction: 'forward' | 'backward';
  limit: number;
  cursor: SearchCursor | null;
}

/** Checks a search's paging arguments (BAD_USER_INPUT), before anything is read. */
export const checkSearchWindow = (args: WindowArgs, sort: ProductSort): void => void searchWindow(args, sort);

function searchWindow(args: WindowArgs, sort: ProductSort): Window {
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
    return {
      direction: 'backward',
      limit,
      cursor: args.before != null ? parseCursor(args.before, sort, 'before') : null,
    };
  }
  return {
    direction: 'forward',
    limit: pageSize(args.first),
    cursor: args.after != null ? parseCursor(args.after, sort, 'after') : null,
  };
}

// ---- candidates ---------------------------------------------------------------------------------

/** Longer terms of the vocabulary that start with the prefix, most frequent first. */
function expansionsOf(
  vocabulary: { terms: string[]; counts: Map<string, number> },
  prefix: string,
  exact: string | null,
) {
  const { terms } = vocabulary;
  let lo = 0;
  let hi = terms.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (terms[mid]! < prefix) lo = mid + 1;
    else hi = mid;
  }
  const found: string[] = [];
  for (let i = lo; i < terms.length && terms[i]!.startsWith(prefix); i += 1)
    if (terms[i] !== exact) found.push(terms[i]!);
  return found
    .sort((a, b) => (vocabulary.counts.get(b) ?? 0) - (vocabulary.counts.get(a) ?? 0) || (a < b ? -1 : 1))
    .slice(0, MAX_EXPANSIONS);
}

/** The products matching the search and the category and price conditions, with their relevance. */
async function candidatesOf(index: SearchRepository, filter: ResolvedFilter): Promise<Candidate[]> {
  const query = parseQuery(filter.search ?? '');
  if (query.terms.length === 0 && query.sku === null) return [];
  await index.version();
  const lastWord = words(filter.search ?? '').at(-1);
  const lastTerm = lastWord === undefined ? null : termOf(lastWord);
  const expansions =
    query.prefix !== null && lastTerm !== null
      ? expansionsOf(await index.vocabulary(), query.prefix, lastTerm)
      : [];
  // Groups of keys: a product must match some key of every group.
  const groups = query.terms.map((term) => ({
    exact: term,
    prefixes: term === lastTerm ? expansions : ([] as string[]),
  }));
  const categoryKeys = (filter.categoryIds ?? []).map(categoryKey);
  const read = await index.postings([
    ...groups.flatMap((g) => [g.exact, ...g.prefixes]),
    ...(query.sku ? [query.sku] : []),
    ...categoryKeys,
  ]);
  const sizeOf = (g: (typeof groups)[number]) =>
    [g.exact, ...g.prefixes].reduce((n, key) => n + (read.get(key)?.size ?? 0), 0);
  groups.sort((a, b) => sizeOf(a) - sizeOf(b));

  const found = new Map<string, Candidate>();
  /** The group's score for a product (0: no key of the group has it). */
  const groupScore = (g: (typeof groups)[number], id: string): { score: number; posting?: Posting } => {
    const exact = read.get(g.exact)?.get(id);
    let best = exact ? fieldScore(exact.bits) * 2 : 0;
    let posting = exact;
    for (const key of g.prefixes) {
      const p = read.get(key)?.get(id);
      if (!p) continue;
      posting ??= p;
      best = Math.max(best, fieldScore(p.bits));
    }
    return { score: best, posting };
  };
  const [first, ...rest] = groups;
  if (first) {
    const ids = new Set<string>();
    for (const key of [first.exact, ...first.prefixes])
      for (const id of read.get(key)?.keys() ?? []) ids.add(id);
    for (const id of ids) {
      const { score, posting } = groupScore(first, id);
      let total = score;
      for (const g of rest) {
        const s = groupScore(g, id).score;
        if (s === 0) {
          total = 0;
          break;
        }
        total += s;
      }
      if (total > 0 && posting) found.set(id, { ...posting, score: total });
    }
  }
  if (query.sku) {
    for (const [id, posting] of read.get(query.sku) ?? []) {
      const had = found.get(id);
      found.set(id, { ...(had ?? posting), score: (had?.score ?? 0) + SKU_SCORE });
    }
  }
  const inCategory = filter.categoryIds === null ? null : categoryKeys.map((key) => read.get(key)!);
  const list: Candidate[] = [];
  for (const c of found.values()) {
    if (inCategory && !inCategory.some((postings) => postings.has(c.id))) continue;
    if (filter.minPrice != null && c.price < filter.minPrice) continue;
    if (filter.maxPrice != null && c.price > filter.maxPrice) continue;
    list.push(c);
  }
  return list;
}

// ---- the page -----------------------------------------------------------------------------------

const healedAt = new Map<string, number>();

/** Re-indexes a product whose postings disagree with what was just read (cool-down per product). */
function healIfStale(deps: SearchDeps, c: Candidate, product: ProductModel | null): void {
  const stale =
    product === null ||
    product.name !== c.name ||
    product.price.amount !== c.price ||
    product.stock > 0 !== c.inStock;
  if (!stale) return;
  const now = Date.now();
  if ((healedAt.get(c.id) ?? 0) > now - HEAL_COOLDOWN_MS) return;
  if (healedAt.size > 10_000) healedAt.clear();
  healedAt.set(c.id, now);
  deps.index.reindex([c.id]).catch((error: unknown) => {
    deps.log?.warn({ err: error, productId: c.id }, 'search index: re-index of a stale product failed');
  });
}

/**
 * A page of the search (filter.search is set): a Connection of the products, ranked or sorted.
 * `sort` is the list's (RELEVANCE, the default with a search, or PRICE_ASC, PRICE_DESC, NAME_ASC,
 * NEWEST); `first`/`after` page forward, `last`/`before` backward, with this module's own opaque
 * cursors (anything else is BAD_USER_INPUT).
 */
export async function searchProducts(
  deps: SearchDeps,
  filter: ResolvedFilter,
  sort: ProductSort,
  args: WindowArgs,
): Promise<ProductPage> {
  const window = searchWindow(args, sort);
  const text = filter.search ?? '';
  // Stored text is well-formed and free of control characters but tab and line breaks (which
  // separate words like spaces): a search with another one matches nothing.
  if (!isWellFormed(text) || /(?![\t\n\r])\p{Cc}/u.test(text)) return emptyPage();
  const all = await candidatesOf(deps.index, filter);
  const { key } = ORDER[sort];
  all.sort((a, b) => compare(sort, key(a), a.id, key(b), b.id));

  const totalCount = async () =>
    filter.inStock === null ? all.length : all.filter((c) => c.inStock === filter.inStock).length;

  // The candidates strictly after (forward) or before (backward) the cursor, walked from it.
  const { cursor } = window;
  const boundary = (inclusive: boolean) => {
    if (!cursor) return 0;
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const c = all[mid]!;
      const order = compare(sort, key(c), c.id, cursor.key, cursor.id);
      if (order < 0 || (inclusive && order === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const forward = window.direction === 'forward';
  const start = forward ? boundary(true) : cursor ? boundary(false) : all.length;
  const step = forward ? 1 : -1;
  /** The next candidate to examine. */
  let i = forward ? start : start - 1;
  const inRange = () => (forward ? i < all.length : i >= 0);
  const rows: { c: Candidate; product: ProductModel }[] = [];
  let reads = 0;
  let lastExamined: Candidate | null = null;
  while (rows.length < window.limit && inRange() && reads < MAX_PRODUCT_READS) {
    const room = window.limit - rows.length;
    const size = Math.min(
      MAX_PRODUCT_READS - reads,
      filter.inStock === null ? room : Math.ceil(room * 1.5) + 2,
    );
    const from = i;
    const batch: Candidate[] = [];
    for (; batch.length < size && inRange(); i += step) batch.push(all[i]!);
    const products = await Promise.all(batch.map((c) => deps.productById(c.id)));
    reads += batch.length;
    for (const [k, c] of batch.entries()) {
      const product = products[k] ?? null;
      healIfStale(deps, c, product);
      if (rows.length >= window.limit) {
        // read but not needed: the walk would resume here
        i = from + k * step;
        break;
      }
      lastExamined = c;
      if (product === null) continue;
      if (filter.inStock !== null && product.stock > 0 !== filter.inStock) continue;
      rows.push({ c, product });
    }
  }
  const more = inRange();
  const ordered = forward ? rows : rows.reverse();
  const edges = ordered.map(({ c, product }) => ({ cursor: cursorOf(sort, c), node: product }));
  // Rows skipped for stock at the far end: the next page starts after the last one examined.
  const farCursor = lastExamined && more ? cursorOf(sort, lastExamined) : null;
  const beyondCursor = forward ? start > 0 : start < all.length;
  return {
    edges,
    pageInfo: {
      hasNextPage: forward ? more : beyondCursor,
      hasPreviousPage: forward ? beyondCursor : more,
      startCursor: (forward ? edges[0]?.cursor : (farCursor ?? edges[0]?.cursor)) ?? null,
      endCursor: (forward ? (farCursor ?? edges.at(-1)?.cursor) : edges.at(-1)?.cursor) ?? null,
    },
    totalCount,
  };
}
