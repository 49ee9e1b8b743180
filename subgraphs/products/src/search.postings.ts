import type { ProductDoc } from './documents';
import { categoryKey, productTerms, skuKey } from './search';

/**
 * The stored form of the keyword index (search.repository.ts): one document per key (a word term,
 * an exact SKU `=sku`, or a category `#c:<id>`) whose `p` is a string of postings, one line each:
 *
 *     <product id>|<field bits>|<price base 36>|<createdAt ms base 36>|<in stock 0/1>|<name>
 *
 * Every posting carries the facts filters and sorts need (lowest price, creation time, the in-stock
 * state at the product's last index write, the name for NAME_ASC), so a search reads one document
 * per key and never a product it does not show. One string rather than an array of sub-documents:
 * FerretDB stores the type of every array element next to it (measured: an array of 10,000 short
 * strings reads 3x slower than the same postings joined), and it refuses nested arrays.
 */

/** What a search needs to know of a product besides its terms. */
export interface Facts {
  /** Lowest unit price (minor units). */
  price: number;
  /** createdAt in ms. */
  created: number;
  /** Stock above zero at the product's last index write (see products.search.ts for how it is used). */
  inStock: boolean;
  name: string;
}

export interface Posting extends Facts {
  id: string;
  bits: number;
}

const ID_LENGTH = 24;
/** Names are stored without control characters (the catalogue refuses them in names anyway). */
const CONTROL = /\p{Cc}/gu;

export const encodeFacts = (facts: Facts): string =>
  `${facts.price.toString(36)}|${facts.created.toString(36)}|${facts.inStock ? 1 : 0}|${facts.name.replace(CONTROL, ' ')}`;

export const encodePosting = (id: string, bits: number, facts: string): string => `${id}|${bits}|${facts}`;

/** One posting line; null when it is not one (never written by this module). */
export function decodePosting(line: string): Posting | null {
  if (line.length < ID_LENGTH + 9 || line[ID_LENGTH] !== '|') return null;
  const id = line.slice(0, ID_LENGTH);
  let at = ID_LENGTH + 1;
  const field = () => {
    const end = line.indexOf('|', at);
    if (end < 0) return null;
    const value = line.slice(at, end);
    at = end + 1;
    return value;
  };
  const bits = field();
  const price = field();
  const created = field();
  const inStock = field();
  if (bits === null || price === null || created === null || inStock === null) return null;
  const posting: Posting = {
    id,
    bits: Number(bits),
    price: parseInt(price, 36),
    created: parseInt(created, 36),
    inStock: inStock === '1',
    name: line.slice(at),
  };
  return Number.isInteger(posting.bits) && Number.isFinite(posting.price) && Number.isFinite(posting.created)
    ? posting
    : null;
}

/** The lines of a stored postings string, by product id (line order kept). */
export function splitLines(p: string): Map<string, string> {
  const lines = new Map<string, string>();
  if (p.length === 0) return lines;
  for (const line of p.split('\n')) lines.set(line.slice(0, ID_LENGTH), line);
  return lines;
}

export const joinLines = (lines: Map<string, string>): string => [...lines.values()].join('\n');

/** The decoded postings of one key, by product id. */
export function decodePostings(p: string): Map<string, Posting> {
  const postings = new Map<string, Posting>();
  if (p.length === 0) return postings;
  for (const line of p.split('\n')) {
    const posting = decodePosting(line);
    if (posting) postings.set(posting.id, posting);
  }
  return postings;
}

/** The facts of a stored product. */
export function factsOf(doc: ProductDoc): Facts {
  return {
    price: doc.price?.amount ?? 0,
    created: new Date(doc.createdAt).getTime(),
    inStock: (doc.stock ?? 0) > 0,
    name: doc.name ?? '',
  };
}

/** Every SKU of a stored product (its variants', or the product's own before variants). */
export const skusOf = (doc: ProductDoc): string[] => [
  ...new Set([doc.sku, ...(doc.variants ?? []).map((v) => v.sku)].filter((s): s is string => !!s)),
];

/**
 * Everything a product is indexed under: key → field bits (0 for exact SKUs and categories).
 * Keys: its word terms (search.ts productTerms), `=<sku>` for every variant's SKU, `#c:<id>` for
 * each of its categories.
 */
export function keysOf(doc: ProductDoc): Map<string, number> {
  const skus = skusOf(doc);
  const keys = productTerms({ name: doc.name ?? '', description: doc.description ?? '', skus });
  for (const sku of skus) keys.set(skuKey(sku), 0);
  for (const id of doc.categoryIds ?? []) keys.set(categoryKey(id), 0);
  return keys;
}

/** A product's index entry as its record stores it: `<bits><key>` per key, sorted. */
export const recordKeys = (keys: Map<string, number>): string[] =>
  [...keys].map(([key, bits]) => `${bits}${key}`).sort();

/** The key of a record entry (`<bits><key>`). */
export const keyOfEntry = (entry: string): string => entry.slice(1);
