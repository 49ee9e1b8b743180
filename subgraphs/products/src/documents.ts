import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { variantIdOf } from '@shop/messaging';
import type { ProductModel, VariantModel } from './models';
import { variantTitle } from './variants';

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
 * read, and writes go through `findOneAndUpdate({_id})`. Reservations are never deleted. FerretDB
 * 1.24.2 as released never used the index at all (it looks `_id` up as `->'$._id'`, the index is on
 * `->'_id'`): tools/build.sh builds it with that expression fixed (0.9 ms instead of 114 ms for a
 * document near the end of 10,000).
 */

export interface ImageDoc {
  url: string;
  altText: string;
  width: number;
  height: number;
}

/** A variant inside its product's document; `n` is its number (id `<productId>-<n>`), never reused. */
export interface VariantDoc {
  n: number;
  sku: string;
  options: { name: string; value: string }[];
  price: { amount: number; currency: string };
  /** Units that can be reserved now (what orders hold is in `holds`). */
  stock: number;
  images?: ImageDoc[];
}

/**
 * A product and everything of it that changes together, in one document: its variants with their
 * stock, and the holds of orders on them (so a stock change and its hold are one write). `sku`,
 * `price` and `stock` are derived from the variants in the same write (first SKU, lowest price, sum
 * of stock) for the list's filters and sorts. Documents written before variants existed have no
 * `variants` until the start-up migration gives them one (number 1, from sku, price and stock).
 */
export interface ProductDoc {
  _id: Types.ObjectId;
  slug?: string;
  sku: string;
  name: string;
  description: string;
  price: { amount: number; currency: string };
  stock: number;
  /** Before categories were entities: the free-text category (the migration makes it one). */
  category?: string;
  categoryIds?: string[];
  images?: ImageDoc[];
  options?: { name: string; values: string[] }[];
  variants?: VariantDoc[];
  /** The number the next variant gets. */
  nextVariant?: number;
  /** Units taken by orders whose reservation is not settled (sold or released) yet. */
  holds?: Hold[];
  createdAt: Date;
  updatedAt: Date;
}

/** What an order took of one variant (`variant` absent in holds written before variants: number 1). */
export interface Hold {
  orderId: string;
  variant?: number;
  quantity: number;
}

const imageSchema = new Schema<ImageDoc>(
  { url: String, altText: String, width: Number, height: Number },
  { _id: false },
);

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
    // Catalogue (categories, slugs, images): products.repository.ts writes these.
    slug: { type: String },
    /** Before categories were entities; kept on old documents, never written any more. */
    category: { type: String },
    categoryIds: { type: [String], default: undefined },
    images: { type: [imageSchema], default: undefined },
    // Variants (variants.repository.ts, reservations.repository.ts write these).
    options: {
      type: [new Schema({ name: String, values: [String] }, { _id: false })],
      default: undefined,
    },
    variants: {
      type: [
        new Schema<VariantDoc>(
          {
            n: { type: Number, required: true },
            sku: { type: String, required: true },
            options: { type: [new Schema({ name: String, value: String }, { _id: false })], default: [] },
            price: { amount: { type: Number, required: true }, currency: { type: String, required: true } },
            stock: { type: Number, required: true },
            images: { type: [imageSchema], default: [] },
          },
          { _id: false },
        ),
      ],
      default: undefined,
    },
    nextVariant: { type: Number },
    holds: {
      type: [new Schema<Hold>({ orderId: String, variant: Number, quantity: Number }, { _id: false })],
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

/** What the orders' holds on one variant add up to. */
export const heldOf = (holds: readonly Hold[] | undefined, n: number): number =>
  (holds ?? []).reduce((sum, hold) => sum + ((hold.variant ?? 1) === n ? hold.quantity : 0), 0);

/** The holds with their variant: a hold written before variants is on variant 1. */
export const holdsOf = (doc: Pick<ProductDoc, 'holds'>): Required<Hold>[] =>
  (doc.holds ?? []).map((h) => ({ orderId: h.orderId, variant: h.variant ?? 1, quantity: h.quantity }));

/**
 * The variants of a document: the stored ones, or for a document from before variants that the
 * start-up migration has not reached yet, number 1 made from its sku, price and stock (what the
 * migration writes). Plain copies, safe to change and write back.
 */
export function variantDocsOf(doc: Pick<ProductDoc, 'sku' | 'price' | 'stock' | 'variants'>): VariantDoc[] {
  if (!doc.variants) {
    const price = { amount: doc.price.amount, currency: doc.price.currency };
    return [{ n: 1, sku: doc.sku, options: [], price, stock: doc.stock, images: [] }];
  }
  return doc.variants.map((v) => ({
    n: v.n,
    sku: v.sku,
    options: (v.options ?? []).map((o) => ({ name: o.name, value: o.value })),
    price: { amount: v.price.amount, currency: v.price.currency },
    stock: v.stock,
    images: (v.images ?? []).map(toImage),
  }));
}

/** The number the next variant of a document gets (numbers are never reused). */
export const nextVariantOf = (doc: Pick<ProductDoc, 'nextVariant' | 'variants'>): number =>
  doc.nextVariant ?? Math.max(1, ...(doc.variants ?? []).map((v) => v.n)) + 1;

const toImage = (i: ImageDoc): ImageDoc => ({
  url: i.url,
  altText: i.altText,
  width: i.width,
  height: i.height,
});

export const toVariant = (productId: string, v: VariantDoc): VariantModel => {
  const selectedOptions = v.options.map((o) => ({ name: o.name, value: o.value }));
  return {
    id: variantIdOf(productId, v.n),
    n: v.n,
    sku: v.sku,
    selectedOptions,
    title: variantTitle(selectedOptions),
    price: { amount: v.price.amount, currency: v.price.currency },
    stock: v.stock,
    images: (v.images ?? []).map(toImage),
  };
};

export const toProduct = (doc: ProductDoc): ProductModel => ({
  id: doc._id.toHexString(),
  options: (doc.options ?? []).map((o) => ({ name: o.name, values: [...o.values] })),
  variants: variantDocsOf(doc).map((v) => toVariant(doc._id.toHexString(), v)),
  sku: doc.sku,
  name: doc.name,
  description: doc.description ?? '',
  price: { amount: doc.price.amount, currency: doc.price.currency },
  stock: doc.stock,
  slug: doc.slug ?? '',
  categoryIds: doc.categoryIds ?? [],
  images: (doc.images ?? []).map((i) => ({
    url: i.url,
    altText: i.altText,
    width: i.width,
    height: i.height,
  })),
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
