import { requireAdmin, type Viewer } from '@shop/auth';
import { isVariantId, parseVariantId } from '@shop/messaging';
import type { ImageStore } from './images';
import { DEFAULT_MAX_PRICE_AMOUNT, DEFAULT_MAX_STOCK, type ProductModel } from './models';
import { targetOf, type StockWrite, type VariantsRepository, type VariantWrite } from './variants.repository';
import {
  availabilityOf,
  checkProductVariants,
  checkVariant,
  checkVariantPatch,
  DEFAULT_LOW_STOCK_THRESHOLD,
  duplicateSku,
  invalid,
  isProblem,
  stockLimit,
  type Availability,
  type InvalidInput,
  type Limits,
  type ProductVariantsInput,
  type StockLimit,
  type VariantInput,
  type VariantOfProduct,
  type VariantPatchInput,
  type VariantProblem,
} from './variants';

export type ProductResult = { __typename: 'Product' } & ProductModel;
type ProductNotFound = { __typename: 'ProductNotFoundError'; message: string; productId: string };
type VariantNotFound = { __typename: 'VariantNotFoundError'; message: string; variantId: string };
type StockBelowZero = { __typename: 'StockBelowZeroError'; message: string; stock: number; delta: number };

/** What addVariant, updateVariant and removeVariant answer (the SDL's VariantResult). */
export type VariantResult = ProductResult | VariantProblem | ProductNotFound | VariantNotFound;
/** What adjustStock answers (the SDL's AdjustStockResult). */
export type AdjustStockResult =
  ProductResult | StockBelowZero | StockLimit | ProductNotFound | VariantNotFound | InvalidInput;

const productNotFound = (productId: string): ProductNotFound => ({
  __typename: 'ProductNotFoundError',
  message: `No product with id ${productId}`,
  productId,
});
const variantNotFound = (variantId: string): VariantNotFound => ({
  __typename: 'VariantNotFoundError',
  message: `No variant with id ${variantId}`,
  variantId,
});
/** An id that names nothing: a variant's look (it has a '-') is a variant not found, else a product. */
const nothingNamed = (id: string) => (id.includes('-') ? variantNotFound(id) : productNotFound(id));

export interface VariantsServiceDeps {
  repository: VariantsRepository;
  /** MAX_STOCK: most units of one variant on hand (its stock plus what orders hold of it). */
  maxStock?: number;
  /** MAX_PRICE_AMOUNT: highest unit price of a variant. */
  maxPriceAmount?: number;
  /** LOW_STOCK_THRESHOLD: up to this many units a variant is LOW_STOCK for shoppers. */
  lowStockThreshold?: number;
  /** The served images, which a variant image's local URL must name. */
  images?: ImageStore;
}

/**
 * Variants of products: what shoppers and admins see of them, and the admin mutations (addVariant,
 * updateVariant, removeVariant, adjustStock of a product's only variant or of a variant). Input is
 * checked by variants.ts before anything is written; the rules that depend on the product as it is
 * (a combination not offered yet, at most 100 variants, one currency, not the last variant, no units
 * held) are checked by the repository under the product's lock.
 */
export class VariantsService {
  private readonly repository: VariantsRepository;
  readonly limits: Limits;
  readonly lowStockThreshold: number;

  constructor({
    repository,
    maxStock = DEFAULT_MAX_STOCK,
    maxPriceAmount = DEFAULT_MAX_PRICE_AMOUNT,
    lowStockThreshold = DEFAULT_LOW_STOCK_THRESHOLD,
    images,
  }: VariantsServiceDeps) {
    this.repository = repository;
    this.limits = { maxStock, maxPriceAmount, images };
    this.lowStockThreshold = lowStockThreshold;
  }

  // ---- reads ------------------------------------------------------------------------------------

  /** A product's variants, each with its product (what Product.variants answers). */
  variantsOf(product: ProductModel): VariantOfProduct[] {
    return product.variants.map((v) => ({ ...v, product }));
  }

  /**
   * One variant by id (Query.productVariant, _entities): only an id in the issued form names one;
   * its product is read through `load` (the request's product loader), so a page of references costs
   * one batch. Null for anything else, never an error.
   */
  async variantById(
    id: unknown,
    load: (productId: string) => Promise<ProductModel | null>,
  ): Promise<VariantOfProduct | null> {
    if (!isVariantId(id)) return null;
    const { productId, n } = parseVariantId(id);
    const product = await load(productId);
    const variant = product?.variants.find((v) => v.n === n);
    return product && variant ? { ...variant, product } : null;
  }

