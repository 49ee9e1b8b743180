import mongoose, { type Connection, type FilterQuery, type Model, type SortOrder } from 'mongoose';
import { isProductId } from '@shop/messaging';
import { isDuplicateKey, productModel, toProduct, type ProductDoc } from './documents';
import { productLock, type Locks } from './locks';
import { searchIndexFor, type SearchRepository } from './search.repository';
import type {
  NewProduct,
  ProductCursor,
  ProductModel,
  ProductPatch,
  ProductSort,
  ResolvedFilter,
} from './models';
import { SORT_KEYS } from './products.paging';
import { isSlug, MAX_SLUG_SUFFIX, slugify, withSuffix } from './slugs';
import { DuplicateSlugError, type SlugChoice, type SlugRegistry } from './slugs.repository';
import { derivedOf } from './variants';
import type { SkuRegistry } from './variants.skus';

export class DuplicateSkuError extends Error {
  constructor(readonly sku: string) {
    super(`SKU ${sku} is already used by another product`);
  }
}

/** Where a list read starts: after (or, inclusive, at) the cursor, in the direction it walks. */
export interface ListRange {
  direction: 'forward' | 'backward';
  cursor: ProductCursor | null;
  /** Include the cursor's own row (to learn whether it is still there). */
  inclusive: boolean;
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The filter's conditions (without any cursor): what a page and its totalCount share. */
function filterConditions(filter: ResolvedFilter): FilterQuery<ProductDoc>[] {
  const and: FilterQuery<ProductDoc>[] = [];
  // Substring search: used until products.search.ts serves searches (see ProductsService.listProducts).
  if (filter.search) {
    const pattern = new RegExp(escapeRegex(filter.search), 'i');
    and.push({ $or: [{ name: pattern }, { description: pattern }, { sku: pattern }] });
  }
  if (filter.categoryIds !== null) and.push({ categoryIds: { $in: filter.categoryIds } });
  if (filter.inStock === true) and.push({ stock: { $gt: 0 } });
  if (filter.inStock === false) and.push({ stock: { $lte: 0 } });
  if (typeof filter.minPrice === 'number') and.push({ 'price.amount': { $gte: filter.minPrice } });
  if (typeof filter.maxPrice === 'number') and.push({ 'price.amount': { $lte: filter.maxPrice } });
  return and;
}

/** The walk order of a read: the sort's order forward, the reverse backward. */
function walk(sort: ProductSort, direction: ListRange['direction']) {
  const { field, direction: sortDirection } = SORT_KEYS[sort];
  return { field, order: (direction === 'forward' ? sortDirection : -sortDirection) as 1 | -1 };
}

function rangeCondition(sort: ProductSort, range: ListRange): FilterQuery<ProductDoc> | null {
  if (!range.cursor) return null;
  const { field, order } = walk(sort, range.direction);
  const op = order === 1 ? '$gt' : '$lt';
  const idOp = range.inclusive ? `${op}e` : op;
  const value = field === 'createdAt' ? new Date(range.cursor.value) : range.cursor.value;
  const id = new mongoose.Types.ObjectId(range.cursor.id);
  return { $or: [{ [field]: { [op]: value } }, { [field]: value, _id: { [idOp]: id } }] };
}

const query = (and: FilterQuery<ProductDoc>[]): FilterQuery<ProductDoc> => (and.length ? { $and: and } : {});

/**
 * The catalogue on MongoDB (FerretDB locally) through mongoose: lookups, keyset pages in both
 * directions, counts and the admin writes. Every write to a product runs under its product lock (see
 * locks.ts); what orders hold of a product is the reservations repository's. Product slugs are
 * claimed in the slug registry (namespace `product`) before the document carries them.
 */
export class ProductsRepository {
  private readonly connection: Connection;
  private readonly locks: Locks;
  private readonly products: Model<ProductDoc>;
  readonly slugs: SlugRegistry;
  private readonly skus: SkuRegistry | null;
  /** The search index (search.repository.ts): insert and update index what they write. */
  readonly search: SearchRepository;

  /** `skus`: the SKU registry (variants.skus.ts) new products claim their SKUs in. */
  constructor({
    connection,
    locks,
    slugs,
    skus,
  }: {
    connection: Connection;
    locks: Locks;
    slugs: SlugRegistry;
    skus?: SkuRegistry;
  }) {
    this.connection = connection;
    this.locks = locks;
    this.products = productModel(connection);
    this.slugs = slugs;
    this.skus = skus ?? null;
    this.search = searchIndexFor(connection, locks);
    slugs.register('product', async (id) => (await this.findById(id))?.slug ?? null);
  }

  /** Creates the products collection's indexes (SKU unique). Idempotent. */
  async init(): Promise<void> {
    await this.products.createIndexes();
  }

