import { Schema, type Connection, type Model } from 'mongoose';
import { firstVariantId, isVariantId, parseVariantId } from '@shop/messaging';
import {
  heldOf,
  holdsOf,
  isDuplicateKey,
  nextVariantOf,
  productModel,
  toProduct,
  variantDocsOf,
  type Hold,
  type ProductDoc,
  type VariantDoc,
} from './documents';
import { productLock, type Locks } from './locks';
import { rekeyReservationsByOrderId } from './migrations';
import type {
  ProductModel,
  ReservationItem,
  ReservationModel,
  ReservationStatus,
  ReservedLine,
  VariantModel,
} from './models';
import { RESERVATION_STATUSES } from './models';
import { derivedOf } from './variants';

/**
 * Reservations and the holds they leave on products, on MongoDB (FerretDB locally).
 *
 * Why holds: a reservation touches several documents (each product, then the reservation record)
 * and a process can die between any two writes. So the units an order took of a variant are
 * recorded in its product's document (`holds: [{orderId, variant, quantity}]`), in the same
 * single-document write that changes the variant's stock (and the product's derived stock); giving
 * them back removes the hold in the write that restores the stock. Every stock change is therefore
 * idempotent per (product, variant, order), and a crashed reservation can be undone exactly. An
 * order holding two variants of one product has two holds there, taken and given back separately.
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
    variantId: String,
    sku: String,
    name: String,
    variantTitle: String,
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
      type: [
        new Schema<ReservationItem>(
          { productId: String, variantId: String, quantity: Number },
          { _id: false },
        ),
      ],
      default: [],
    },
    lines: { type: [lineSchema], default: [] },
  },
  { timestamps: true, versionKey: false, autoIndex: false },
);
reservationSchema.index({ status: 1, updatedAt: 1 });

/** What a give-back returned: the units, and the variant's stock afterwards (null: no such variant). */
export interface Returned {
  units: number;
  stock: number | null;
}

export type TakeResult =
  | { kind: 'ok'; product: ProductModel; variant: VariantModel }
  | { kind: 'not-found' }
  | { kind: 'short'; available: number };

/** A hold as the recovery sweep sees it: the order, the variant's number, the units. */
export type VariantHold = Required<Hold>;

/**
 * Records written before variants name products only: their items and lines are on variant 1 (what
 * every product stored before variants became), with no title.
 */
const variantOf = (productId: string, variantId: string | undefined) =>
  variantId ?? firstVariantId(productId);

const toReservation = (doc: ReservationDoc): ReservationModel => ({
  orderId: doc.orderId,
  status: doc.status,
  // Records written before items existed name their products in lines only.
  items: (doc.items?.length ? doc.items : doc.lines).map((i) => ({
    productId: i.productId,
    variantId: variantOf(i.productId, i.variantId),
    quantity: i.quantity,
  })),
  lines: doc.lines.map((l) => ({
    productId: l.productId,
    variantId: variantOf(l.productId, l.variantId),
    sku: l.sku,
    name: l.name,
    variantTitle: l.variantTitle ?? '',
    quantity: l.quantity,
    unitPrice: { amount: l.unitPrice.amount, currency: l.unitPrice.currency },
  })),
  createdAt: doc.createdAt,
  updatedAt: doc.updatedAt,
});

