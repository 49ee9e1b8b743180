import type { Connection } from 'mongoose';
import {
  holdsOf,
  isDuplicateKey,
  nextVariantOf,
  productModel,
  variantDocsOf,
  type ProductDoc,
} from './documents';
import { productLock, type Locks } from './locks';

/**
 * Re-keys reservations written before they were keyed by order id (their `_id` is an ObjectId) to
 * `_id` = order id, which FerretDB looks up by index (FAST_BY_ID in documents.ts). Idempotent: run
 * at every start-up by ReservationsRepository.init(); a crash between the copy and the delete
 * leaves the copy, and the retry skips the insert it already made.
 */
export async function rekeyReservationsByOrderId(connection: Connection): Promise<void> {
  const raw = connection.collection('reservations');
  const legacy = await raw.find({ _id: { $type: 'objectId' } }).toArray();
  if (legacy.length === 0) return;
  await raw.dropIndex('orderId_1').catch(() => undefined); // it would refuse the re-keyed copy
  for (const doc of legacy) {
    await raw.insertOne({ ...doc, _id: String(doc.orderId) } as never).catch((error: unknown) => {
      if (!isDuplicateKey(error)) throw error;
    });
    await raw.deleteOne({ _id: doc._id });
  }
}

/** Products migrated at once (each under its own lock; FerretDB on SQLite prefers few writers). */
const MIGRATORS = 8;

/**
 * Gives every product stored before variants existed its one variant: number 1, from its top-level
 * sku, price and stock, with `options: []` and `nextVariant: 2`, and marks its holds as holds of
 * variant 1 (the rule orders migrates its rows with: the variant id is `<productId>-1`). Idempotent
 * and crash-safe: each product is one `findOneAndUpdate({_id})` (FAST_BY_ID), under the product's
 * lock and only if the document read there still has no variants, so a crash leaves every product
 * either untouched or done, and a run racing a reserve or another instance's migration never
 * writes over a newer state. Run at every start-up by VariantsRepository.init(); finding the
 * documents to migrate is one collection scan (nothing to do: an empty answer). Returns how many
 * products were migrated.
 */
export async function migrateProductsToVariants(connection: Connection, locks: Locks): Promise<number> {
  const products = productModel(connection);
  const legacy = await products
    .find({ variants: { $exists: false } }, { _id: 1 })
    .lean<Pick<ProductDoc, '_id'>[]>()
    .exec();
  let migrated = 0;
  const ids = legacy.map((d) => d._id.toHexString());
  for (let i = 0; i < ids.length; i += MIGRATORS) {
    const done = await Promise.all(
      ids.slice(i, i + MIGRATORS).map((id) =>
        locks.withLock(productLock(id), async () => {
          const doc = await products.findById(id).lean<ProductDoc>().exec();
          if (!doc || doc.variants) return false;
          await products
            .findOneAndUpdate(
              { _id: id },
              {
                $set: {
                  variants: variantDocsOf(doc),
                  options: [],
                  nextVariant: nextVariantOf(doc),
                  holds: holdsOf(doc),
                },
              },
            )
            .exec();
          return true;
        }),
      ),
    );
    migrated += done.filter(Boolean).length;
  }
  return migrated;
}
