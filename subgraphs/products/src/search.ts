/**
 * Text → search terms, the same way for what is indexed and for what is searched (products.search.ts,
 * search.repository.ts): Unicode NFKD with the combining marks stripped ("Crème" → "creme"), a few
 * letters NFKD leaves whole folded by hand ("ß" → "ss", "æ" → "ae", "ø" → "o" …), lower case, split
 * on anything that is not a letter or a digit, English stop words dropped, simple English plural
 * stemming ("soaps" → "soap", "boxes" → "box", "berries" → "berry", "glasses" → "glass") and every
 * term cut to MAX_TERM_LENGTH. The seed and the demo catalogue are English only, so there is no
 * German stemming.
 *
 * The stemmer is deliberately small: it maps a plural and its singular to one term for the regular
 * cases above. What it does wrong it does the same way on both sides, so it never loses a match
 * between two spellings that stem alike (irregular plurals such as knife/knives stay two terms).
 */

/** Longer words are cut to this many characters (both when indexing and when searching). */
export const MAX_TERM_LENGTH = 32;
/** Distinct words of one search taken into account; the ones after are ignored. */
export const MAX_QUERY_TERMS = 16;
/** Distinct terms indexed per product (name first, then SKUs, then description in order). */
export const MAX_TERMS_PER_PRODUCT = 300;
/** A prefix shorter than this is not expanded (search-as-you-type starts at the second letter). */
export const MIN_PREFIX_LENGTH = 2;

/** Words too common to say anything about a product; never indexed, ignored in a search. */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a an and are as at be but by for from has have in into is it its of on or so than that the their ' +
    'them then there these they this those to was were will with without your you our we s t'
  ).split(' '),
);

/** Letters that NFKD does not decompose into a base letter and marks. */
const FOLDS: Record<string, string> = {
  ß: 'ss',
  ẞ: 'ss',
  æ: 'ae',
  Æ: 'ae',
  œ: 'oe',
  Œ: 'oe',
  ø: 'o',
  Ø: 'o',
  đ: 'd',
  Đ: 'd',
  ð: 'd',
  Ð: 'd',
  þ: 'th',
  Þ: 'th',
  ł: 'l',
  Ł: 'l',
  ı: 'i',
  ħ: 'h',
  Ħ: 'h',
};
const FOLDABLE = new RegExp(`[${Object.keys(FOLDS).join('')}]`, 'gu');
const MARKS = /\p{M}+/gu;
const SEPARATORS = /[^\p{L}\p{N}]+/u;

/** Case- and accent-free form of a text (separators kept). */
export function fold(text: string): string {
  return text
    .normalize('NFKD')
    .replace(MARKS, '')
    .replace(FOLDABLE, (c) => FOLDS[c] ?? c)
    .toLowerCase();
}

/** The folded words of a text, in order (empty strings dropped). */
export function words(text: string): string[] {
  return fold(text)
    .split(SEPARATORS)
    .filter((w) => w.length > 0);
}

const HAS_DIGIT = /\p{N}/u;

/**
 * The singular of a regular English plural; any other word unchanged. Words of three letters or
 * fewer and words with a digit ("4k", "usb3") are left alone.
 */
export function stem(word: string): string {
  if (word.length <= 3 || HAS_DIGIT.test(word)) return word;
  if (word.endsWith('ies') && word.length > 4) return `${word.slice(0, -3)}y`; // berries → berry
  if (word.endsWith('sses')) return word.slice(0, -2); // glasses → glass
  if (/(?:x|ch|sh|zz)es$/.test(word)) return word.slice(0, -2); // boxes → box, watches → watch
  if (/(?:ss|us|is)$/.test(word)) return word; // glass, cactus, analysis
  if (word.endsWith('s')) return word.slice(0, -1); // soaps → soap, shoes → shoe
  return word;
}

/** The term a word is indexed and searched under (null: a stop word). */
export function termOf(word: string): string | null {
  if (STOP_WORDS.has(word)) return null;
  return stem(word).slice(0, MAX_TERM_LENGTH);
}

/** The terms of a text in order of first appearance, each once. */
export function terms(text: string): string[] {
  const seen = new Set<string>();
  for (const word of words(text)) {
    const term = termOf(word);
    if (term !== null) seen.add(term);
  }
  return [...seen];
}

/** The characters of a SKU (the catalogue's rule); a search of exactly this shape may be a SKU. */
const SKU_SHAPE = /^[A-Za-z0-9_-]{1,64}$/;

/** The index key of an exact SKU (SKUs are unique; matched without regard to letter case). */
export const skuKey = (sku: string): string => `=${sku.toLowerCase()}`;
/** The index key of a category's product list. */
export const categoryKey = (categoryId: string): string => `#c:${categoryId}`;

/** What a search asks for, in index terms. */
export interface ParsedQuery {
  /** Every one must match (AND), at most MAX_QUERY_TERMS. */
  terms: string[];
  /**
   * The last word as typed (folded, not stemmed) when the text does not end with a separator: it
   * may also match as the start of a longer term (search-as-you-type). Null when too short.
   */
  prefix: string | null;
  /** The SKU key when the whole text has the shape of a SKU. */
  sku: string | null;
}

/**
 * The index terms of a search text. Text that cannot be stored (lone surrogates) or holds control
 * characters never reaches here (the service answers it with an empty page); this function does not
 * depend on that, it only folds and splits.
 */
export function parseQuery(text: string): ParsedQuery {
  const trimmed = text.trim();
  const all = terms(trimmed).slice(0, MAX_QUERY_TERMS);
  const folded = words(trimmed);
  const last = folded.at(-1);
  // (the list trims the search text, so through the API the last word is always taken as typed so far)
  const endsInWord = text.length > 0 && !SEPARATORS.test(text.slice(-1));
  const prefix =
    endsInWord && last !== undefined && last.length >= MIN_PREFIX_LENGTH && !HAS_DIGIT.test(last)
      ? last.slice(0, MAX_TERM_LENGTH)
      : null;
  return { terms: all, prefix, sku: SKU_SHAPE.test(trimmed) ? skuKey(trimmed) : null };
}

/** Field a term was found in, as bits of a posting (a term can be in several). */
export const FIELD = { NAME: 4, SKU: 2, DESCRIPTION: 1 } as const;

/** What a term found in these fields adds to a product's relevance: the best field counts. */
export function fieldScore(bits: number): number {
  if (bits & FIELD.NAME) return 4;
  if (bits & FIELD.SKU) return 2;
  return bits & FIELD.DESCRIPTION ? 1 : 0;
}

/** Relevance added by an exact SKU match: above any word match. */
export const SKU_SCORE = 1000;

/** The text of a product that is indexed. */
export interface IndexedText {
  name: string;
  description: string;
  /** Every variant's SKU (the first is the product's). */
  skus: string[];
}

/**
 * The word terms of a product with the fields each occurs in, name first, then SKUs, then the
 * description, at most MAX_TERMS_PER_PRODUCT (a very long description is indexed up to there).
 */
export function productTerms(text: IndexedText): Map<string, number> {
  const found = new Map<string, number>();
  const add = (source: string, bit: number) => {
    for (const term of terms(source)) {
      const had = found.get(term);
      if (had === undefined && found.size >= MAX_TERMS_PER_PRODUCT) continue;
      found.set(term, (had ?? 0) | bit);
    }
  };
  add(text.name, FIELD.NAME);
  for (const sku of text.skus) add(sku, FIELD.SKU);
  add(text.description, FIELD.DESCRIPTION);
  return found;
}
