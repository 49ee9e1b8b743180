import { requireAdmin, type Viewer } from '@shop/auth';
import { badUserInput } from '@shop/errors';
import { isProductId } from '@shop/messaging';
import type { CategoriesService, CategoryNotFound, DuplicateSlug } from './categories.service';
import { categoryNotFound, duplicateSlug } from './categories.service';
import type { CategoryTree } from './categories.tree';
import { ImageStore, IMAGES_PATH } from './images';
import {
  DEFAULT_MAX_PRICE_AMOUNT,
  DEFAULT_MAX_STOCK,
  type CategoryModel,
  type ProductFilter,
  type ProductModel,
  type ProductSort,
  type ResolvedFilter,
} from './models';
import {
  checkNewProduct,
  checkProductPatch,
  type CategoryChoice,
  type CreateProductInput,
  type UpdateProductInput,
} from './products.checks';
import { CONTROL_BUT_LAYOUT, invalid, type InvalidInput } from './products.inputs';
import { emptyPage, pageWindow, toPage, type ProductPage, type WindowArgs } from './products.paging';
import { DuplicateSkuError, type ProductsRepository } from './products.repository';
import { checkSearchWindow, searchProducts } from './products.search';
import { isSlug } from './slugs';
import { isWellFormed } from '@shop/graphql';
import { DuplicateSlugError } from './slugs.repository';
import {
  availabilityOf,
  DEFAULT_LOW_STOCK_THRESHOLD,
  type Availability,
  type PriceLimit,
  type StockLimit,
} from './variants';
import type { VariantsService } from './variants.service';

export { type CreateProductInput, type UpdateProductInput } from './products.checks';

export const MAX_SEARCH_LENGTH = 200;

export type ProductResult = { __typename: 'Product' } & ProductModel;
type DuplicateSku = { __typename: 'DuplicateSkuError'; message: string; sku: string };
type NotFound = { __typename: 'ProductNotFoundError'; message: string; productId: string };

const asResult = (product: ProductModel): ProductResult => ({ __typename: 'Product', ...product });
const notFound = (productId: string): NotFound => ({
  __typename: 'ProductNotFoundError',
  message: `No product with id ${productId}`,
  productId,
});
const duplicateSku = (error: DuplicateSkuError): DuplicateSku => ({
  __typename: 'DuplicateSkuError',
  message: error.message,
  sku: error.sku,
});

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
 * character other than tab and line breaks, so a search with one matches nothing. Such a search is
 * answered without a query (BSON cannot even carry a regex containing NUL).
 */
const canMatch = (search: string | null | undefined) =>
  search == null || (isWellFormed(search) && !CONTROL_BUT_LAYOUT.test(search));

export interface ListArgs extends WindowArgs {
  filter?: ProductFilter | null;
  sort?: ProductSort | null;
}

/** What a list needs of the request: its category tree (loaded once per request, when needed). */
export interface ListScope {
  tree: () => Promise<CategoryTree>;
  /** Only products of these categories (a category's page: its sub-tree). */
  within?: string[];
}

export interface ProductsServiceDeps {
  repository: ProductsRepository;
  categories: CategoriesService;
  /** Variants: their reads and admin mutations (variants.service.ts; the resolvers use it too). */
  variants: VariantsService;
  /** The images this service serves (ImageInput paths are checked against it). */
  images?: ImageStore;
  /** Public base URL of this service's /images/ route (PUBLIC_URL). */
  publicUrl?: string;
  /** Most units of one product on hand: its stock plus what orders hold (MAX_STOCK). */
  maxStock?: number;
  /** Highest unit price in minor units (MAX_PRICE_AMOUNT). */
  maxPriceAmount?: number;
  /** Up to this many units is LOW_STOCK (LOW_STOCK_THRESHOLD). */
  lowStockThreshold?: number;
}

/**
 * The catalogue's rules: listing, lookups and the admin mutations. Only the canonical product id
 * (`isProductId`: 24 lower-case hex digits, as the store issues it) and the slug as issued name a
 * product; any other spelling is not found and never reaches the store or a lock. Stock and prices
 * are bounded (`maxStock`, `maxPriceAmount`) and checked before anything is written. Shoppers see
 * availability; the exact stock only administrators.
 */
export class ProductsService {
  private readonly repository: ProductsRepository;
  readonly categories: CategoriesService;
  readonly variants: VariantsService;
  readonly images: ImageStore;
  private readonly publicUrl: string;
  readonly maxStock: number;
  readonly maxPriceAmount: number;
  readonly lowStockThreshold: number;

  constructor({
    repository,
    categories,
    variants,
    images = new ImageStore(),
    publicUrl = 'http://localhost:4002',
    maxStock = DEFAULT_MAX_STOCK,
    maxPriceAmount = DEFAULT_MAX_PRICE_AMOUNT,
    lowStockThreshold = DEFAULT_LOW_STOCK_THRESHOLD,
  }: ProductsServiceDeps) {
    this.repository = repository;
    this.categories = categories;
    this.variants = variants;
    this.images = images;
    this.publicUrl = publicUrl.replace(/\/+$/, '');
    this.maxStock = maxStock;
    this.maxPriceAmount = maxPriceAmount;
    this.lowStockThreshold = lowStockThreshold;
  }

