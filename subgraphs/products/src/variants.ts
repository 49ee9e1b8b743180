import { isWellFormed, type Money } from '@shop/graphql';
import { checkImages, type ImageInput, type ImageStore } from './images';
import {
  CURRENCIES,
  type ImageModel,
  type NewVariant,
  type OptionModel,
  type ProductModel,
  type SelectedOption,
  type VariantModel,
} from './models';

/**
 * The rules of variants, without a datastore: what createProduct, addVariant and updateVariant
 * accept (each refusal a typed result naming the field, checked before anything is written), the
 * derived product fields, and what shoppers see of stock.
 */

export const MAX_OPTIONS = 3;
export const MAX_OPTION_VALUES = 50;
/** Longest option name or value. */
export const MAX_OPTION_TEXT = 50;
export const MAX_VARIANTS = 100;
export const MAX_VARIANT_IMAGES = 10;
/** LOW_STOCK_THRESHOLD's default: 1 to 5 units that can be ordered are LOW_STOCK. */
export const DEFAULT_LOW_STOCK_THRESHOLD = 5;

/** A SKU as issued: 1-64 letters, digits, '-' or '_' (unique across all variants of all products). */
export const SKU_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** A variant with the product it belongs to: what the ProductVariant resolvers work on. */
export interface VariantOfProduct extends VariantModel {
  product: ProductModel;
}

export type Availability = 'IN_STOCK' | 'LOW_STOCK' | 'OUT_OF_STOCK';

/** What a shopper sees of a stock count: OUT_OF_STOCK at 0, LOW_STOCK up to the threshold. */
export function availabilityOf(stock: number, threshold = DEFAULT_LOW_STOCK_THRESHOLD): Availability {
  if (stock <= 0) return 'OUT_OF_STOCK';
  return stock <= threshold ? 'LOW_STOCK' : 'IN_STOCK';
}

/** The option values joined for display (`M / Blue`); '' without options. */
export const variantTitle = (selected: readonly SelectedOption[]): string =>
  selected.map((o) => o.value).join(' / ');

/**
 * The fields a product document keeps derived from its variants, written in the same write as any
 * variant change (lists filter and sort on them): the first variant's SKU, the lowest price, the
 * sum of the stock.
 */
export function derivedOf(variants: readonly { sku: string; price: Money; stock: number }[]): {
  sku: string;
  price: Money;
  stock: number;
} {
  const first = variants[0];
  if (!first) throw new Error('a product has at least one variant');
  let lowest = first.price;
  let stock = 0;
  for (const v of variants) {
    if (v.price.amount < lowest.amount) lowest = v.price;
    stock += v.stock;
  }
  return { sku: first.sku, price: { amount: lowest.amount, currency: lowest.currency }, stock };
}

// ---- typed refusals -----------------------------------------------------------------------------

export type InvalidInput = { __typename: 'InvalidInputError'; message: string; field: string };
export type DuplicateSku = { __typename: 'DuplicateSkuError'; message: string; sku: string };
export type StockLimit = { __typename: 'StockLimitError'; message: string; max: number };
export type PriceLimit = { __typename: 'PriceLimitError'; message: string; max: number };
export type VariantProblem = InvalidInput | DuplicateSku | StockLimit | PriceLimit;

export const invalid = (field: string, message: string): InvalidInput => ({
  __typename: 'InvalidInputError',
  field,
  message,
});
export const duplicateSku = (sku: string, message = `SKU ${sku} is already used by another variant`) =>
  ({ __typename: 'DuplicateSkuError', message, sku }) as const satisfies DuplicateSku;
export const stockLimit = (max: number, message: string): StockLimit => ({
  __typename: 'StockLimitError',
  message,
  max,
});
export const priceLimit = (max: number, field: string): PriceLimit => ({
  __typename: 'PriceLimitError',
  message: `${field} must be at most ${max} minor units`,
  max,
});

const isProblem = (value: unknown): value is VariantProblem =>
  typeof value === 'object' && value !== null && '__typename' in value;

// ---- field rules --------------------------------------------------------------------------------

export interface Limits {
  maxStock: number;
  maxPriceAmount: number;
  /** The served images, which a local image URL must name (images.ts); needed for variant images. */
  images?: ImageStore;
}

export interface MoneyInput {
  amount: number;
  currency: string;
}
export type { ImageInput };
export interface OptionInput {
  name: string;
  values: readonly string[];
}
export interface VariantInput {
  sku: string;
  selectedOptions: readonly SelectedOption[];
  price: MoneyInput;
  stock?: number | null;
  images?: readonly ImageInput[] | null;
}
export interface VariantPatchInput {
  sku?: string | null;
  price?: MoneyInput | null;
  images?: readonly ImageInput[] | null;
}

const CONTROL = /\p{Cc}/u;

export function checkSku(sku: string, field = 'sku'): InvalidInput | null {
  return SKU_PATTERN.test(sku) ? null : invalid(field, 'SKU must be 1-64 letters, digits, "-" or "_"');
}

