/**
 * The one form of every id the graph issues. A server accepts exactly the form it issues: an id in
 * another letter case, with braces, spaces or any other variant names nothing ("not found") and never
 * reaches a lock key, a Redis key, a SQL or Mongo query, or a NATS payload.
 *
 * - users, orders, payments: UUIDs as `crypto.randomUUID()` / PostgreSQL `gen_random_uuid()` write
 *   them: lower-case hex, 8-4-4-4-12.
 * - products: MongoDB ObjectIds as the driver writes them: 24 lower-case hex digits. A variant is
 *   its product's id, `-` and its number within the product (1 to 9999, no leading zero): the id
 *   names the document it lives in. A product's first variant is number 1 (`<productId>-1`), which
 *   is also what every product stored before variants existed became.
 * - notifications: 22 base64url characters (a hash of the event and channel; case matters).
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const OBJECT_ID = /^[0-9a-f]{24}$/;
const HASH_ID = /^[A-Za-z0-9_-]{22}$/;
const VARIANT_ID = /^[0-9a-f]{24}-[1-9][0-9]{0,3}$/;

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
export const isVariantId = matches(VARIANT_ID);

/** The id of variant number `n` of a product. */
export const variantIdOf = (productId: string, n: number): string => `${productId}-${n}`;
/** The product a variant id (as issued: check isVariantId first) belongs to, and its number. */
export function parseVariantId(id: string): { productId: string; n: number } {
  return { productId: id.slice(0, 24), n: Number(id.slice(25)) };
}
/** The first variant of a product: the one every product stored before variants existed has. */
export const firstVariantId = (productId: string): string => variantIdOf(productId, 1);

/** The regular expressions, for zod contracts and documentation. */
export const ID_FORMS = { uuid: UUID, objectId: OBJECT_ID, hash: HASH_ID, variant: VARIANT_ID } as const;