/** The product a canonical variant id names and the variant's number; null for any other form. */
function target(variantId: string): { productId: string; n: number } | null {
  return isVariantId(variantId) ? parseVariantId(variantId) : null;
}

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
   * Takes quantity units of one variant for an order if that many are on hand, recording the hold
   * (order, variant, units) in the same write, which also keeps the product's derived stock. An order
   * that already holds this variant gets its hold back as taken (a retried reservation never takes
   * twice); an order may hold several variants of one product. Returns the product and variant after
   * the change, or why not (a variant id not in the issued form, or naming no variant: not-found).
   */
  async takeStock(variantId: string, quantity: number, orderId: string): Promise<TakeResult> {
    const at = target(variantId);
    if (!at) return { kind: 'not-found' };
    return this.locks.withLock(productLock(at.productId), () =>
      this.changeHolds<TakeResult>(
        at.productId,
        (doc, variants, holds) => {
          const variant = variants.find((v) => v.n === at.n);
          if (!variant) return { result: { kind: 'not-found' } };
          const taken = (product: ProductModel): TakeResult => ({
            kind: 'ok',
            product,
            variant: product.variants.find((v) => v.n === at.n)!,
          });
          if (holds.some((h) => h.orderId === orderId && h.variant === at.n))
            return { result: taken(toProduct(doc)) };
          if (variant.stock < quantity) return { result: { kind: 'short', available: variant.stock } };
          variant.stock -= quantity;
          const write = { variants, holds: [...holds, { orderId, variant: at.n, quantity }] };
          return { result: taken(toProduct({ ...doc, ...write, stock: derivedOf(variants).stock })), write };
        },
        { kind: 'not-found' },
      ),
    );
  }

  /**
   * Gives back what an order holds of one variant (rollback, release or reconciliation): the units
   * returned (0 when the order holds nothing of it) and the variant's stock afterwards (null when
   * there is no such variant).
   */
  async returnStock(variantId: string, orderId: string): Promise<Returned> {
    const at = target(variantId);
    if (!at) return { units: 0, stock: null };
    return this.locks.withLock(productLock(at.productId), () =>
      this.changeHolds<Returned>(
        at.productId,
        (_doc, variants, holds) => {
          const variant = variants.find((v) => v.n === at.n);
          const hold = holds.find((h) => h.orderId === orderId && h.variant === at.n);
          if (!variant) return { result: { units: 0, stock: null } };
          if (!hold) return { result: { units: 0, stock: variant.stock } };
          variant.stock += hold.quantity;
          return {
            result: { units: hold.quantity, stock: variant.stock },
            write: { variants, holds: holds.filter((h) => h !== hold) },
          };
        },
        { units: 0, stock: null },
      ),
    );
  }

  /** Forgets an order's hold on one variant without returning stock: the units are sold. */
  async settleStock(variantId: string, orderId: string): Promise<void> {
    const at = target(variantId);
    if (!at) return;
    await this.locks.withLock(productLock(at.productId), () =>
      this.changeHolds(
        at.productId,
        (_doc, variants, holds) => {
          const rest = holds.filter((h) => !(h.orderId === orderId && h.variant === at.n));
          return rest.length === holds.length
            ? { result: undefined }
            : { result: undefined, write: { variants, holds: rest } };
        },
        undefined,
      ),
    );
  }

  /** What an order holds of one variant (0 when nothing). */
  async heldBy(variantId: string, orderId: string): Promise<number> {
    const at = target(variantId);
    if (!at) return 0;
    const doc = await this.products
      .findById(at.productId, { holds: 1 })
      .lean<Pick<ProductDoc, 'holds'>>()
      .exec();
    return doc
      ? heldOf(
          doc.holds?.filter((h) => h.orderId === orderId),
          at.n,
        )
      : 0;
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
   * Products on which some order holds units, with those holds, each naming its variant (a
   * collection scan on FerretDB: run by the recovery sweep, not per request). At most `limit`
   * products per call.
   */
  async productsWithHolds(limit = 1000): Promise<{ productId: string; holds: VariantHold[] }[]> {
    const docs = await this.products
      .find({ 'holds.0': { $exists: true } }, { holds: 1 })
      .limit(limit)
      .lean<Pick<ProductDoc, '_id' | 'holds'>[]>()
      .exec();
    return docs.map((d) => ({ productId: d._id.toHexString(), holds: holdsOf(d) }));
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
   * Reads a product, lets `decide` compute the result and the new variants and holds (it may change
   * the variants it is given: they are copies), and writes them with the derived stock in one
   * document update. The caller holds the product lock, which is what makes read-then-write safe
   * (the update is by `_id` alone: see FAST_BY_ID). `missing` is the result for an unknown product.
   */
  private async changeHolds<R>(
    id: string,
    decide: (
      doc: ProductDoc,
      variants: VariantDoc[],
      holds: VariantHold[],
    ) => { result: R; write?: { variants: VariantDoc[]; holds: VariantHold[] } },
    missing: R,
  ): Promise<R> {
    const doc = await this.products.findById(id).lean<ProductDoc>().exec();
    if (!doc) return missing;
    const { result, write } = decide(doc, variantDocsOf(doc), holdsOf(doc));
    if (write) {
      const set = {
        variants: write.variants,
        holds: write.holds,
        stock: derivedOf(write.variants).stock,
        // A document the migration has not reached yet gets its variant fields in this write.
        ...(doc.variants ? {} : { options: [], nextVariant: nextVariantOf(doc) }),
      };
      await this.products.findOneAndUpdate({ _id: id }, { $set: set }).exec();
    }
    return result;
  }
}
