import { requireAdmin, type Viewer } from '@shop/auth';
import { badUserInput } from '@shop/errors';
import {
  decodeCursor,
  encodeCursor,
  isWellFormed,
  pageSize,
  toConnection,
  type Connection,
  type Money,
} from '@shop/graphql';
import { isProductId } from '@shop/messaging';
import {
  CURRENCIES,
  DEFAULT_MAX_PRICE_AMOUNT,
  DEFAULT_MAX_STOCK,
  PRODUCT_SORTS,
  type NewProduct,
  type ProductCursor,
  type ProductFilter,
  type ProductModel,
  type ProductPatch,
  type ProductSort,
} from './models';
import { DuplicateSkuError, sortValue, type ProductsRepository } from './products.repository';

export const MAX_DESCRIPTION_LENGTH = 10_000;
export const MAX_SEARCH_LENGTH = 200;

export type InvalidInput = { __typename: 'InvalidInputError'; message: string; field: string };
export type ProductResult = { __typename: 'Product' } & ProductModel;
type DuplicateSku = { __typename: 'DuplicateSkuError'; message: string; sku: string };
type NotFound = { __typename: 'ProductNotFoundError'; message: string; productId: string };
type StockBelowZero = { __typename: 'StockBelowZeroError'; message: string; stock: number; delta: number };
type StockLimit = { __typename: 'StockLimitError'; message: string; max: number };
type PriceLimit = { __typename: 'PriceLimitError'; message: string; max: number };

const invalid = (field: string, message: string): InvalidInput => ({
  __typename: 'InvalidInputError',
  field,
  message,
});
const asResult = (product: ProductModel): ProductResult => ({ __typename: 'Product', ...product });
const notFound = (productId: string): NotFound => ({
  __typename: 'ProductNotFoundError',
  message: `No product with id ${productId}`,
  productId,
});
const stockLimit = (max: number, message: string): StockLimit => ({
  __typename: 'StockLimitError',
  message,
  max,
});
const priceLimit = (max: number, field: string): PriceLimit => ({
  __typename: 'PriceLimitError',
  message: `${field} must be at most ${max} minor units`,
  max,
});
const duplicateSku = (error: DuplicateSkuError): DuplicateSku => ({
  __typename: 'DuplicateSkuError',
  message: error.message,
  sku: error.sku,
});

export interface MoneyInput {
  amount: number;
  currency: string;
}
export interface CreateProductInput {
  sku: string;
  name: string;
  description?: string | null;
  price: MoneyInput;
  stock?: number | null;
  category: string;
}
export interface UpdateProductInput {
  sku?: string | null;
  name?: string | null;
  description?: string | null;
  price?: MoneyInput | null;
  category?: string | null;
}

// ---- input rules (one per field, so create and update agree) ----------------------------------

/** C0/C1 controls and DEL: never part of a name or category. */
const CONTROL = /\p{Cc}/u;
/** The same, except tab and line breaks, which a description may hold. */
const CONTROL_BUT_LAYOUT = /(?![\t\n\r])\p{Cc}/u;

/** Stored text must be well-formed (else it would be stored altered) and free of control characters. */
function textProblem(field: string, v: string, control: RegExp): string | null {
  if (!isWellFormed(v)) return `${field} must be well-formed Unicode text`;
  if (control.test(v)) return `${field} must not contain control characters`;
  return null;
}

const rules = {
  sku: (v: string) =>
    /^[A-Za-z0-9_-]{1,64}$/.test(v) ? null : 'SKU must be 1-64 letters, digits, "-" or "_"',
  name: (v: string) =>
    textProblem('name', v, CONTROL) ??
    (v.trim().length >= 1 && v.length <= 200 ? null : 'name must be 1-200 characters'),
  description: (v: string) =>
    textProblem('description', v, CONTROL_BUT_LAYOUT) ??
    (v.length <= MAX_DESCRIPTION_LENGTH
      ? null
      : `description must be at most ${MAX_DESCRIPTION_LENGTH} characters`),
  category: (v: string) =>
    textProblem('category', v, CONTROL) ??
    (v.trim().length >= 1 && v.length <= 64 ? null : 'category must be 1-64 characters'),
  stock: (v: number) => (Number.isInteger(v) && v >= 0 ? null : 'stock must not be negative'),
};