  async ping(): Promise<boolean> {
    const db = this.connection.db;
    if (!db) return false;
    await db.admin().ping();
    return true;
  }

  async count(): Promise<number> {
    return this.products.countDocuments({});
  }

  /** One query for any number of ids; malformed ids are skipped. */
  async findByIds(ids: readonly string[]): Promise<ProductModel[]> {
    const valid = [...new Set(ids.filter(isProductId))];
    if (valid.length === 0) return [];
    const docs = await this.products
      .find({ _id: { $in: valid.map((id) => new mongoose.Types.ObjectId(id)) } })
      .lean<ProductDoc[]>()
      .exec();
    return docs.map(toProduct);
  }

  async findById(id: string): Promise<ProductModel | null> {
    if (!isProductId(id)) return null;
    const doc = await this.products.findById(id).lean<ProductDoc>().exec();
    return doc ? toProduct(doc) : null;
  }

  /** The id of the product that carries a slug: one read of the registry by `_id` (null: none). */
  async idBySlug(slug: string): Promise<string | null> {
    if (!isSlug(slug)) return null;
    return this.slugs.ownerOf('product', slug);
  }

  /** `limit` rows from the range's cursor, in the order the range walks (sort key, then _id). */
  async list(
    filter: ResolvedFilter,
    sort: ProductSort,
    range: ListRange,
    limit: number,
  ): Promise<ProductModel[]> {
    const { field, order } = walk(sort, range.direction);
    const and = filterConditions(filter);
    const from = rangeCondition(sort, range);
    if (from) and.push(from);
    const docs = await this.products
      .find(query(and))
      .sort({ [field]: order, _id: order } as Record<string, SortOrder>)
      .limit(limit)
      .lean<ProductDoc[]>()
      .exec();
    return docs.map(toProduct);
  }

  /** How many products match the filter (all pages). */
  async countMatching(filter: ResolvedFilter): Promise<number> {
    return this.products.countDocuments(query(filterConditions(filter)));
  }

  /** How many products belong to any of these categories. */
  async countInCategories(categoryIds: string[]): Promise<number> {
    if (categoryIds.length === 0) return 0;
    return this.products.countDocuments({ categoryIds: { $in: categoryIds } });
  }

  /**
   * Inserts a product with the slug chosen (DuplicateSlugError when taken) and its variants numbered
   * from 1; throws DuplicateSkuError when the SKU is taken (and gives the slug back).
   */
  async insert(product: NewProduct, slug: SlugChoice): Promise<ProductModel> {
    const _id = new mongoose.Types.ObjectId();
    const claimed = await this.slugs.claimChoice('product', slug, _id.toHexString());
    // Search index: marks the product pending, inserts it, then indexes it (search.repository.ts).
    const create = () =>
      this.search.indexing(_id.toHexString(), async () =>
        toProduct((await this.products.create(newDoc(_id, { ...product, slug: claimed }))).toObject()),
      );
    try {
      // The SKUs are claimed in the registry (all or none) before the insert.
      return this.skus
        ? await this.skus.withClaims(_id.toHexString(), product.variants, create)
        : await create();
    } catch (error) {
      await this.slugs.release('product', claimed, _id.toHexString()).catch(() => undefined);
      if (error instanceof DuplicateSkuError) throw error;
      if (isDuplicateKey(error)) throw new DuplicateSkuError(product.variants[0]?.sku ?? '');
      throw error;
    }
  }

  /**
   * Inserts the products none of whose SKUs is in the catalogue yet (the seed); `slug` of each is a
   * base, suffixed when taken. Returns how many were added. Slugs are claimed in one insert.
   */
  async insertMissing(products: NewProduct[]): Promise<number> {
    const skus = products.flatMap((p) => p.variants.map((v) => v.sku));
    const existing = new Set<string>();
    for (let i = 0; i < skus.length; i += 1000) {
      const chunk = skus.slice(i, i + 1000);
      const docs = await this.products
        .find({ $or: [{ sku: { $in: chunk } }, { 'variants.sku': { $in: chunk } }] }, { sku: 1, variants: 1 })
        .lean<Pick<ProductDoc, 'sku' | 'variants'>[]>()
        .exec();
      for (const d of docs)
        for (const sku of [d.sku, ...(d.variants ?? []).map((v) => v.sku)]) existing.add(sku);
    }
    const missing = products
      .filter((p) => !p.variants.some((v) => existing.has(v.sku)))
      .map((product) => ({ _id: new mongoose.Types.ObjectId(), product }));
    if (missing.length === 0) return 0;
    const claims = missing.map(({ _id, product }) => ({ slug: product.slug, owner: _id.toHexString() }));
    const won = await this.slugs.claimMany('product', claims);
    const docs: ReturnType<typeof newDoc>[] = [];
    for (const { _id, product } of missing) {
      let slug = won.has(product.slug) ? product.slug : null;
      for (let n = 2; slug === null && n <= MAX_SLUG_SUFFIX + 50; n += 1) {
        const candidate = withSuffix(product.slug, n);
        if (await this.slugs.claim('product', candidate, _id.toHexString())) slug = candidate;
      }
      if (slug === null) throw new DuplicateSlugError(product.slug);
      docs.push(newDoc(_id, { ...product, slug }));
    }
    let added = docs.length;
    try {
      // Search index: marks the products pending, inserts them, then indexes them (search.repository.ts).
      const ids = missing.map(({ _id }) => _id.toHexString());
      const batch = docs;
      await this.search.indexing(ids, () => this.products.insertMany(batch, { ordered: false }));
    } catch (error) {
      // Another instance seeding at the same time inserted some of them: those are not added twice.
      if (!isDuplicateKey(error) && !(error as { writeErrors?: unknown }).writeErrors) throw error;
      added = (error as { insertedDocs?: unknown[] }).insertedDocs?.length ?? 0;
    }
    await this.skus?.registerMissing(); // their SKUs into the registry (as the start-up does)
    return added;
  }

