import type { ReleaseReply, ReserveReply, ReserveRequest } from '@shop/messaging';
import type { ReservedLine } from './models';
import type { ProductRepository } from './product.repository';

/**
 * At most `max` tasks at a time; the rest wait in line. Many simultaneous writes make an SQLite-backed
 * FerretDB slower, not faster (its writers retry on a busy database), so reservations are metered.
 */
function createLimiter(max: number) {
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

/**
 * Stock reservations for orders. Per order all or nothing: each item is taken only if enough stock
 * remains, and a failing item gives back the ones already taken. Reserve and release are idempotent
 * per orderId: the reservation record (unique orderId) says what was taken, and both run under the
 * order's lock, so two requests for one order never interleave.
 */
export function createReservationService(repo: ProductRepository, options: { maxConcurrent?: number } = {}) {
  const orderLock = (orderId: string) => `order:${orderId}`;
  const limit = createLimiter(options.maxConcurrent ?? 8);

  async function giveBack(lines: ReservedLine[]): Promise<void> {
    for (const line of lines) await repo.returnStock(line.productId, line.quantity);
  }

  /** Merges repeated products of one request into one line each, keeping the first-seen order. */
  function mergeItems(items: ReserveRequest['items']) {
    const merged = new Map<string, number>();
    for (const item of items) merged.set(item.productId, (merged.get(item.productId) ?? 0) + item.quantity);
    return [...merged].map(([productId, quantity]) => ({ productId, quantity }));
  }

  async function takeAll(request: ReserveRequest): Promise<ReserveReply> {
    const taken: ReservedLine[] = [];
    try {
      for (const item of mergeItems(request.items)) {
        const result = await repo.takeStock(item.productId, item.quantity);
        if (result.kind === 'not-found') {
          await giveBack(taken);
          return {
            ok: false,
            code: 'NOT_FOUND',
            message: `product ${item.productId} does not exist`,
            productId: item.productId,
          };
        }
        if (result.kind === 'short') {
          await giveBack(taken);
          return {
            ok: false,
            code: 'OUT_OF_STOCK',
            message: `product ${item.productId} has ${result.available} in stock, ${item.quantity} requested`,
            productId: item.productId,
            requested: item.quantity,
            available: result.available,
          };
        }
        const { product } = result;
        taken.push({
          productId: product.id,
          sku: product.sku,
          name: product.name,
          quantity: item.quantity,
          unitPrice: product.price,
        });
      }
      if (!(await repo.insertReservation(request.orderId, 'RESERVED', taken))) {
        // Only possible when the order lock expired under us: the other reservation stands.
        await giveBack(taken);
        const existing = await repo.findReservation(request.orderId);
        if (existing?.status === 'RESERVED') return { ok: true, lines: existing.lines };
        return { ok: false, code: 'INVALID_REQUEST', message: `order ${request.orderId} was released` };
      }
      return { ok: true, lines: taken };
    } catch (error) {
      await giveBack(taken);
      throw error;
    }
  }

  return {
    /** Reserves every item of an order, or none. A repeat for the same orderId returns the first lines. */
    async reserve(request: ReserveRequest): Promise<ReserveReply> {
      return limit(() =>
        repo.withLock(orderLock(request.orderId), async () => {
          const existing = await repo.findReservation(request.orderId);
          if (existing?.status === 'RESERVED') return { ok: true, lines: existing.lines };
          if (existing?.status === 'RELEASED') {
            return {
              ok: false,
              code: 'INVALID_REQUEST',
              message: `order ${request.orderId} was already released`,
            };
          }
          return takeAll(request);
        }),
      );
    },

    /**
     * Gives an order's stock back, once. An order that never reserved gets a RELEASED record, so a
     * reserve that arrives late (after the cancellation) takes nothing.
     */
    async release(orderId: string): Promise<ReleaseReply> {
      return limit(() =>
        repo.withLock(orderLock(orderId), async () => {
          const existing = await repo.findReservation(orderId);
          if (!existing) {
            await repo.insertReservation(orderId, 'RELEASED', []);
            return { ok: true, released: false };
          }
          if (existing.status === 'RELEASED') return { ok: true, released: false };
          // Marked first: a crash in between can only leave stock short, never give it back twice.
          await repo.markReleased(orderId);
          await giveBack(existing.lines);
          return { ok: true, released: true };
        }),
      );
    },
  };
}

export type ReservationService = ReturnType<typeof createReservationService>;