  // ---- reads ------------------------------------------------------------------------------------

  /**
   * A keyset page (products.paging.ts), forward or backward. The category conditions are resolved
   * to ids from the request's tree first: an unknown category is an empty page without a query.
   * totalCount is counted only when asked for.
   */
  async listProducts(args: ListArgs, scope: ListScope): Promise<ProductPage> {
    const filter = checkFilter(args.filter);
    const sort: ProductSort =
      filter.search && (args.sort == null || args.sort === 'RELEVANCE')
        ? 'RELEVANCE'
        : args.sort == null || args.sort === 'RELEVANCE'
          ? 'NEWEST'
          : args.sort;
    // ---- SEARCH: with a search, the page comes from the keyword index (products.search.ts: its own
    // ranking and cursors; the page's products read by _id). Its paging arguments are checked first.
    if (filter.search) {
      checkSearchWindow(args, sort);
      const resolved = await this.resolveFilter(filter, scope);
      if (resolved === null || !canMatch(resolved.search)) return emptyPage();
      const deps = {
        index: this.repository.search,
        productById: (id: string) => this.repository.findById(id),
      };
      return searchProducts(deps, resolved, sort, args);
    }
    const window = pageWindow(args, sort);
    const resolved = await this.resolveFilter(filter, scope);
    if (resolved === null || !canMatch(resolved.search)) return emptyPage();
    const totalCount = () => this.repository.countMatching(resolved);
    if (window.limit === 0) return toPage([], window, sort, false, totalCount);
    const { cursor } = window;
    const rows = await this.repository.list(
      resolved,
      sort,
      { direction: window.direction, cursor, inclusive: cursor !== null },
      window.limit + 1 + (cursor ? 1 : 0),
    );
    let beyond = false;
    if (cursor) {
      // The cursor's own row, when it is still where it was, says something lies on its other side;
      // when it is gone (deleted, or its key changed), one more read asks.
      if (rows[0]?.id === cursor.id) {
        rows.shift();
        beyond = true;
      } else {
        const opposite = window.direction === 'forward' ? 'backward' : 'forward';
        beyond =
          (await this.repository.list(resolved, sort, { direction: opposite, cursor, inclusive: true }, 1))
            .length > 0;
      }
    }
    return toPage(rows.slice(0, window.limit + 1), window, sort, beyond, totalCount);
  }

  /** The filter the repository runs; null when no product can match (an unknown category). */
  private async resolveFilter(filter: ProductFilter, scope: ListScope): Promise<ResolvedFilter | null> {
    let categoryIds: string[] | null = scope.within ?? null;
    if (filter.category != null || filter.categoryId != null) {
      const allowed = this.categories.filterIds(await scope.tree(), filter);
      if (allowed !== null)
        categoryIds = categoryIds === null ? allowed : categoryIds.filter((id) => allowed.includes(id));
    }
    if (categoryIds !== null && categoryIds.length === 0) return null;
    return {
      search: filter.search ?? null,
      categoryIds,
      inStock: filter.inStock ?? null,
      minPrice: filter.minPrice ?? null,
      maxPrice: filter.maxPrice ?? null,
    };
  }

  /**
   * Batch lookup for DataLoader: one query, results in the order of ids, null for unknown ids and for
   * any id that is not canonical (another letter case names nothing).
   */
  async productsByIds(ids: readonly string[]): Promise<(ProductModel | null)[]> {
    const found = new Map((await this.repository.findByIds(ids)).map((p) => [p.id, p]));
    return ids.map((id) => found.get(id) ?? null);
  }

  /**
   * `product(id:)` or `product(slug:)`: exactly one (else BAD_USER_INPUT). A slug is looked up only
   * in the form slugs are issued in (`Mug` is null without a query): one registry read by `_id`, then
   * the product through `load` (the request's loader).
   */
  async product(
    args: { id?: string | null; slug?: string | null },
    load: (id: string) => Promise<ProductModel | null>,
  ): Promise<ProductModel | null> {
    if ((args.id == null) === (args.slug == null))
      throw badUserInput('give exactly one of id and slug', 'id');
    if (args.id != null) return load(args.id);
    const slug = args.slug!;
    if (!isSlug(slug)) return null;
    const id = await this.repository.idBySlug(slug);
    const product = id ? await load(id) : null;
    return product?.slug === slug ? product : null; // a stale registry entry names nothing
  }

  /** The exact stock, for administrators only (everyone else: null, and availability instead). */
  stockFor(viewer: Viewer | null, units: number): number | null {
    return viewer?.role === 'ADMIN' ? units : null;
  }