function checkPrice(price: MoneyInput, field = 'price'): InvalidInput | Money {
  if (!Number.isInteger(price.amount) || price.amount < 0)
    return invalid(`${field}.amount`, 'price must not be negative');
  if (!(CURRENCIES as readonly string[]).includes(price.currency)) {
    return invalid(`${field}.currency`, `currency must be one of ${CURRENCIES.join(', ')}`);
  }
  return { amount: price.amount, currency: price.currency };
}

function checkNew(input: CreateProductInput): InvalidInput | NewProduct {
  const product = {
    sku: input.sku,
    name: input.name.trim(),
    description: input.description ?? '',
    stock: input.stock ?? 0,
    category: input.category.trim(),
  };
  for (const field of ['sku', 'name', 'description', 'category'] as const) {
    const problem = rules[field](product[field]);
    if (problem) return invalid(field, problem);
  }
  const stockProblem = rules.stock(product.stock);
  if (stockProblem) return invalid('stock', stockProblem);
  const price = checkPrice(input.price);
  if ('__typename' in price) return price;
  return { ...product, price };
}

function checkPatch(input: UpdateProductInput): InvalidInput | ProductPatch {
  const patch: ProductPatch = {};
  if (input.sku != null) patch.sku = input.sku;
  if (input.name != null) patch.name = input.name.trim();
  if (input.description != null) patch.description = input.description;
  if (input.category != null) patch.category = input.category.trim();
  for (const field of ['sku', 'name', 'description', 'category'] as const) {
    const value = patch[field];
    const problem = value === undefined ? null : rules[field](value);
    if (problem) return invalid(field, problem);
  }
  if (input.price != null) {
    const price = checkPrice(input.price);
    if ('__typename' in price) return price;
    patch.price = price;
  }
  return patch;
}

// ---- list arguments ---------------------------------------------------------------------------

const isCursor = (value: unknown): value is [ProductSort, number | string, string] =>
  Array.isArray(value) &&
  value.length === 3 &&
  (PRODUCT_SORTS as readonly unknown[]).includes(value[0]) &&
  (typeof value[1] === 'number' || typeof value[1] === 'string') &&
  typeof value[2] === 'string' &&
  isProductId(value[2]);

function parseCursor(after: string, sort: ProductSort): ProductCursor {
  const [cursorSort, value, id] = decodeCursor(after, isCursor);
  if (cursorSort !== sort) throw badUserInput('after belongs to a different sort order', 'after');
  if (sort === 'NEWEST' && (typeof value !== 'string' || Number.isNaN(Date.parse(value)))) {
    throw badUserInput('after is not a valid cursor', 'after');
  }
  return { sort, value, id };
}

function checkFilter(filter: ProductFilter | null | undefined): ProductFilter {
  const f = filter ?? {};
  if (f.search != null && f.search.length > MAX_SEARCH_LENGTH) {
    throw badUserInput(`search must be at most ${MAX_SEARCH_LENGTH} characters`, 'filter.search');
  }
  for (const field of ['minPrice', 'maxPrice'] as const) {
    const v = f[field];
    if (v != null && v < 0) throw badUserInput(`${field} must not be negative`, `filter.${field}`);
  }
  if (f.minPrice != null && f.maxPrice != null && f.minPrice > f.maxPrice) {
    throw badUserInput('minPrice must not exceed maxPrice', 'filter.minPrice');
  }
  return { ...f, search: f.search?.trim() || null };
}

/**
 * False when no product can match the search: stored text is well-formed and holds no control
 * character other than tab and line breaks (the rules above), so a search with one matches nothing.
 * Such a search is answered without a query (BSON cannot even carry a regex containing NUL).
 */
const canMatch = (search: string | null | undefined) =>
  search == null || (isWellFormed(search) && !CONTROL_BUT_LAYOUT.test(search));

export interface ListArgs {
  first?: number | null;
  after?: string | null;
  filter?: ProductFilter | null;
  sort?: ProductSort | null;
}

export interface ProductsServiceDeps {
  repository: ProductsRepository;
  /** Most units of one product on hand: its stock plus what orders hold (MAX_STOCK). */
  maxStock?: number;
  /** Highest unit price in minor units (MAX_PRICE_AMOUNT). */
  maxPriceAmount?: number;
}

/**
 * The catalogue's rules: listing, lookups and the admin mutations. Only the canonical product id
 * (`isProductId`: 24 lower-case hex digits, as the store issues it) names a product; any other
 * spelling is not found and never reaches the store or a lock. Stock and prices are bounded
 * (`maxStock`, `maxPriceAmount`) and checked before anything is written.
 */