/** A unit price: whole minor units, 0 to maxPriceAmount, a known currency. */
export function checkPrice(
  price: MoneyInput,
  maxPriceAmount: number,
  field = 'price',
): InvalidInput | PriceLimit | Money {
  if (!Number.isInteger(price.amount) || price.amount < 0)
    return invalid(`${field}.amount`, 'price must not be negative');
  if (price.amount > maxPriceAmount) return priceLimit(maxPriceAmount, field);
  if (!(CURRENCIES as readonly string[]).includes(price.currency))
    return invalid(`${field}.currency`, `currency must be one of ${CURRENCIES.join(', ')}`);
  return { amount: price.amount, currency: price.currency };
}

/** Initial stock: whole units, 0 to maxStock. */
export function checkStock(
  stock: number,
  maxStock: number,
  field = 'stock',
): InvalidInput | StockLimit | null {
  if (!Number.isInteger(stock) || stock < 0) return invalid(field, 'stock must not be negative');
  if (stock > maxStock) return stockLimit(maxStock, `${field} must be at most ${maxStock}`);
  return null;
}

/** An option name or value: trimmed, 1-50 characters, well-formed, no control characters. */
function optionText(value: string, field: string, what: string): InvalidInput | string {
  const text = value.trim();
  if (!isWellFormed(text)) return invalid(field, `${what} must be well-formed Unicode text`);
  if (CONTROL.test(text)) return invalid(field, `${what} must not contain control characters`);
  if (text.length < 1 || text.length > MAX_OPTION_TEXT)
    return invalid(field, `${what} must be 1-${MAX_OPTION_TEXT} characters`);
  return text;
}

/** A variant's own images (at most 10), by the catalogue's image rules (images.ts). */
function variantImages(
  images: readonly ImageInput[] | null | undefined,
  limits: Limits,
  field: string,
): InvalidInput | ImageModel[] {
  if (!images?.length) return [];
  if (!limits.images)
    throw new Error('variant images are checked against the image store: give Limits.images');
  return checkImages(images, { field, max: MAX_VARIANT_IMAGES, store: limits.images });
}

/** Options: at most 3, names unique (ignoring case), 1-50 distinct values each. */
export function checkOptions(
  options: readonly OptionInput[],
  field = 'options',
): InvalidInput | OptionModel[] {
  if (options.length > MAX_OPTIONS) return invalid(field, `at most ${MAX_OPTIONS} options`);
  const out: OptionModel[] = [];
  const names = new Set<string>();
  for (const [i, option] of options.entries()) {
    const name = optionText(option.name, `${field}[${i}].name`, 'an option name');
    if (typeof name !== 'string') return name;
    if (names.has(name.toLowerCase())) return invalid(`${field}[${i}].name`, `option ${name} is given twice`);
    names.add(name.toLowerCase());
    if (option.values.length < 1 || option.values.length > MAX_OPTION_VALUES)
      return invalid(`${field}[${i}].values`, `an option has 1 to ${MAX_OPTION_VALUES} values`);
    const values: string[] = [];
    const seen = new Set<string>();
    for (const [j, raw] of option.values.entries()) {
      const value = optionText(raw, `${field}[${i}].values[${j}]`, 'an option value');
      if (typeof value !== 'string') return value;
      if (seen.has(value.toLowerCase()))
        return invalid(`${field}[${i}].values[${j}]`, `value ${value} of ${name} is given twice`);
      seen.add(value.toLowerCase());
      values.push(value);
    }
    out.push({ name, values });
  }
  return out;
}

/**
 * A variant's option values: exactly one value of every option, each one of the option's values
 * (names and values as the product spells them, after trimming), in the product's option order.
 */
export function checkSelectedOptions(
  selected: readonly SelectedOption[],
  options: readonly OptionModel[],
  field = 'selectedOptions',
): InvalidInput | SelectedOption[] {
  if (options.length === 0 && selected.length > 0)
    return invalid(field, 'the product has no options: its only variant has no option values');
  const given = new Map<string, string>();
  for (const { name, value } of selected) {
    const option = options.find((o) => o.name === name.trim());
    if (!option) return invalid(field, `the product has no option ${JSON.stringify(name)}`);
    if (given.has(option.name)) return invalid(field, `option ${option.name} is given twice`);
    if (!option.values.includes(value.trim()))
      return invalid(field, `${JSON.stringify(value)} is not a value of ${option.name}`);
    given.set(option.name, value.trim());
  }
  const missing = options.find((o) => !given.has(o.name));
  if (missing) return invalid(field, `a value of ${missing.name} is missing`);
  return options.map((o) => ({ name: o.name, value: given.get(o.name)! }));
}

const combination = (selected: readonly SelectedOption[]) => JSON.stringify(selected.map((o) => o.value));