  availability(units: number): Availability {
    return availabilityOf(units, this.lowStockThreshold);
  }

  /** An image's absolute URL: a path of this service's /images/ gets the public base and its hash. */
  imageUrl(url: string): string {
    return url.startsWith(IMAGES_PATH) ? `${this.publicUrl}${this.images.hashedPath(url)}` : url;
  }

  /** A product's categories from the request's tree, the primary first (missing ids skipped). */
  categoriesOf(product: ProductModel, tree: CategoryTree): CategoryModel[] {
    return product.categoryIds.flatMap((id) => tree.byIdOrNull(id) ?? []);
  }

  // ---- admin writes -----------------------------------------------------------------------------

  private async categoryIdsFor(
    tree: CategoryTree,
    choice: CategoryChoice,
  ): Promise<string[] | CategoryNotFound> {
    if ('legacy' in choice) return [(await this.categories.ensureLegacy(tree, choice.legacy)).id];
    const missing = choice.ids.find((id) => !tree.byIdOrNull(id));
    return missing !== undefined ? categoryNotFound(missing) : choice.ids;
  }

  async createProduct(
    viewer: Viewer | null,
    input: CreateProductInput,
  ): Promise<
    ProductResult | InvalidInput | DuplicateSku | DuplicateSlug | CategoryNotFound | StockLimit | PriceLimit
  > {
    requireAdmin(viewer);
    const checked = checkNewProduct(input, this, this.images);
    if ('__typename' in checked) return checked;
    // Under the tree lock: the categories exist when the product is written (deleteCategory takes it too).
    return this.categories.withTree(async (tree) => {
      const categoryIds = await this.categoryIdsFor(tree, checked.categories);
      if (!Array.isArray(categoryIds)) return categoryIds;
      try {
        return asResult(await this.repository.insert({ ...checked.product, categoryIds }, checked.slug));
      } catch (error) {
        if (error instanceof DuplicateSkuError) return duplicateSku(error);
        if (error instanceof DuplicateSlugError) return duplicateSlug(error.slug);
        throw error;
      }
    });
  }

  /**
   * Changes a product's catalogue fields; `sku` and `price` are its only variant's and change
   * through the variants (updateVariant of that variant: the SKU registry, the derived fields). A
   * product with options changes them per variant. Everything is checked before the first write
   * (the slug's owner too); only a concurrent write of the same slug or SKU between the checks and
   * the writes can leave the variant changed and the catalogue fields not.
   */
  async updateProduct(
    viewer: Viewer | null,
    id: string,
    input: UpdateProductInput,
  ): Promise<
    ProductResult | InvalidInput | DuplicateSku | DuplicateSlug | CategoryNotFound | NotFound | PriceLimit
  > {
    requireAdmin(viewer);
    if (!isProductId(id)) return notFound(id);
    const checked = checkProductPatch(input, this.images);
    if ('__typename' in checked) return checked;
    const variantPatch = { sku: input.sku ?? undefined, price: input.price ?? undefined };
    let variantId: string | null = null;
    if (variantPatch.sku !== undefined || variantPatch.price !== undefined) {
      const current = await this.repository.findById(id);
      if (!current) return notFound(id);
      if (current.options.length > 0 || current.variants.length !== 1)
        return invalid(
          variantPatch.sku !== undefined ? 'sku' : 'price',
          'the product has options: change the SKU and price of each variant with updateVariant',
        );
      variantId = current.variants[0]!.id;
    }
    const { patch, categories } = checked;
    if (patch.slug !== undefined) {
      const owner = await this.repository.idBySlug(patch.slug);
      if (owner !== null && owner !== id) return duplicateSlug(patch.slug);
    }
    const write = async (categoryIds?: string[]) => {
      let result: ProductResult | null = null;
      if (variantId !== null) {
        const changed = await this.variants.updateVariant(viewer, variantId, variantPatch);
        if (changed.__typename === 'StockLimitError')
          throw new Error('updateVariant without stock: StockLimitError');
        if (changed.__typename !== 'Product')
          return changed.__typename === 'VariantNotFoundError' ? notFound(id) : changed;
        result = changed;
      }
      if (Object.keys(patch).length === 0 && categoryIds === undefined) return result ?? this.unchanged(id);
      try {
        const updated = await this.repository.update(id, { ...patch, categoryIds });
        return updated ? asResult(updated) : notFound(id);
      } catch (error) {
        if (error instanceof DuplicateSlugError) return duplicateSlug(error.slug);
        throw error;
      }
    };
    if (categories === null) return write();
    return this.categories.withTree(async (tree) => {
      const categoryIds = await this.categoryIdsFor(tree, categories);
      return Array.isArray(categoryIds) ? write(categoryIds) : categoryIds;
    });
  }

  private async unchanged(id: string): Promise<ProductResult | NotFound> {
    const product = await this.repository.findById(id);
    return product ? asResult(product) : notFound(id);
  }
}
