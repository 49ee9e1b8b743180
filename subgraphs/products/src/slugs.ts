/**
 * URL names of products and categories. A slug is 1-100 lower-case letters a-z, digits and single
 * '-' between them (`noise-cancelling-headphones`). Only that form is a slug: `Mug`, ` mug`, `mug-`
 * or `mug--2` name nothing and never reach a query.
 */

export const SLUG_MAX_LENGTH = 100;
/** Room left for a uniqueness suffix (`-9999`) on a slug made from a name. */
const BASE_MAX_LENGTH = SLUG_MAX_LENGTH - 5;
/** How many numbered suffixes (`-2` … ) are tried for a slug made from a name before giving up. */
export const MAX_SLUG_SUFFIX = 50;

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** True when value is a slug in the one form slugs are issued in. */
export const isSlug = (value: unknown): value is string =>
  typeof value === 'string' && value.length <= SLUG_MAX_LENGTH && SLUG.test(value);

/** Letters that Unicode decomposition does not fold to a-z. */
const FOLDS: Record<string, string> = {
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  ł: 'l',
  ı: 'i',
  '&': ' and ',
};

/**
 * The slug made from a display name: accents folded (`Crème brûlée` → `creme-brulee`), `&` read as
 * "and", every other run of characters outside a-z0-9 one '-', at most 95 characters (so that a
 * suffix fits). A name with nothing left (e.g. only CJK characters) gives `fallback`.
 */
export function slugify(name: string, fallback: string): string {
  const folded = name
    .toLowerCase()
    .replace(/[ßæœøđðþłı&]/g, (c) => FOLDS[c] ?? c)
    .normalize('NFKD')
    .replace(/\p{M}/gu, '');
  const slug = folded
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, BASE_MAX_LENGTH)
    .replace(/-+$/, '');
  return slug || fallback;
}

/** The n-th candidate for a slug made from a name: base, base-2, base-3, … */
export const withSuffix = (base: string, n: number): string => (n <= 1 ? base : `${base}-${n}`);

/** A display name made from a slug: `home-garden` → `Home Garden`. */
export const titleCase = (slug: string): string =>
  slug
    .split('-')
    .filter(Boolean)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
