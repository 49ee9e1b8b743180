import type { Connection } from 'mongoose';
import { isDuplicateKey } from './documents';

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
