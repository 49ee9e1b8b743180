import { randomUUID } from 'node:crypto';
import mongoose, { Schema, type Connection, type FilterQuery, type SortOrder } from 'mongoose';
import type {
  NewProduct,
  ProductCursor,
  ProductFilter,
  ProductModel,
  ProductPatch,
  ProductSort,
  ReservationItem,
  ReservationModel,
  ReservationStatus,
  ReservedLine,
} from './models';
import { RESERVATION_STATUSES } from './models';

/**
 * Every datastore call of the products subgraph: products, reservations and locks, on MongoDB
 * (FerretDB locally) through mongoose.
 *
 * Why locks: FerretDB 1.x executes `findOneAndUpdate`/`updateOne` as read-modify-write without
 * isolation, so concurrent conditional decrements lose updates (measured: 200 concurrent
 * `{stock: {$gte: 1}}` decrements against stock 50 all "succeeded"). Every write to a product
 * therefore runs under a lock whose only primitive is an insert into a unique index (`locks._id`),
 * which is atomic on FerretDB and MongoDB alike; so is the insert that creates a reservation record,
 * which makes its creator its only writer until it is RESERVED (see the reservation service).
 *
 * FAST_BY_ID: FerretDB 1.x's SQLite backend uses its `_id` index only for `find`/`findOneAndUpdate`
 * filtered by `_id` alone; `updateOne`, `deleteOne`, `findOneAndDelete` and any filter with another
 * condition scan the collection (measured on 5,000 documents: `findOneAndUpdate({_id})` 1.7 ms,
 * `updateOne({_id})` 10.8 ms, `findOneAndUpdate({_id, status})` 17 ms, `findOneAndDelete({_id,
 * status})` 126 ms). So reservations are keyed by order id, conditions are checked on the document
 * read, and writes go through `findOneAndUpdate({_id})`. Reservations are never deleted.
 *
 * Why holds: a reservation touches several documents (each product, then the reservation record)
 * and a process can die between any two writes. So the units an order took from a product are
 * recorded in the product itself (`holds`), in the same single-document write that changes the
 * stock; giving them back removes the hold in the write that restores the stock. Every stock change
 * is therefore idempotent per order and product, and a crashed reservation can be undone exactly.
 */

interface ProductDoc {
  _id: mongoose.Types.ObjectId;
  sku: string;
  name: string;
  description: string;
  price: { amount: number; currency: string };
  stock: number;
  category: string;
  /** Units taken by orders whose reservation is not settled (sold or released) yet. */
  holds?: Hold[];
  createdAt: Date;
  updatedAt: Date;
}

interface Hold {
  orderId: string;
  quantity: number;
}

/** Keyed by the order id: FerretDB's SQLite backend looks up `_id` by index and scans for anything else. */
interface ReservationDoc {
  _id: string;
  orderId: string;
  status: ReservationStatus;
  /** What was asked for (written before any stock is taken). */
  items?: ReservationItem[];
  /** What was taken and at what price (once RESERVED). */
  lines: ReservedLine[];
  createdAt: Date;
  updatedAt: Date;
}

interface LockDoc {
  _id: string;
  owner: string;
  expiresAt: Date;
}

const productSchema = new Schema<ProductDoc>(
  {
    sku: { type: String, required: true, unique: true },
    name: { type: String, required: true },
    description: { type: String, default: '' },
    price: {
      amount: { type: Number, required: true },
      currency: { type: String, required: true },
    },
    stock: { type: Number, required: true, default: 0 },
    category: { type: String, required: true, index: true },
    holds: {
      type: [new Schema<Hold>({ orderId: String, quantity: Number }, { _id: false })],
      default: [],
    },
  },
  { timestamps: true, versionKey: false, autoIndex: false },
);

const lineSchema = new Schema<ReservedLine>(
  {
    productId: { type: String, required: true },
    sku: String,
    name: String,
    quantity: Number,
    unitPrice: { amount: Number, currency: String },
  },
  { _id: false },
);

