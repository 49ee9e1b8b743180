import mongoose, { type Connection, type FilterQuery, type Model, type SortOrder } from 'mongoose';
import { isProductId } from '@shop/messaging';
import { heldUnits, isDuplicateKey, productModel, toProduct, type ProductDoc } from './documents';
import { productLock, type Locks } from './locks';
import type {
  NewProduct,
  ProductCursor,
  ProductFilter,
  ProductModel,
  ProductPatch,
  ProductSort,
} from './models';

export type AdjustResult =
  | { kind: 'ok'; product: ProductModel }
  | { kind: 'not-found' }
  | { kind: 'below-zero' | 'above-limit'; product: ProductModel; held: number };

export class DuplicateSkuError extends Error {
  constructor(readonly sku: string) {
    super(`SKU ${sku} is already used by another product`);
  }
}

/** The sort key of each sort order; the _id tie-break runs in the same direction. */
const SORT_KEYS: Record<ProductSort, { field: 'price.amount' | 'name' | 'createdAt'; direction: 1 | -1 }> = {
  PRICE_ASC: { field: 'price.amount', direction: 1 },
  PRICE_DESC: { field: 'price.amount', direction: -1 },
  NAME_ASC: { field: 'name', direction: 1 },
  NEWEST: { field: 'createdAt', direction: -1 },
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

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function listQuery(
  filter: ProductFilter,
  sort: ProductSort,
  after: ProductCursor | null,
): FilterQuery<ProductDoc> {
  const and: FilterQuery<ProductDoc>[] = [];
  if (filter.search) {
    const pattern = new RegExp(escapeRegex(filter.search), 'i');
    and.push({ $or: [{ name: pattern }, { description: pattern }, { sku: pattern }] });
  }
  if (filter.category) and.push({ category: filter.category });
  if (filter.inStock === true) and.push({ stock: { $gt: 0 } });
  if (filter.inStock === false) and.push({ stock: { $lte: 0 } });
  if (typeof filter.minPrice === 'number') and.push({ 'price.amount': { $gte: filter.minPrice } });
  if (typeof filter.maxPrice === 'number') and.push({ 'price.amount': { $lte: filter.maxPrice } });
  if (after) {
    const { field, direction } = SORT_KEYS[sort];
    const op = direction === 1 ? '$gt' : '$lt';
    const value = field === 'createdAt' ? new Date(after.value) : after.value;
    const id = new mongoose.Types.ObjectId(after.id);
    and.push({ $or: [{ [field]: { [op]: value } }, { [field]: value, _id: { [op]: id } }] });
  }
  return and.length ? { $and: and } : {};
}

/**
 * The catalogue on MongoDB (FerretDB locally) through mongoose: lookups, keyset pages and the admin
 * writes. Every write to a product runs under its product lock (see locks.ts); what orders hold of a
 * product is the reservations repository's.
 */
export class ProductsRepository {
  private readonly connection: Connection;
  private readonly locks: Locks;
  private readonly products: Model<ProductDoc>;

  constructor({ connection, locks }: { connection: Connection; locks: Locks }) {
    this.connection = connection;
    this.locks = locks;
    this.products = productModel(connection);
  }

  /** Creates the products collection's indexes (SKU unique, category). Idempotent. */
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

  /** `limit` rows after the cursor, in keyset order (sort key, then _id). */
  async list(
    filter: ProductFilter,
    sort: ProductSort,
    after: ProductCursor | null,
    limit: number,
  ): Promise<ProductModel[]> {
    const { field, direction } = SORT_KEYS[sort];
    const order: Record<string, SortOrder> = { [field]: direction, _id: direction };
    const docs = await this.products
      .find(listQuery(filter, sort, after))
      .sort(order)
      .limit(limit)
      .lean<ProductDoc[]>()
      .exec();
    return docs.map(toProduct);
  }

  /** Inserts a product; throws DuplicateSkuError when the SKU is taken. */
  async insert(product: NewProduct): Promise<ProductModel> {
    try {
      const doc = await this.products.create(product);
      return toProduct(doc.toObject());
    } catch (error) {
      if (isDuplicateKey(error)) throw new DuplicateSkuError(product.sku);
      throw error;
    }
  }

  /** Inserts the products whose SKU is not in the catalogue yet; returns how many were added. */
  async insertMissing(products: NewProduct[]): Promise<number> {
    const existing = new Set(
      (
        await this.products
          .find({ sku: { $in: products.map((p) => p.sku) } }, { sku: 1 })
          .lean<{ sku: string }[]>()
          .exec()
      ).map((d) => d.sku),
    );
    const missing = products.filter((p) => !existing.has(p.sku));
    if (missing.length) await this.products.insertMany(missing, { ordered: false });
    return missing.length;
  }

  /** Applies a patch; null when the product does not exist; DuplicateSkuError when the SKU is taken. */
  async update(id: string, patch: ProductPatch): Promise<ProductModel | null> {
    if (!isProductId(id)) return null;
    const set: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(patch)) if (value !== undefined) set[key] = value;
    return this.locks.withLock(productLock(id), async () => {
      try {
        const doc = await this.products
          .findOneAndUpdate({ _id: id }, { $set: set }, { new: true })
          .lean<ProductDoc>()
          .exec();
        return doc ? toProduct(doc) : null;
      } catch (error) {
        if (isDuplicateKey(error) && typeof patch.sku === 'string') throw new DuplicateSkuError(patch.sku);
        throw error;
      }
    });
  }

  /**
   * Adds delta to the stock unless that would leave it below zero, or the units on hand (the stock
   * plus what orders hold of it) above `maxOnHand`. Returns the product after the change, 'not-found',
   * or the refused product (unchanged) with what its orders hold.
   */
  async adjustStock(id: string, delta: number, maxOnHand = Number.MAX_SAFE_INTEGER): Promise<AdjustResult> {
    if (!isProductId(id)) return { kind: 'not-found' };
    return this.locks.withLock(productLock(id), async (): Promise<AdjustResult> => {
      // Checked on the document read; the lock makes read-then-write safe (FAST_BY_ID).
      const current = await this.products.findById(id).lean<ProductDoc>().exec();
      if (!current) return { kind: 'not-found' };
      const held = heldUnits(current.holds);
      if (current.stock + delta < 0) return { kind: 'below-zero', product: toProduct(current), held };
      if (current.stock + delta + held > maxOnHand)
        return { kind: 'above-limit', product: toProduct(current), held };
      const doc = await this.products
        .findOneAndUpdate({ _id: id }, { $inc: { stock: delta } }, { new: true })
        .lean<ProductDoc>()
        .exec();
      return doc ? { kind: 'ok', product: toProduct(doc) } : { kind: 'not-found' };
    });
  }
}
