import { createHash } from 'node:crypto';
import { isProductId, mergeLines, type ReserveItem, type ReserveReply } from '@shop/messaging';
import { isVariantOf } from './carts.rules';
import type { PlaceOrderInput, PlaceOrderResult } from './orders.placing';
import type { NewItem } from './orders.repository';
import type { OrdersDeps } from './orders.service';

/**
 * The lines of an order (orders.placing.ts): placeOrder's shape checks and merging per variant, the
 * fingerprint that idempotency compares, and products' answer to the reserve: its refusals as typed
 * errors, its reserved lines as the items' snapshots.
 */

/** An idempotency key: 1-128 of A-Z a-z 0-9 _ . : - (compared exactly). */
export const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;

/** One line to reserve: a variant (variantId absent: the product's only one), merged per variant. */
export type Line = ReserveItem;

/**
 * Shape checks: empty, ids, too many lines, quantities, key. Merges lines of the same variant (or of
 * the same product named without a variant).
 */
export function validate(
  deps: OrdersDeps,
  input: PlaceOrderInput,
):
  | { lines: Line[]; fingerprint: string }
  | Extract<
      PlaceOrderResult,
      { __typename: 'EmptyCartError' | 'InvalidInputError' | 'UnknownProductError' }
    > {
  if (!IDEMPOTENCY_KEY.test(input.idempotencyKey)) {
    return invalid('idempotencyKey must be 1-128 letters, digits or - _ . :', 'idempotencyKey');
  }
  if (input.items.length === 0)
    return { __typename: 'EmptyCartError', message: 'An order needs at least one item.' };
  for (const [i, item] of input.items.entries()) {
    if (!Number.isInteger(item.quantity) || item.quantity < 1) {
      return invalid('quantity must be at least 1', `items.${i}.quantity`);
    }
  }
  // An id not in the issued form (another letter case, spaces, ...), or a variant of another
  // product, names nothing: it never reaches products, a lock key or a query.
  const items: Line[] = [];
  for (const item of input.items) {
    if (!isProductId(item.productId)) return unknownProduct(item.productId);
    const { productId, variantId, quantity } = item;
    if (variantId === null || variantId === undefined) items.push({ productId, quantity });
    else if (!isVariantOf(variantId, productId)) return unknownVariant(productId, variantId);
    else items.push({ productId, variantId, quantity });
  }
  // A product named both with and without a variant: which lines are one variant is unknown here.
  const named = new Set(items.filter((l) => l.variantId !== undefined).map((l) => l.productId));
  const mixed = items.findIndex((l) => l.variantId === undefined && named.has(l.productId));
  if (mixed >= 0)
    return invalid(
      `Give variantId on every line of product ${items[mixed]!.productId}, or on none.`,
      `items.${mixed}.variantId`,
    );
  const lines = mergeLines(items);
  if (lines.length > deps.maxCartLines) {
    return invalid(`An order can hold at most ${deps.maxCartLines} different variants.`, 'items');
  }
  for (const { productId, variantId, quantity } of lines) {
    if (quantity > deps.maxQuantity) {
      const index = items.findIndex((item) => item.productId === productId && item.variantId === variantId);
      return invalid(
        `At most ${deps.maxQuantity} units of one variant per order.`,
        `items.${index}.quantity`,
      );
    }
  }
  return { lines, fingerprint: fingerprintOf(lines) };
}

export function reserveRefusal(
  reply: Extract<ReserveReply, { ok: false }>,
  lines: Line[],
  variantField: (productId: string) => string,
): PlaceOrderResult {
  const productId = reply.productId ?? '';
  const variantId = reply.variantId ?? null;
  if (reply.code === 'NOT_FOUND')
    return variantId === null ? unknownProduct(productId) : unknownVariant(productId, variantId);
  if (reply.code === 'OUT_OF_STOCK') {
    const line = lines.find(
      (l) => l.productId === productId && (variantId === null || (l.variantId ?? variantId) === variantId),
    );
    const requested = reply.requested ?? line?.quantity ?? 0;
    const available = reply.available ?? 0;
    return {
      __typename: 'InsufficientStockError',
      message: `Only ${available} of ${variantId === null ? `product ${productId}` : `variant ${variantId}`} in stock, ${requested} requested.`,
      productId,
      variantId,
      requested,
      available,
    };
  }
  if (reply.code === 'VARIANT_REQUIRED')
    return invalid(
      `Choose a variant of product ${productId}: it comes in several; give variantId.`,
      variantField(productId),
    );
  throw new Error(`products refused the reserve request: ${reply.message}`);
}

/**
 * Price snapshots for the requested lines; null when the lines are priced in several currencies.
 * products must answer exactly the lines asked for: the variant named, or for a product named
 * without one a variant of that product (ids are canonical, so it does); anything else is a broken
 * contract, thrown with what differed (the caller releases first).
 */
export function snapshot(
  orderId: string,
  lines: Line[],
  reserved: Extract<ReserveReply, { ok: true }>['lines'],
): NewItem[] | null {
  const taken = new Set<number>();
  const broken = (line: Line) =>
    new Error(
      `products answered the reserve of order ${orderId} with other lines than asked: ` +
        `asked ${line.quantity} of ${line.variantId ?? line.productId}, got ${JSON.stringify(reserved.map((l) => [l.variantId, l.quantity]))}`,
    );
  const items = lines.map((line, position): NewItem => {
    const index = reserved.findIndex(
      (r, k) =>
        !taken.has(k) &&
        r.productId === line.productId &&
        (line.variantId === undefined
          ? isVariantOf(r.variantId, line.productId)
          : r.variantId === line.variantId),
    );
    const r = reserved[index];
    if (!r || r.quantity !== line.quantity || reserved.length !== lines.length) throw broken(line);
    taken.add(index);
    if (!Number.isSafeInteger(r.unitPrice.amount) || r.unitPrice.amount < 0)
      throw new Error(`products answered an invalid price for ${r.variantId}: ${r.unitPrice.amount}`);
    return {
      position,
      productId: line.productId,
      variantId: r.variantId,
      sku: r.sku,
      productName: r.name,
      variantTitle: r.variantTitle,
      quantity: line.quantity,
      unitPrice: r.unitPrice,
      lineTotal: { amount: r.unitPrice.amount * line.quantity, currency: r.unitPrice.currency },
    };
  });
  const currencies = new Set(items.map((i) => i.unitPrice.currency));
  return currencies.size === 1 ? items : null;
}

export const unknownProduct = (productId: string) => ({
  __typename: 'UnknownProductError' as const,
  message: `No product with id ${productId}.`,
  productId,
  variantId: null,
});

/** A variant id that names no variant of the product (another form, another product's, removed). */
export const unknownVariant = (productId: string, variantId: string) => ({
  __typename: 'UnknownProductError' as const,
  message: `Product ${productId} has no variant ${variantId}.`,
  productId,
  variantId,
});

export const invalid = (message: string, field: string) => ({
  __typename: 'InvalidInputError' as const,
  message,
  field,
});

/**
 * The same items in any order give the same fingerprint; variants count (another variant of the
 * product is other items). A line named without a variant hashes as before variants existed, so an
 * order placed then is still replayed by the same request.
 */
export function fingerprintOf(lines: readonly Line[]): string {
  const key = (l: Line) => `${l.productId} ${l.variantId ?? ''}`;
  const canonical = [...lines].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return createHash('sha256')
    .update(
      JSON.stringify(
        canonical.map((l) =>
          l.variantId === undefined ? [l.productId, l.quantity] : [l.productId, l.variantId, l.quantity],
        ),
      ),
    )
    .digest('hex');
}
