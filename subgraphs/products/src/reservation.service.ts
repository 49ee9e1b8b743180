import type { ReleaseReply, ReserveReply, ReserveRequest } from '@shop/messaging';
import type { ReservationItem, ReservedLine } from './models';
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
 * remains, and a failing item gives back the ones already taken. Reserve, release and sell are
 * idempotent per orderId and run under the order's lock, so two requests for one order never
 * interleave.
 *
 * Crash safety: the record is written PENDING (with the items asked for) before any stock is taken,
 * and each product records what the order holds of it in the same write that takes the stock (see
 * the repository). Whatever step a process dies after, the next reserve, release or sell of that
 * order — or recoverStale(), which releases reservations left PENDING — finishes or undoes it
 * exactly: no unit is lost or given back twice.
 */
export function createReservationService(repo: ProductRepository, options: { maxConcurrent?: number } = {}) {
  const orderLock = (orderId: string) => `order:${orderId}`;
  const limit = createLimiter(options.maxConcurrent ?? 8);

  /** Gives back whatever the order holds of these products (safe to repeat). */
  async function giveBack(orderId: string, items: readonly ReservationItem[]): Promise<void> {
    for (const item of items) await repo.returnStock(item.productId, orderId);
  }

  /** Merges repeated products of one request into one item each, keeping the first-seen order. */
  function mergeItems(items: ReserveRequest['items']): ReservationItem[] {
    const merged = new Map<string, number>();
    for (const item of items) merged.set(item.productId, (merged.get(item.productId) ?? 0) + item.quantity);
    return [...merged].map(([productId, quantity]) => ({ productId, quantity }));
  }

  function notFound(item: ReservationItem): ReserveReply {
    return {
      ok: false,
      code: 'NOT_FOUND',
      message: `product ${item.productId} does not exist`,
      productId: item.productId,
    };
  }

  function outOfStock(item: ReservationItem, available: number): ReserveReply {
    return {
      ok: false,
      code: 'OUT_OF_STOCK',
      message: `product ${item.productId} has ${available} in stock, ${item.quantity} requested`,
      productId: item.productId,
      requested: item.quantity,
      available,
    };
  }

  /**
   * The refusal a plain read already shows (unknown product, not enough stock), so that the common
   * sold-out case writes nothing. Stock can still run out after this read: takeAll checks again.
   */
  async function precheck(items: ReservationItem[]): Promise<ReserveReply | undefined> {
    // One lookup by _id per item (indexed on FerretDB, where `$in` scans the collection).
    const products = await Promise.all(items.map((i) => repo.findById(i.productId)));
    for (const [n, item] of items.entries()) {
      const product = products[n];
      if (!product) return notFound(item);
      if (product.stock < item.quantity) return outOfStock(item, product.stock);
    }
    return undefined;
  }

  async function takeAll(orderId: string, items: ReservationItem[]): Promise<ReserveReply> {
    const taken: ReservedLine[] = [];
    let refusal: ReserveReply | undefined;
    try {
      for (const item of items) {
        const result = await repo.takeStock(item.productId, item.quantity, orderId);
        if (result.kind !== 'ok') {
          refusal = result.kind === 'short' ? outOfStock(item, result.available) : notFound(item);
          break;
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
    } catch (error) {
      await giveBack(orderId, items);
      throw error;
    }
    if (refusal) {
      // Nothing stays taken, and no record stays: the order may be tried again.
      await giveBack(orderId, items);
      await repo.deletePendingReservation(orderId);
      return refusal;
    }
    if (!(await repo.moveReservation(orderId, ['PENDING'], 'RESERVED', taken))) {
      // Only possible when the order lock expired under a stalled holder and the order was released.
      await giveBack(orderId, items);
      return { ok: false, code: 'INVALID_REQUEST', message: `order ${orderId} was released` };
    }
    return { ok: true, lines: taken };
  }

  /** Gives an unsold reservation's stock back and marks it RELEASED (under the order lock). */
  async function releaseLocked(orderId: string): Promise<ReleaseReply> {
    const existing = await repo.findReservation(orderId);
    if (!existing) {
      // A reserve that arrives late (after the cancellation) finds this and takes nothing.
      await repo.insertReservation(orderId, 'RELEASED', []);
      return { ok: true, released: false };
    }
    if (existing.status === 'RELEASED' || existing.status === 'SOLD') return { ok: true, released: false };
    // Stock first, then the mark: a crash in between leaves it RESERVED/PENDING, and the retry
    // finds nothing left to give back (the holds are gone) and only marks it.
    await giveBack(orderId, existing.items);
    await repo.moveReservation(orderId, ['PENDING', 'RESERVED'], 'RELEASED');
    return { ok: true, released: true };
  }

  return {
    /** Reserves every item of an order, or none. A repeat for the same orderId returns the first lines. */
    async reserve(request: ReserveRequest): Promise<ReserveReply> {
      return limit(() =>
        repo.withLock(orderLock(request.orderId), async () => {
          const existing = await repo.findReservation(request.orderId);
          if (existing?.status === 'RESERVED' || existing?.status === 'SOLD')
            return { ok: true, lines: existing.lines };
          if (existing?.status === 'RELEASED') {
            return {
              ok: false,
              code: 'INVALID_REQUEST',
              message: `order ${request.orderId} was already released`,
            };
          }
          // A PENDING record is a reserve that died half-way: the takes are idempotent, so go on.
          if (existing) return takeAll(request.orderId, existing.items);
          const items = mergeItems(request.items);
          const refusal = await precheck(items);
          if (refusal) return refusal;
          await repo.insertReservation(request.orderId, 'PENDING', items);
          return takeAll(request.orderId, items);
        }),
      );
    },

    /**
     * Gives an order's stock back, once. An order that never reserved gets a RELEASED record, so a
     * reserve that arrives late (after the cancellation) takes nothing. A sold order keeps its stock.
     */
    async release(orderId: string): Promise<ReleaseReply> {
      return limit(() => repo.withLock(orderLock(orderId), () => releaseLocked(orderId)));
    },

    /** The order was paid: its units are sold, so the products forget its holds. Idempotent. */
    async sell(orderId: string): Promise<{ sold: boolean }> {
      return limit(() =>
        repo.withLock(orderLock(orderId), async () => {
          const existing = await repo.findReservation(orderId);
          if (existing?.status !== 'RESERVED') return { sold: false };
          for (const item of existing.items) await repo.settleStock(item.productId, orderId);
          await repo.moveReservation(orderId, ['RESERVED'], 'SOLD');
          return { sold: true };
        }),
      );
    },

    /**
     * Releases reservations left PENDING for longer than `staleMs` (their reserver died between
     * taking stock and recording it). A live reserve holds the order lock, so it is never touched.
     * Returns how many were released.
     */
    async recoverStale(staleMs: number): Promise<number> {
      let released = 0;
      for (const orderId of await repo.stalePendingReservations(new Date(Date.now() - staleMs))) {
        const done = await limit(() =>
          repo.withLock(orderLock(orderId), async () => {
            if ((await repo.findReservation(orderId))?.status !== 'PENDING') return false;
            return (await releaseLocked(orderId)).ok;
          }),
        );
        if (done) released += 1;
      }
      return released;
    },
  };
}

export type ReservationService = ReturnType<typeof createReservationService>;
