import { Schema, type Connection, type Model } from 'mongoose';
import { isProductId } from '@shop/messaging';
import { isDuplicateKey, productModel, toProduct, type Hold, type ProductDoc } from './documents';
import { productLock, type Locks } from './locks';
import { rekeyReservationsByOrderId } from './migrations';
import type {
  ProductModel,
  ReservationItem,
  ReservationModel,
  ReservationStatus,
  ReservedLine,
} from './models';
import { RESERVATION_STATUSES } from './models';

/**
 * Reservations and the holds they leave on products, on MongoDB (FerretDB locally).
 *
 * Why holds: a reservation touches several documents (each product, then the reservation record)
 * and a process can die between any two writes. So the units an order took from a product are
 * recorded in the product itself (`holds`), in the same single-document write that changes the
 * stock; giving them back removes the hold in the write that restores the stock. Every stock change
 * is therefore idempotent per order and product, and a crashed reservation can be undone exactly.
 *
 * Every hold write runs under the product's lock (locks.ts); writes go by `_id` (FAST_BY_ID in
 * documents.ts).
 */

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

/** What a give-back returned: the units, and the product's stock afterwards (null: no such product). */
export interface Returned {
  units: number;
  stock: number | null;
}

export type TakeResult =
  { kind: 'ok'; product: ProductModel } | { kind: 'not-found' } | { kind: 'short'; available: number };

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

export class ReservationsRepository {
  private readonly connection: Connection;
  private readonly locks: Locks;
  private readonly products: Model<ProductDoc>;
  private readonly reservations: Model<ReservationDoc>;

  constructor({ connection, locks }: { connection: Connection; locks: Locks }) {
    this.connection = connection;
    this.locks = locks;
    this.products = productModel(connection);
    this.reservations = connection.model<ReservationDoc>('Reservation', reservationSchema, 'reservations');
  }

  /** Creates the indexes and re-keys reservations written before they were keyed by order id. Idempotent. */
  async init(): Promise<void> {
    await this.reservations.createIndexes();
    await rekeyReservationsByOrderId(this.connection);
  }

  /**
   * Takes quantity units for an order if that many are on hand, recording the hold in the same
   * write. An order that already holds this product gets its hold back as taken (a retried
   * reservation never takes twice). Returns the product after the change, or why not.
   */
  async takeStock(id: string, quantity: number, orderId: string): Promise<TakeResult> {
    if (!isProductId(id)) return { kind: 'not-found' };
    return this.locks.withLock(productLock(id), () =>
      this.changeHolds<TakeResult>(
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
  }

  /**
   * Gives back what an order holds of a product (rollback, release or reconciliation): the units
   * returned (0 when the order holds nothing of it) and the product's stock afterwards (null when
   * there is no such product).
   */
  async returnStock(id: string, orderId: string): Promise<Returned> {
    if (!isProductId(id)) return { units: 0, stock: null };
    return this.locks.withLock(productLock(id), () =>
      this.changeHolds<Returned>(
        id,
        (doc, holds) => {
          const hold = holds.find((h) => h.orderId === orderId);
          if (!hold) return { result: { units: 0, stock: doc.stock } };
          const stock = doc.stock + hold.quantity;
          return {
            result: { units: hold.quantity, stock },
            write: { stock, holds: holds.filter((h) => h !== hold) },
          };
        },
        { units: 0, stock: null },
      ),
    );
  }

  /** Forgets an order's hold on a product without returning stock: the units are sold. */
  async settleStock(id: string, orderId: string): Promise<void> {
    if (!isProductId(id)) return;
    await this.locks.withLock(productLock(id), () =>
      this.changeHolds(
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
  }

  /** What an order holds of a product (0 when nothing). */
  async heldBy(id: string, orderId: string): Promise<number> {
    if (!isProductId(id)) return 0;
    const doc = await this.products.findById(id, { holds: 1 }).lean<Pick<ProductDoc, 'holds'>>().exec();
    return doc?.holds?.find((h) => h.orderId === orderId)?.quantity ?? 0;
  }

  async findReservation(orderId: string): Promise<ReservationModel | null> {
    const doc = await this.reservations.findById(orderId).lean<ReservationDoc>().exec();
    return doc ? toReservation(doc) : null;
  }

  /** Records a reservation; false when the orderId already has one (the `_id` decides). */
  async insertReservation(
    orderId: string,
    status: ReservationStatus,
    items: ReservationItem[],
  ): Promise<boolean> {
    try {
      await this.reservations.create({ _id: orderId, orderId, status, items, lines: [] });
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

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
    const current = await this.reservations
      .findById(orderId, { status: 1 })
      .lean<{ status: ReservationStatus }>()
      .exec();
    if (!current || !from.includes(current.status)) return false;
    await this.reservations
      .findOneAndUpdate({ _id: orderId }, { $set: { status: to, ...(lines ? { lines } : {}) } })
      .exec();
    return true;
  }

  /**
   * Products on which some order holds units, with those holds (a collection scan on FerretDB: run
   * by the recovery sweep, not per request). At most `limit` products per call.
   */
  async productsWithHolds(limit = 1000): Promise<{ productId: string; holds: Hold[] }[]> {
    const docs = await this.products
      .find({ 'holds.0': { $exists: true } }, { holds: 1 })
      .limit(limit)
      .lean<Pick<ProductDoc, '_id' | 'holds'>[]>()
      .exec();
    return docs.map((d) => ({
      productId: d._id.toHexString(),
      holds: (d.holds ?? []).map((h) => ({ orderId: h.orderId, quantity: h.quantity })),
    }));
  }

  /** Order ids of reservations left PENDING since before `before` (their reserver died). */
  async stalePendingReservations(before: Date, limit = 100): Promise<string[]> {
    const docs = await this.reservations
      .find({ status: 'PENDING', updatedAt: { $lt: before } }, { orderId: 1 })
      .limit(limit)
      .lean<{ orderId: string }[]>()
      .exec();
    return docs.map((d) => d.orderId);
  }

  /**
   * Reads a product, lets `decide` compute the result and the new stock and holds, and writes them
   * in one document update. The caller holds the product lock, which is what makes read-then-write
   * safe (the update is by `_id` alone: see FAST_BY_ID). `missing` is the result for an unknown product.
   */
  private async changeHolds<R>(
    id: string,
    decide: (doc: ProductDoc, holds: Hold[]) => { result: R; write?: { stock: number; holds: Hold[] } },
    missing: R,
  ): Promise<R> {
    const doc = await this.products.findById(id).lean<ProductDoc>().exec();
    if (!doc) return missing;
    const { result, write } = decide(doc, doc.holds ?? []);
    if (write) await this.products.findOneAndUpdate({ _id: id }, { $set: write }).exec();
    return result;
  }
}