/** True when a variant with these option values is already offered. */
export const offers = (
  variants: readonly { selectedOptions: SelectedOption[] }[],
  selected: SelectedOption[],
) => variants.some((v) => combination(v.selectedOptions) === combination(selected));

/** One variant as createProduct and addVariant take it; `currency` is the product's when it has one. */
export function checkVariant(
  input: VariantInput,
  options: readonly OptionModel[],
  limits: Limits,
  field: string,
  currency?: string,
): VariantProblem | NewVariant {
  const prefix = field ? `${field}.` : '';
  const skuProblem = checkSku(input.sku, `${prefix}sku`);
  if (skuProblem) return skuProblem;
  const selectedOptions = checkSelectedOptions(input.selectedOptions, options, `${prefix}selectedOptions`);
  if (isProblem(selectedOptions)) return selectedOptions;
  const price = checkPrice(input.price, limits.maxPriceAmount, `${prefix}price`);
  if (isProblem(price)) return price;
  if (currency !== undefined && price.currency !== currency)
    return invalid(`${prefix}price.currency`, `every variant of a product is priced in ${currency}`);
  const stock = input.stock ?? 0;
  const stockProblem = checkStock(stock, limits.maxStock, `${prefix}stock`);
  if (stockProblem) return stockProblem;
  const images = variantImages(input.images, limits, `${prefix}images`);
  if (isProblem(images)) return images;
  return { sku: input.sku, selectedOptions, price, stock, images };
}

/** What createProduct says about variants (the rest of its input is the catalogue's). */
export interface ProductVariantsInput {
  sku: string;
  price: MoneyInput;
  stock?: number | null;
  options?: readonly OptionInput[] | null;
  variants?: readonly VariantInput[] | null;
}

/**
 * createProduct's options and variants. Without options: one default variant from sku, price and
 * stock (no `variants` may be given). With options: 1 to 100 variants, each with one value of every
 * option, no combination twice, no SKU twice, one currency; the input's `sku` and `price` are the
 * first variant's (checked, so nothing given is silently ignored) and `stock` is left out (each
 * variant has its own). SKUs taken by other products are found when inserting (the SKU registry).
 */
export function checkProductVariants(
  input: ProductVariantsInput,
  limits: Limits,
): VariantProblem | { options: OptionModel[]; variants: NewVariant[] } {
  const options = checkOptions(input.options ?? []);
  if (isProblem(options)) return options;
  if (options.length === 0) {
    if (input.variants != null)
      return invalid('variants', 'variants need options; without options give sku, price and stock');
    const only = checkVariant(
      { sku: input.sku, selectedOptions: [], price: input.price, stock: input.stock, images: [] },
      [],
      limits,
      '',
    );
    return isProblem(only) ? only : { options, variants: [only] };
  }
  const given = input.variants ?? [];
  if (given.length < 1 || given.length > MAX_VARIANTS)
    return invalid('variants', `a product with options has 1 to ${MAX_VARIANTS} variants`);
  if (input.stock != null)
    return invalid('stock', 'with variants, give each variant its stock instead of the product');
  const variants: NewVariant[] = [];
  for (const [i, raw] of given.entries()) {
    const variant = checkVariant(raw, options, limits, `variants[${i}]`, variants[0]?.price.currency);
    if (isProblem(variant)) return variant;
    if (offers(variants, variant.selectedOptions))
      return invalid(
        `variants[${i}].selectedOptions`,
        `${variantTitle(variant.selectedOptions)} is given twice`,
      );
    if (variants.some((v) => v.sku === variant.sku))
      return duplicateSku(variant.sku, `SKU ${variant.sku} is given to two variants`);
    variants.push(variant);
  }
  const first = variants[0]!;
  if (input.sku !== first.sku) return invalid('sku', 'with variants, sku is the first variant’s');
  if (input.price.amount !== first.price.amount || input.price.currency !== first.price.currency)
    return invalid('price', 'with variants, price is the first variant’s');
  return { options, variants };
}

/** updateVariant's changes; `currency` is the one the product's other variants are priced in. */
export function checkVariantPatch(
  input: VariantPatchInput,
  limits: Limits,
  currency?: string,
): VariantProblem | { sku?: string; price?: Money; images?: ImageModel[] } {
  const patch: { sku?: string; price?: Money; images?: ImageModel[] } = {};
  if (input.sku != null) {
    const problem = checkSku(input.sku);
    if (problem) return problem;
    patch.sku = input.sku;
  }
  if (input.price != null) {
    const price = checkPrice(input.price, limits.maxPriceAmount);
    if (isProblem(price)) return price;
    if (currency !== undefined && price.currency !== currency)
      return invalid('price.currency', `every variant of a product is priced in ${currency}`);
    patch.price = price;
  }
  if (input.images != null) {
    const images = variantImages(input.images, limits, 'images');
    if (isProblem(images)) return images;
    patch.images = images;
  }
  return patch;
}

export { isProblem };