  /** The exact count for administrators; null for everyone else (they see availability). */
  stockFor(viewer: Viewer | null, stock: number): number | null {
    return viewer?.role === 'ADMIN' ? stock : null;
  }

  availability(stock: number): Availability {
    return availabilityOf(stock, this.lowStockThreshold);
  }

  // ---- createProduct ----------------------------------------------------------------------------

  /** createProduct's options and variants (variants.ts checkProductVariants, with this service's limits). */
  checkNewVariants(input: ProductVariantsInput) {
    return checkProductVariants(input, this.limits);
  }

  // ---- admin mutations --------------------------------------------------------------------------

  async addVariant(viewer: Viewer | null, productId: string, input: VariantInput): Promise<VariantResult> {
    requireAdmin(viewer);
    const target = targetOf(productId);
    if (target?.n !== null || !target) return productNotFound(productId);
    // Options never change once a product exists, so they may be read before the lock.
    const product = await this.repository.findProduct(productId);
    if (!product) return productNotFound(productId);
    if (product.options.length === 0)
      return invalid('productId', 'the product has no options: it has exactly one variant');
    const variant = checkVariant(
      input,
      product.options,
      this.limits,
      '',
      product.variants[0]?.price.currency,
    );
    if (isProblem(variant)) return variant;
    return this.answer(await this.repository.addVariant(productId, variant), productId);
  }

  async updateVariant(viewer: Viewer | null, id: string, input: VariantPatchInput): Promise<VariantResult> {
    requireAdmin(viewer);
    if (!isVariantId(id)) return variantNotFound(id);
    const patch = checkVariantPatch(input, this.limits);
    if (isProblem(patch)) return patch;
    if (Object.keys(patch).length === 0) return invalid('input', 'give sku, price or images to change');
    return this.answer(await this.repository.updateVariant(parseVariantId(id), patch), id);
  }

  async removeVariant(viewer: Viewer | null, id: string): Promise<VariantResult> {
    requireAdmin(viewer);
    if (!isVariantId(id)) return variantNotFound(id);
    return this.answer(await this.repository.removeVariant(parseVariantId(id)), id);
  }

  /**
   * Adds delta to the stock of a variant (by its id) or of a product's only variant (by the
   * product's id). Refused, with nothing written: a zero delta, a delta beyond ±maxStock, a product
   * with several variants named by its id, a result below zero, or a result that puts the variant's
   * units on hand (its stock plus what orders hold of it, which a release gives back) above maxStock.
   */
  async adjustStock(viewer: Viewer | null, id: string, delta: number): Promise<AdjustStockResult> {
    requireAdmin(viewer);
    const target = targetOf(id);
    if (!target) return nothingNamed(id);
    const { maxStock } = this.limits;
    if (!Number.isInteger(delta)) return invalid('delta', 'delta must be a whole number');
    if (delta === 0) return invalid('delta', 'delta must not be zero');
    if (Math.abs(delta) > maxStock)
      return stockLimit(maxStock, `delta must be between -${maxStock} and ${maxStock}`);
    const result = await this.repository.adjustStock(target, delta, maxStock);
    if (result.kind === 'below-zero') {
      const { stock } = result.variant;
      return {
        __typename: 'StockBelowZeroError',
        message: `Stock is ${stock}; removing ${-delta} would leave it below zero`,
        stock,
        delta,
      };
    }
    if (result.kind === 'above-limit') {
      const { stock } = result.variant;
      return stockLimit(
        maxStock,
        `Stock is ${stock} with ${result.held} held by orders; adding ${delta} would put ` +
          `${stock + result.held + delta} on hand, above the maximum of ${maxStock}`,
      );
    }
    if (result.kind === 'refused' || result.kind === 'duplicate-sku')
      throw new Error(`adjustStock: unexpected ${result.kind}`);
    return this.answer(result, id) as AdjustStockResult;
  }

  /** A repository outcome as the mutation's result union. */
  private answer(result: VariantWrite | StockWrite, id: string): VariantResult {
    switch (result.kind) {
      case 'ok':
        return { __typename: 'Product', ...result.product };
      case 'product-not-found':
        return productNotFound(id);
      case 'variant-not-found':
        return variantNotFound(id);
      case 'several':
        return invalid('id', `the product has ${result.count} variants: give the id of one of them`);
      case 'refused':
        return result.problem;
      case 'duplicate-sku':
        return duplicateSku(result.sku);
      default:
        throw new Error(`unexpected variant write: ${result.kind}`);
    }
  }
}