  /**
   * Applies a patch of catalogue fields under the product's lock; a new slug is claimed first
   * (DuplicateSlugError when taken) and the old one given back after. Null when the product does not
   * exist. (SKUs, prices and stock are the variants' writes: variants.repository.ts.)
   */
  async update(id: string, patch: ProductPatch): Promise<ProductModel | null> {
    if (!isProductId(id)) return null;
    return this.locks.withLock(productLock(id), async () => {
      const current = await this.products.findById(id, { slug: 1 }).lean<Pick<ProductDoc, 'slug'>>().exec();
      if (!current) return null;
      const set: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(patch)) if (value !== undefined) set[key] = value;
      const newSlug = patch.slug !== undefined && patch.slug !== current.slug ? patch.slug : null;
      if (newSlug !== null) await this.slugs.claimChoice('product', { exact: newSlug }, id);
      let doc: ProductDoc | null;
      try {
        // Search index: marks the product pending, updates it, then indexes it (search.repository.ts).
        doc = await this.search.indexing(id, () =>
          this.products.findOneAndUpdate({ _id: id }, { $set: set }, { new: true }).lean<ProductDoc>().exec(),
        );
      } catch (error) {
        if (newSlug !== null) await this.slugs.release('product', newSlug, id).catch(() => undefined);
        throw error;
      }
      if (newSlug !== null && current.slug) await this.slugs.release('product', current.slug, id);
      return doc ? toProduct(doc) : null;
    });
  }

  /**
   * Products written before categories and slugs were part of the catalogue (no categoryIds or no
   * slug): what the start-up migration completes.
   */
  async legacyProducts(): Promise<{ id: string; name: string; category: string | null }[]> {
    const docs = await this.products
      .find(
        { $or: [{ slug: { $exists: false } }, { categoryIds: { $exists: false } }] },
        { name: 1, category: 1 },
      )
      .lean<Pick<ProductDoc, '_id' | 'name' | 'category'>[]>()
      .exec();
    return docs.map((d) => ({ id: d._id.toHexString(), name: d.name, category: d.category ?? null }));
  }

  /**
   * Gives a legacy product what it lacks, under its lock, leaving what it has: its categories, and a
   * slug made from its name (suffixed when taken). Idempotent: a second run changes nothing, and a
   * run that died after claiming the slug finds the claim its own.
   */
  async completeLegacy(id: string, categoryIds: string[]): Promise<void> {
    await this.locks.withLock(productLock(id), async () => {
      const doc = await this.products.findById(id).lean<ProductDoc>().exec();
      if (!doc) return;
      const set: Record<string, unknown> = {};
      if (!doc.categoryIds) set.categoryIds = categoryIds;
      if (!doc.slug)
        set.slug = await this.slugs.claimChoice('product', { base: slugify(doc.name, 'product') }, id);
      if (Object.keys(set).length === 0) return;
      await this.products.findOneAndUpdate({ _id: id }, { $set: set }).exec();
    });
  }
}

/** The document of a new product: variants numbered from 1, sku/price/stock derived from them. */
function newDoc(_id: mongoose.Types.ObjectId, product: NewProduct) {
  const variants = product.variants.map((v, i) => ({
    n: i + 1,
    sku: v.sku,
    options: v.selectedOptions.map((o) => ({ name: o.name, value: o.value })),
    price: { amount: v.price.amount, currency: v.price.currency },
    stock: v.stock,
    images: v.images,
  }));
  return {
    _id,
    slug: product.slug,
    name: product.name,
    description: product.description,
    categoryIds: product.categoryIds,
    images: product.images,
    options: product.options,
    variants,
    nextVariant: variants.length + 1,
    ...derivedOf(product.variants),
    holds: [],
  };
}