export class ProductsService {
  private readonly repository: ProductsRepository;
  readonly maxStock: number;
  readonly maxPriceAmount: number;

  constructor({
    repository,
    maxStock = DEFAULT_MAX_STOCK,
    maxPriceAmount = DEFAULT_MAX_PRICE_AMOUNT,
  }: ProductsServiceDeps) {
    this.repository = repository;
    this.maxStock = maxStock;
    this.maxPriceAmount = maxPriceAmount;
  }

  /** A keyset page: rows strictly after the cursor in (sort key, _id) order. */
  async listProducts(args: ListArgs): Promise<Connection<ProductModel>> {
    const sort = args.sort ?? 'NEWEST';
    const limit = pageSize(args.first);
    const filter = checkFilter(args.filter);
    const after = args.after ? parseCursor(args.after, sort) : null;
    const rows =
      limit === 0 || !canMatch(filter.search)
        ? []
        : await this.repository.list(filter, sort, after, limit + 1);
    return toConnection(rows, limit, (p) => encodeCursor([sort, sortValue(p, sort), p.id]), after !== null);
  }

  /**
   * Batch lookup for DataLoader: one query, results in the order of ids, null for unknown ids and for
   * any id that is not canonical (another letter case names nothing).
   */
  async productsByIds(ids: readonly string[]): Promise<(ProductModel | null)[]> {
    const found = new Map((await this.repository.findByIds(ids)).map((p) => [p.id, p]));
    return ids.map((id) => found.get(id) ?? null);
  }

  async createProduct(
    viewer: Viewer | null,
    input: CreateProductInput,
  ): Promise<ProductResult | InvalidInput | DuplicateSku | StockLimit | PriceLimit> {
    requireAdmin(viewer);
    const product = checkNew(input);
    if ('__typename' in product) return product;
    if (product.price.amount > this.maxPriceAmount) return priceLimit(this.maxPriceAmount, 'price.amount');
    if (product.stock > this.maxStock)
      return stockLimit(this.maxStock, `stock must be at most ${this.maxStock} units`);
    try {
      return asResult(await this.repository.insert(product));
    } catch (error) {
      if (error instanceof DuplicateSkuError) return duplicateSku(error);
      throw error;
    }
  }

  async updateProduct(
    viewer: Viewer | null,
    id: string,
    input: UpdateProductInput,
  ): Promise<ProductResult | InvalidInput | DuplicateSku | NotFound | PriceLimit> {
    requireAdmin(viewer);
    if (!isProductId(id)) return notFound(id);
    const patch = checkPatch(input);
    if ('__typename' in patch) return patch;
    if (patch.price && patch.price.amount > this.maxPriceAmount)
      return priceLimit(this.maxPriceAmount, 'price.amount');
    try {
      const product = await this.repository.update(id, patch);
      return product ? asResult(product) : notFound(id);
    } catch (error) {
      if (error instanceof DuplicateSkuError) return duplicateSku(error);
      throw error;
    }
  }

  /**
   * Adds delta to the stock. Refused, with nothing written: a zero delta, a delta beyond ±maxStock,
   * a result below zero, or a result that puts the units on hand (stock plus what orders hold, which
   * a release gives back) above maxStock.
   */
  async adjustStock(
    viewer: Viewer | null,
    id: string,
    delta: number,
  ): Promise<ProductResult | StockBelowZero | StockLimit | NotFound | InvalidInput> {
    requireAdmin(viewer);
    if (!isProductId(id)) return notFound(id);
    if (!Number.isInteger(delta)) return invalid('delta', 'delta must be a whole number');
    if (delta === 0) return invalid('delta', 'delta must not be zero');
    if (Math.abs(delta) > this.maxStock)
      return stockLimit(this.maxStock, `delta must be between -${this.maxStock} and ${this.maxStock}`);
    const result = await this.repository.adjustStock(id, delta, this.maxStock);
    if (result.kind === 'not-found') return notFound(id);
    if (result.kind === 'below-zero') {
      return {
        __typename: 'StockBelowZeroError',
        message: `Stock is ${result.product.stock}; removing ${-delta} would leave it below zero`,
        stock: result.product.stock,
        delta,
      };
    }
    if (result.kind === 'above-limit') {
      const { stock } = result.product;
      return stockLimit(
        this.maxStock,
        `Stock is ${stock} with ${result.held} held by orders; adding ${delta} would put ` +
          `${stock + result.held + delta} on hand, above the maximum of ${this.maxStock}`,
      );
    }
    return asResult(result.product);
  }
}
