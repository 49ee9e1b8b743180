/**
 * The one form of every id the graph issues. A server accepts exactly the form it issues: an id in
 * another letter case, with braces, spaces or any other variant names nothing ("not found") and never
 * reaches a lock key, a Redis key, a SQL or Mongo query, or a NATS payload.
 *
 * - users, orders, payments: UUIDs as `crypto.randomUUID()` / PostgreSQL `gen_random_uuid()` write
 *   them: lower-case hex, 8-4-4-4-12.
 * - products: MongoDB ObjectIds as the driver writes them: 24 lower-case hex digits.
 * - notifications: 22 base64url characters (a hash of the event and channel; case matters).
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const OBJECT_ID = /^[0-9a-f]{24}$/;
const HASH_ID = /^[A-Za-z0-9_-]{22}$/;

const matches =
  (form: RegExp) =>
  (value: unknown): value is string =>
    typeof value === 'string' && form.test(value);

export const isUserId = matches(UUID);
export const isOrderId = matches(UUID);
export const isPaymentId = matches(UUID);
/** An address of users' address book (PostgreSQL gen_random_uuid()). */
export const isAddressId = matches(UUID);
export const isNotificationId = matches(HASH_ID);
export const isProductId = matches(OBJECT_ID);

/** The regular expressions, for zod contracts and documentation. */
export const ID_FORMS = { uuid: UUID, objectId: OBJECT_ID, hash: HASH_ID } as const;
