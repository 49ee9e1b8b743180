import type { ReleaseReply, ReserveReply, ReserveRequest } from '@shop/messaging';
import type { ReservationItem, ReservationModel, ReservedLine } from './models';
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

/** A release found a reserve of the order still running; redelivery tries again later. */
export class ReservationBusyError extends Error {
  constructor(readonly orderId: string) {
    super(`the reservation of order ${orderId} is still being made`);
  }
}

/**
 * Stock reservations for orders. Per order all or nothing: each item is taken only if enough stock
 * remains, and a failing item gives back the ones already taken. Reserve, release and sell are
 * idempotent per orderId.
 *
 * Crash safety: the record is written PENDING (with the items asked for) before any stock is taken,
 * and each product records what the order holds of it in the same write that takes the stock (see
 * the repository). Whatever step a process dies after, the stock can be given back exactly: a
 * release gives back only what is still held, and recoverStale() releases reservations left PENDING
 * for longer than `staleMs`.
 *
 * Who may write a record: the reserve that inserted it PENDING (the insert is atomic: `_id` is the
 * order id, so there is one such reserve) until it is RESERVED; after that, release and sell. A
 * release or recovery never touches a PENDING record younger than `staleMs` (its reserve is still
 * running), and they run under the order's lock, so they never interleave with each other.
 */
export function createReservationService(
  repo: ProductRepository,
  options: { maxConcurrent?: number; staleMs?: number } = {},
) {
  const orderLock = (orderId: string) => `order:${orderId}`;
  const limit = createLimiter(options.maxConcurrent ?? 8);
  // A reserve takes well under a second; one PENDING for as long as a lock lives lost its process.
  const staleMs = options.staleMs ?? 30_000;
  const isStale = (r: ReservationModel, ms: number) => Date.now() - r.updatedAt.getTime() >= ms;

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
      // Nothing stays taken; the record says so (orders tries again under a new order id).
      await giveBack(orderId, items);
      await repo.moveReservation(orderId, ['PENDING'], 'RELEASED');
      return refusal;
    }
    if (!(await repo.moveReservation(orderId, ['PENDING'], 'RESERVED', taken))) {
      // Only possible when this reserve stalled for longer than staleMs and a release (or the
      // recovery) released the order meanwhile.
      await giveBack(orderId, items);
      return { ok: false, code: 'INVALID_REQUEST', message: `order ${orderId} was released` };
    }
    return { ok: true, lines: taken };
  }

  /** Gives an unsold reservation's stock back and marks it RELEASED (under the order lock). */
  async function releaseLocked(orderId: string, pendingAfterMs: number): Promise<ReleaseReply> {
    const existing = await repo.findReservation(orderId);
    if (!existing) {
      // A reserve that arrives late (after the cancellation) finds this and takes nothing.
      if (await repo.insertReservation(orderId, 'RELEASED', [])) return { ok: true, released: false };
      return releaseLocked(orderId, pendingAfterMs); // a reserve inserted its record just now
    }
    if (existing.status === 'RELEASED' || existing.status === 'SOLD') return { ok: true, released: false };
    if (existing.status === 'PENDING' && !isStale(existing, pendingAfterMs))
      throw new ReservationBusyError(orderId);
    // Stock first, then the mark: a crash in between leaves the record as it was, and the retry
    // finds nothing left to give back (the holds are gone) and only marks it.
    await giveBack(orderId, existing.items);
    await repo.moveReservation(orderId, ['PENDING', 'RESERVED'], 'RELEASED');
    return { ok: true, released: true };
  }

  return {
    /** Reserves every item of an order, or none. A repeat for the same orderId returns the first lines. */
    async reserve(request: ReserveRequest): Promise<ReserveReply> {
      const { orderId } = request;
      /** The answer for an order that already has a record (none: it is being written right now). */
      const answer = (existing: ReservationModel | null): ReserveReply =>
        existing?.status === 'RESERVED' || existing?.status === 'SOLD'
          ? { ok: true, lines: existing.lines }
          : {
              ok: false,
              code: 'INVALID_REQUEST',
              message:
                existing?.status === 'RELEASED'
                  ? `order ${orderId} was already released`
                  : `order ${orderId} is being reserved by another request`,
            };
      return limit(async () => {
        const existing = await repo.findReservation(orderId);
        if (existing) return answer(existing);
        const items = mergeItems(request.items);
        const refusal = await precheck(items);
        if (refusal) return refusal;
        if (!(await repo.insertReservation(orderId, 'PENDING', items))) {
          // Another request for this order got there first.
          return answer(await repo.findReservation(orderId));
        }
        return takeAll(orderId, items);
      });
    },

    /**
     * Gives an order's stock back, once. An order that never reserved gets a RELEASED record, so a
     * reserve that arrives late (after the cancellation) takes nothing. A sold order keeps its stock.
     * Throws ReservationBusyError while a reserve of the order is running.
     */
    async release(orderId: string): Promise<ReleaseReply> {
      return limit(() => repo.withLock(orderLock(orderId), () => releaseLocked(orderId, staleMs)));
    },

    /**
     * The order was paid: its units are sold, so the products forget its holds. Idempotent. No order
     * lock: orders never both pays and cancels an order, and a reserve never writes a record again
     * once it is RESERVED.
     */
    async sell(orderId: string): Promise<{ sold: boolean }> {
      return limit(async () => {
        const existing = await repo.findReservation(orderId);
        if (existing?.status !== 'RESERVED') return { sold: false };
        for (const item of existing.items) await repo.settleStock(item.productId, orderId);
        await repo.moveReservation(orderId, ['RESERVED'], 'SOLD');
        return { sold: true };
      });
    },

    /**
     * Releases reservations left PENDING for longer than `olderThanMs` (default `staleMs`): their
     * reserver died between taking stock and recording it. Returns how many were released.
     */
    async recoverStale(olderThanMs = staleMs): Promise<number> {
      let released = 0;
      for (const orderId of await repo.stalePendingReservations(new Date(Date.now() - olderThanMs))) {
        const done = await limit(() =>
          repo.withLock(orderLock(orderId), async () => {
            const current = await repo.findReservation(orderId);
            if (current?.status !== 'PENDING' || !isStale(current, olderThanMs)) return false;
            const reply = await releaseLocked(orderId, olderThanMs);
            return reply.ok && reply.released;
          }),
        );
        if (done) released += 1;
      }
      return released;
    },
  };
}

export type ReservationService = ReturnType<typeof createReservationService>;
