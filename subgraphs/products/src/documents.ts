import { Schema, type Connection, type Model, type Types } from 'mongoose';
import type { ProductModel } from './models';

/**
 * The stored shape of a product, shared by the two repositories that write product documents: the
 * catalogue (`products.repository.ts`) and the holds of reservations (`reservations.repository.ts`).
 * Nothing outside the repositories sees a document or a model.
 *
 * FAST_BY_ID: FerretDB 1.x's SQLite backend uses its `_id` index only for `find`/`findOneAndUpdate`
 * filtered by `_id` alone; `updateOne`, `deleteOne`, `findOneAndDelete` and any filter with another
 * condition scan the collection (measured on 5,000 documents: `findOneAndUpdate({_id})` 1.7 ms,
 * `updateOne({_id})` 10.8 ms, `findOneAndUpdate({_id, status})` 17 ms, `findOneAndDelete({_id,
 * status})` 126 ms). So reservations are keyed by order id, conditions are checked on the document
 * read, and writes go through `findOneAndUpdate({_id})`. Reservations are never deleted.
 */

export interface ProductDoc {
  _id: Types.ObjectId;
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

export interface Hold {
  orderId: string;
  quantity: number;
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

/** The products collection's model on a connection (compiled once per connection). */
export function productModel(connection: Connection): Model<ProductDoc> {
  return (
    (connection.models.Product as Model<ProductDoc> | undefined) ??
    connection.model<ProductDoc>('Product', productSchema, 'products')
  );
}

/** What the orders' holds on a product add up to (units taken but not yet sold or given back). */
export const heldUnits = (holds: readonly Hold[] | undefined): number =>
  (holds ?? []).reduce((sum, hold) => sum + hold.quantity, 0);

export const toProduct = (doc: ProductDoc): ProductModel => ({
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

/**
 * A unique index refused the write. MongoDB says 11000; FerretDB 1.x says so on insert, but on
 * update it answers InternalError with SQLite's "UNIQUE constraint failed".
 */
export const isDuplicateKey = (error: unknown): boolean =>
  typeof error === 'object' &&
  error !== null &&
  ((error as { code?: unknown }).code === 11000 ||
    /UNIQUE constraint failed/.test(String((error as { message?: unknown }).message)));