const reservationSchema = new Schema<ReservationDoc>(
  {
    _id: { type: String, required: true },
    orderId: { type: String, required: true },
    status: { type: String, required: true, enum: RESERVATION_STATUSES },
    items: {
      type: [new Schema<ReservationItem>({ productId: String, quantity: Number }, { _id: false })],
      default: [],
    },
    lines: { type: [lineSchema], default: [] },
  },
  { timestamps: true, versionKey: false, autoIndex: false },
);
reservationSchema.index({ status: 1, updatedAt: 1 });

const lockSchema = new Schema<LockDoc>(
  {
    _id: { type: String, required: true },
    owner: { type: String, required: true },
    expiresAt: { type: Date, required: true },
  },
  { versionKey: false, autoIndex: false },
);

export class DuplicateSkuError extends Error {
  constructor(readonly sku: string) {
    super(`SKU ${sku} is already used by another product`);
  }
}

export class LockTimeoutError extends Error {
  constructor(readonly key: string) {
    super(`could not acquire lock ${key}`);
  }
}

/**
 * A unique index refused the write. MongoDB says 11000; FerretDB 1.x says so on insert, but on
 * update it answers InternalError with SQLite's "UNIQUE constraint failed".
 */
const isDuplicateKey = (error: unknown): boolean =>
  typeof error === 'object' &&
  error !== null &&
  ((error as { code?: unknown }).code === 11000 ||
    /UNIQUE constraint failed/.test(String((error as { message?: unknown }).message)));

type TakeResult =
  { kind: 'ok'; product: ProductModel } | { kind: 'not-found' } | { kind: 'short'; available: number };

export const isObjectId = (id: string): boolean => /^[0-9a-f]{24}$/i.test(id);

const toProduct = (doc: ProductDoc): ProductModel => ({
  id: doc._id.toHexString(),
  sku: doc.sku,
  name: doc.name,
  description: doc.description ?? '',
  price: { amount: doc.price.amount, currency: doc.price.currency },
  stock: doc.stock,
  category: doc.category,
  createdAt: doc.createdAt,
  updatedAt: doc.updatedAt,
});

const toReservation = (doc: ReservationDoc): ReservationModel => ({
  orderId: doc.orderId,
  status: doc.status,
  // Records written before items existed name their products in lines only.
  items: (doc.items?.length ? doc.items : doc.lines).map((i) => ({
    productId: i.productId,
    quantity: i.quantity,
  })),
  lines: doc.lines.map((l) => ({
    productId: l.productId,
    sku: l.sku,
    name: l.name,
    quantity: l.quantity,
    unitPrice: { amount: l.unitPrice.amount, currency: l.unitPrice.currency },
  })),
  createdAt: doc.createdAt,
  updatedAt: doc.updatedAt,
});

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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface LockOptions {
  /** How long a holder may keep a lock before others may take it over (crash safety). */
  ttlMs?: number;
  /** How long to wait for a lock before giving up. */
  waitMs?: number;
}

