import { firstVariantId, type ReserveReply } from '@shop/messaging';
import type { ReservationItem } from './models';

/** The replies of products.reserve and the small helpers of the reservation service. */

/**
 * At most `max` tasks at a time; the rest wait in line. Many simultaneous writes make an SQLite-backed
 * FerretDB slower, not faster (its writers retry on a busy database), so reservations are metered.
 */
export function createLimiter(max: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async function limit<T>(task: () => Promise<T>): Promise<T> {
    if (running >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await task();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  };
}

export function notFound(item: ReservationItem): ReserveReply {
  return {
    ok: false,
    code: 'NOT_FOUND',
    message: `product ${item.productId} does not exist`,
    productId: item.productId,
  };
}

/** A variant id not in the issued form, of another product, or naming no variant (removed ones too). */
export function variantNotFound(productId: string, variantId: string): ReserveReply {
  return {
    ok: false,
    code: 'NOT_FOUND',
    message: `product ${productId} has no variant ${variantId}`,
    productId,
    variantId,
  };
}

export function variantRequired(productId: string, count: number): ReserveReply {
  return {
    ok: false,
    code: 'VARIANT_REQUIRED',
    message: `product ${productId} has ${count} variants: name the one to reserve`,
    productId,
  };
}

export function outOfStock(item: Required<ReservationItem>, available: number): ReserveReply {
  return {
    ok: false,
    code: 'OUT_OF_STOCK',
    message: `variant ${item.variantId} has ${available} in stock, ${item.quantity} requested`,
    productId: item.productId,
    variantId: item.variantId,
    requested: item.quantity,
    available,
  };
}

/** An item whose variant is known (the precheck resolves a missing variantId to the only variant). */
export type Resolved = Required<ReservationItem>;

/** The same variant asked for twice (once by id, once as the only variant) is one item. */
export function mergeResolved(items: readonly Resolved[]): Resolved[] {
  const merged = new Map<string, Resolved>();
  for (const item of items) {
    const seen = merged.get(item.variantId);
    merged.set(item.variantId, { ...item, quantity: (seen?.quantity ?? 0) + item.quantity });
  }
  return [...merged.values()];
}

export function notAnOrder(orderId: string): { ok: false; code: 'INVALID_REQUEST'; message: string } {
  return { ok: false, code: 'INVALID_REQUEST', message: `${JSON.stringify(orderId)} is not an order id` };
}

/** The variant a stored item names (records from before variants: variant 1, as the migration says). */
export const variantOfItem = (item: ReservationItem): string =>
  item.variantId ?? firstVariantId(item.productId);