export function createProductRepository(connection: Connection, lockOptions: LockOptions = {}) {
  const Products = connection.model<ProductDoc>('Product', productSchema, 'products');
  const Reservations = connection.model<ReservationDoc>('Reservation', reservationSchema, 'reservations');
  const Locks = connection.model<LockDoc>('Lock', lockSchema, 'locks');
  const lockTtlMs = lockOptions.ttlMs ?? 30_000;
  const lockWaitMs = lockOptions.waitMs ?? 15_000;

  async function acquire(key: string): Promise<string> {
    const owner = randomUUID();
    const deadline = Date.now() + lockWaitMs;
    for (let attempt = 0; ; attempt += 1) {
      try {
        await Locks.create({ _id: key, owner, expiresAt: new Date(Date.now() + lockTtlMs) });
        return owner;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      // A holder that crashed leaves an expired lock behind: take it over.
      await Locks.deleteOne({ _id: key, expiresAt: { $lt: new Date() } });
      if (Date.now() > deadline) throw new LockTimeoutError(key);
      await sleep(Math.min(2 ** attempt, 50) + Math.random() * 5);
    }
  }

  /**
   * In-process queues per lock key: one drainer per key takes the shared lock once and runs the
   * queued tasks of this process (up to a batch) before letting it go, so a hot product costs two
   * lock writes per batch rather than per task. Tasks must not take the same key again (deadlock).
   */
  type Task = {
    fn: () => Promise<unknown>;
    resolve: (value: unknown) => void;
    reject: (error: unknown) => void;
  };
  const queues = new Map<string, Task[]>();
  const BATCH = 50;

  async function drain(key: string, queue: Task[]): Promise<void> {
    try {
      while (queue.length > 0) {
        let owner: string;
        try {
          owner = await acquire(key);
        } catch (error) {
          for (const task of queue.splice(0)) task.reject(error);
          break;
        }
        try {
          for (let n = 0; n < BATCH && queue.length > 0; n += 1) {
            const task = queue.shift()!;
            try {
              task.resolve(await task.fn());
            } catch (error) {
              task.reject(error);
            }
          }
        } finally {
          await Locks.deleteOne({ _id: key, owner }).catch(() => undefined);
        }
      }
    } finally {
      queues.delete(key);
    }
  }

  /** Runs fn while holding the named lock (shared through the unique index of `locks._id`). */
  function withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const task: Task = { fn, resolve: resolve as (value: unknown) => void, reject };
      const queue = queues.get(key);
      if (queue) {
        queue.push(task);
        return;
      }
      const fresh = [task];
      queues.set(key, fresh);
      void drain(key, fresh);
    });
  }

  const productLock = (id: string) => `product:${id}`;

  /**
   * Reads a product, lets `decide` compute the result and the new stock and holds, and writes them
   * in one document update. The caller holds the product lock, which is what makes read-then-write
   * safe (the update is by `_id` alone: see FAST_BY_ID). `missing` is the result for an unknown product.
   */
  async function changeHolds<R>(
    id: string,
    decide: (doc: ProductDoc, holds: Hold[]) => { result: R; write?: { stock: number; holds: Hold[] } },
    missing: R,
  ): Promise<R> {
    const doc = await Products.findById(id).lean<ProductDoc>().exec();
    if (!doc) return missing;
    const { result, write } = decide(doc, doc.holds ?? []);
    if (write) await Products.findOneAndUpdate({ _id: id }, { $set: write }).exec();
    return result;
  }

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

  return {
    Products,
    Reservations,
    withLock,

    /** Creates the indexes and re-keys reservations written before they were keyed by order id. Idempotent. */
    async init(): Promise<void> {
      await Products.createIndexes();
      await Reservations.createIndexes();
      const raw = Reservations.collection;
      const legacy = await raw.find({ _id: { $type: 'objectId' } }).toArray();
      if (legacy.length === 0) return;
      await raw.dropIndex('orderId_1').catch(() => undefined); // it would refuse the re-keyed copy
      for (const doc of legacy) {
        await raw.insertOne({ ...doc, _id: String(doc.orderId) } as never).catch((error: unknown) => {
          if (!isDuplicateKey(error)) throw error;
        });
        await raw.deleteOne({ _id: doc._id });
      }
    },

    async ping(): Promise<boolean> {
      const db = connection.db;
      if (!db) return false;
      await db.admin().ping();
      return true;
    },

    async count(): Promise<number> {
      return Products.countDocuments({});
    },

    /** One query for any number of ids; malformed ids are skipped. */
    async findByIds(ids: readonly string[]): Promise<ProductModel[]> {
      const valid = [...new Set(ids.filter(isObjectId))];
      if (valid.length === 0) return [];
      const docs = await Products.find({ _id: { $in: valid.map((id) => new mongoose.Types.ObjectId(id)) } })
        .lean<ProductDoc[]>()
        .exec();
      return docs.map(toProduct);
    },

    async findById(id: string): Promise<ProductModel | null> {
      if (!isObjectId(id)) return null;
      const doc = await Products.findById(id).lean<ProductDoc>().exec();
      return doc ? toProduct(doc) : null;
    },

    /** `limit` rows after the cursor, in keyset order (sort key, then _id). */
    async list(
      filter: ProductFilter,
      sort: ProductSort,
      after: ProductCursor | null,
      limit: number,
    ): Promise<ProductModel[]> {
      const { field, direction } = SORT_KEYS[sort];
      const order: Record<string, SortOrder> = { [field]: direction, _id: direction };
      const docs = await Products.find(listQuery(filter, sort, after))
        .sort(order)
        .limit(limit)
        .lean<ProductDoc[]>()
        .exec();
      return docs.map(toProduct);
    },

    /** Inserts a product; throws DuplicateSkuError when the SKU is taken. */
    async insert(product: NewProduct): Promise<ProductModel> {
      try {
        const doc = await Products.create(product);
        return toProduct(doc.toObject());
      } catch (error) {
        if (isDuplicateKey(error)) throw new DuplicateSkuError(product.sku);
        throw error;
      }
    },

    /** Inserts the products whose SKU is not in the catalogue yet; returns how many were added. */
    async insertMissing(products: NewProduct[]): Promise<number> {
      const existing = new Set(
        (
          await Products.find({ sku: { $in: products.map((p) => p.sku) } }, { sku: 1 })
            .lean<{ sku: string }[]>()
            .exec()
        ).map((d) => d.sku),
      );
      const missing = products.filter((p) => !existing.has(p.sku));
      if (missing.length) await Products.insertMany(missing, { ordered: false });
      return missing.length;
    },

    /** Applies a patch; null when the product does not exist; DuplicateSkuError when the SKU is taken. */
    async update(id: string, patch: ProductPatch): Promise<ProductModel | null> {
      if (!isObjectId(id)) return null;
      const set: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(patch)) if (value !== undefined) set[key] = value;
      return withLock(productLock(id), async () => {
        try {
          const doc = await Products.findOneAndUpdate({ _id: id }, { $set: set }, { new: true })
            .lean<ProductDoc>()
            .exec();
          return doc ? toProduct(doc) : null;
        } catch (error) {
          if (isDuplicateKey(error) && typeof patch.sku === 'string') throw new DuplicateSkuError(patch.sku);
          throw error;
        }
      });
    },

    /**
     * Adds delta to the stock unless that would leave it below zero. Returns the product after the
     * change, 'NOT_FOUND', or the refused product (unchanged).
     */
    async adjustStock(
      id: string,
      delta: number,
    ): Promise<
      | { kind: 'ok'; product: ProductModel }
      | { kind: 'not-found' }
      | { kind: 'below-zero'; product: ProductModel }
    > {
      if (!isObjectId(id)) return { kind: 'not-found' };
      return withLock(productLock(id), async () => {
        // Checked on the document read; the lock makes read-then-write safe (FAST_BY_ID).
        const current = await Products.findById(id).lean<ProductDoc>().exec();
        if (!current) return { kind: 'not-found' as const };
        if (current.stock + delta < 0) return { kind: 'below-zero' as const, product: toProduct(current) };
        const doc = await Products.findOneAndUpdate({ _id: id }, { $inc: { stock: delta } }, { new: true })
          .lean<ProductDoc>()
          .exec();
        return doc ? { kind: 'ok' as const, product: toProduct(doc) } : { kind: 'not-found' as const };
      });
    },

    /**
     * Takes quantity units for an order if that many are on hand, recording the hold in the same
     * write. An order that already holds this product gets its hold back as taken (a retried
     * reservation never takes twice). Returns the product after the change, or why not.
     */
    async takeStock(id: string, quantity: number, orderId: string): Promise<TakeResult> {
      if (!isObjectId(id)) return { kind: 'not-found' };
      return withLock(productLock(id), () =>
        changeHolds<TakeResult>(
          id,
          (doc, holds) => {
            if (holds.some((h) => h.orderId === orderId))
              return { result: { kind: 'ok', product: toProduct(doc) } };
            if (doc.stock < quantity) return { result: { kind: 'short', available: doc.stock } };
            const stock = doc.stock - quantity;
            return {
              result: { kind: 'ok', product: toProduct({ ...doc, stock }) },
              write: { stock, holds: [...holds, { orderId, quantity }] },
            };
          },
          { kind: 'not-found' },
        ),
      );
    },

    /** Gives back what an order holds of a product (rollback or release); the units returned. */
    async returnStock(id: string, orderId: string): Promise<number> {
      if (!isObjectId(id)) return 0;
      return withLock(productLock(id), () =>
        changeHolds(
          id,
          (doc, holds) => {
            const hold = holds.find((h) => h.orderId === orderId);
            if (!hold) return { result: 0 };
            return {
              result: hold.quantity,
              write: { stock: doc.stock + hold.quantity, holds: holds.filter((h) => h !== hold) },
            };
          },
          0,
        ),
      );
    },

    /** Forgets an order's hold on a product without returning stock: the units are sold. */
    async settleStock(id: string, orderId: string): Promise<void> {
      if (!isObjectId(id)) return;
      await withLock(productLock(id), () =>
        changeHolds(
          id,
          (doc, holds) =>
            holds.some((h) => h.orderId === orderId)
              ? {
                  result: undefined,
                  write: { stock: doc.stock, holds: holds.filter((h) => h.orderId !== orderId) },
                }
              : { result: undefined },
          undefined,
        ),
      );
    },

    /** What an order holds of a product (0 when nothing). */
    async heldBy(id: string, orderId: string): Promise<number> {
      if (!isObjectId(id)) return 0;
      const doc = await Products.findById(id, { holds: 1 }).lean<Pick<ProductDoc, 'holds'>>().exec();
      return doc?.holds?.find((h) => h.orderId === orderId)?.quantity ?? 0;
    },

    async findReservation(orderId: string): Promise<ReservationModel | null> {
      const doc = await Reservations.findById(orderId).lean<ReservationDoc>().exec();
      return doc ? toReservation(doc) : null;
    },

    /** Records a reservation; false when the orderId already has one (the `_id` decides). */
    async insertReservation(
      orderId: string,
      status: ReservationStatus,
      items: ReservationItem[],
    ): Promise<boolean> {
      try {
        await Reservations.create({ _id: orderId, orderId, status, items, lines: [] });
        return true;
      } catch (error) {
        if (isDuplicateKey(error)) return false;
        throw error;
      }
    },

    /**
     * Moves a reservation from one of `from` to `to` (with its priced lines); false if it was not in
     * `from`. Read, then written by `_id` (FAST_BY_ID): who may write a record when is decided by the
     * reservation service (the reserve that created it, or a release under the order's lock).
     */
    async moveReservation(
      orderId: string,
      from: ReservationStatus[],
      to: ReservationStatus,
      lines?: ReservedLine[],
    ): Promise<boolean> {
      const current = await Reservations.findById(orderId, { status: 1 })
        .lean<{ status: ReservationStatus }>()
        .exec();
      if (!current || !from.includes(current.status)) return false;
      await Reservations.findOneAndUpdate(
        { _id: orderId },
        { $set: { status: to, ...(lines ? { lines } : {}) } },
      ).exec();
      return true;
    },

    /** Order ids of reservations left PENDING since before `before` (their reserver died). */
    async stalePendingReservations(before: Date, limit = 100): Promise<string[]> {
      const docs = await Reservations.find({ status: 'PENDING', updatedAt: { $lt: before } }, { orderId: 1 })
        .limit(limit)
        .lean<{ orderId: string }[]>()
        .exec();
      return docs.map((d) => d.orderId);
    },
  };
}

export type ProductRepository = ReturnType<typeof createProductRepository>;
