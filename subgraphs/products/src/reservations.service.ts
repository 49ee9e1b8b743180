import {
  isOrderId,
  isProductId,
  isVariantId,
  mergeLines,
  parseVariantId,
  variantIdOf,
  type LookupReply,
  type LookupRequest,
  type ReleaseReply,
  type ReserveReply,
  type ReserveRequest,
} from '@shop/messaging';
import type { Logger } from '@shop/server';
import { orderLock, type Locks } from './locks';
import { DEFAULT_MAX_STOCK } from './models';
import type { ReservationItem, ReservationModel, ReservedLine } from './models';
import type { ProductsRepository } from './products.repository';
import { lookupProducts } from './reservations.lookup';
import {
  createLimiter,
  mergeResolved,
  notAnOrder,
  notFound,
  outOfStock,
  variantNotFound,
  variantOfItem,
  variantRequired,
  type Resolved,
} from './reservations.replies';
import type { ReservationsRepository } from './reservations.repository';

/** A release found a reserve of the order still running; redelivery tries again later. */
export class ReservationBusyError extends Error {
  constructor(readonly orderId: string) {
    super(`the reservation of order ${orderId} is still being made`);
  }
}

const isStale = (r: ReservationModel, ms: number) => Date.now() - r.updatedAt.getTime() >= ms;
/** A reservation whose holds are its own: being made (PENDING) or taken and not settled (RESERVED). */
const isLive = (r: ReservationModel | null) => r?.status === 'PENDING' || r?.status === 'RESERVED';

export interface ReservationsServiceDeps {
  repository: ReservationsRepository;
  /** The catalogue, read by the precheck. */
  products: ProductsRepository;
  /** The order locks releases and the recovery run under. */
  locks: Locks;
  /** Reservation tasks running at once (default 8). */
  maxConcurrent?: number;
  /** How long a PENDING record may stay before its reserver counts as dead (default 30 s). */
  staleMs?: number;
  /** MAX_STOCK: a give-back that leaves more on hand is logged (it can only follow a lowered limit). */
  maxStock?: number;
  /** Where the recovery sweep reports what it gave back. */
  log?: Logger;
}

/** What one recovery sweep did (recoverStale). */
export interface RecoveryReport {
  /** Reservations left PENDING by a dead reserver, released. */
  released: number;
  /** Holds whose reservation is RELEASED or missing, given back to stock. */
  orphanHolds: number;
  /** The units those holds gave back. */
  orphanUnits: number;
  /** Holds whose reservation is SOLD, dropped without returning stock (the units were sold). */
  soldHolds: number;
}

/**
 * Stock reservations for orders, per variant. Per order all or nothing: each item (one variant) is
 * taken only if enough stock of that variant remains, and a failing item gives back the ones already
 * taken. Reserve, release and sell are idempotent per orderId.
 *
 * Crash safety: the record is written PENDING (with the items asked for, each naming its variant)
 * before any stock is taken, and each product records what the order holds of each of its variants
 * in the same write that takes the stock (see the repository). Whatever step a process dies after, the stock can be given back exactly: a
 * release gives back only what is still held, and recoverStale() releases reservations left PENDING
 * for longer than `staleMs`.
 *
 * Who may write a record: the reserve that inserted it PENDING (the insert is atomic: `_id` is the
 * order id, so there is one such reserve) until it is RESERVED; after that, release and sell. A
 * release or recovery never touches a PENDING record younger than `staleMs` (its reserve is still
 * running), and they run under the order's lock, so they never interleave with each other.
 */
export class ReservationsService {
  private readonly repository: ReservationsRepository;
  private readonly products: ProductsRepository;
  private readonly locks: Locks;
  private readonly limit: <T>(task: () => Promise<T>) => Promise<T>;
  private readonly staleMs: number;
  private readonly maxStock: number;
  private readonly log: Logger | undefined;

  constructor({
    repository,
    products,
    locks,
    maxConcurrent = 8,
    staleMs = 30_000,
    maxStock = DEFAULT_MAX_STOCK,
    log,
  }: ReservationsServiceDeps) {
    this.maxStock = maxStock;
    this.log = log;
    this.repository = repository;
    this.products = products;
    this.locks = locks;
    this.limit = createLimiter(maxConcurrent);
    // A reserve takes well under a second; one PENDING for as long as a lock lives lost its process.
    this.staleMs = staleMs;
  }

  /**
   * Reserves every item of an order, or none. A repeat for the same orderId returns the first lines.
   * An item is one variant: its variantId, or without one the product's only variant (a product with
   * several is VARIANT_REQUIRED). Only canonical ids count: an order id that is not one is
   * INVALID_REQUEST; an item whose product id is not one (another letter case included) is
   * NOT_FOUND, and so is a variant id not in the issued form, of another product, or naming no
   * variant (NOT_FOUND with the variantId); in each case nothing is written.
   */
  async reserve(request: ReserveRequest): Promise<ReserveReply> {
    const { orderId } = request;
    if (!isOrderId(orderId)) return notAnOrder(orderId);
    const misspelt = request.items.find((item) => !isProductId(item.productId));
    if (misspelt) return notFound(misspelt);
    const foreign = request.items.find(
      (item) =>
        item.variantId !== undefined &&
        (!isVariantId(item.variantId) || parseVariantId(item.variantId).productId !== item.productId),
    );
    if (foreign?.variantId !== undefined) return variantNotFound(foreign.productId, foreign.variantId);
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
    return this.limit(async () => {
      const existing = await this.repository.findReservation(orderId);
      if (existing) return answer(existing);
      const checked = await this.precheck(mergeLines(request.items));
      if (!Array.isArray(checked)) return checked;
      const items = checked;
      if (!(await this.repository.insertReservation(orderId, 'PENDING', items))) {
        // Another request for this order got there first.
        return answer(await this.repository.findReservation(orderId));
      }
      return this.takeAll(orderId, items);
    });
  }

  /** products.lookup: prices and units available now, reserving nothing (reservations.lookup.ts). */
  lookup(request: LookupRequest): Promise<LookupReply> {
    return lookupProducts(this.products, request);
  }

  /**
   * Gives an order's stock back, once. An order that never reserved gets a RELEASED record, so a
   * reserve that arrives late (after the cancellation) takes nothing. A sold order keeps its stock.
   * Throws ReservationBusyError while a reserve of the order is running.
   */
  async release(orderId: string): Promise<ReleaseReply> {
    if (!isOrderId(orderId)) return notAnOrder(orderId);
    return this.limit(() =>
      this.locks.withLock(orderLock(orderId), () => this.releaseLocked(orderId, this.staleMs)),
    );
  }

  /**
   * The order was paid: its units are sold, so the products forget its holds. Idempotent. No order
   * lock: orders never both pays and cancels an order, and a reserve never writes a record again
   * once it is RESERVED.
   */
  async sell(orderId: string): Promise<{ sold: boolean }> {
    if (!isOrderId(orderId)) return { sold: false };
    return this.limit(async () => {
      const existing = await this.repository.findReservation(orderId);
      if (existing?.status !== 'RESERVED') return { sold: false };
      for (const item of existing.items) await this.repository.settleStock(variantOfItem(item), orderId);
      await this.repository.moveReservation(orderId, ['RESERVED'], 'SOLD');
      return { sold: true };
    });
  }

  /**
   * The recovery sweep (run by `every()` in app.ts). Releases reservations left PENDING for longer
   * than `olderThanMs` (default `staleMs`): their reserver died between taking stock and recording
   * it. Then reconciles the holds: a hold whose reservation is not live (see reconcileHolds) is
   * settled. Safe to run twice or in several processes at once: each hold is settled once.
   */
  async recoverStale(olderThanMs = this.staleMs): Promise<RecoveryReport> {
    let released = 0;
    for (const orderId of await this.repository.stalePendingReservations(
      new Date(Date.now() - olderThanMs),
    )) {
      if (!isOrderId(orderId)) continue; // written before ids were checked; no order has such an id
      const done = await this.limit(() =>
        this.locks.withLock(orderLock(orderId), async () => {
          const current = await this.repository.findReservation(orderId);
          if (current?.status !== 'PENDING' || !isStale(current, olderThanMs)) return false;
          const reply = await this.releaseLocked(orderId, olderThanMs);
          return reply.ok && reply.released;
        }),
      );
      if (done) released += 1;
    }
    return { released, ...(await this.reconcileHolds()) };
  }

  /**
   * Holds without a live reservation: what a product records as taken by an order whose reservation
   * is RELEASED or does not exist (a release that lost a race, a reserve that outlived its record)
   * goes back to stock; a hold of a SOLD reservation is dropped without returning stock (its units
   * were sold). A hold of a PENDING or RESERVED reservation is live and stays. Each hold is decided
   * under its order's lock (releases and the PENDING recovery take the same one), and the give-back
   * removes the hold in the write that restores the stock, so a hold is given back exactly once.
   *
   * A hold can never be younger than its reservation record (a reserve writes the record before it
   * takes stock), so a missing record means an orphan, not a reserve in progress.
   */
  private async reconcileHolds(): Promise<Omit<RecoveryReport, 'released'>> {
    const report = { orphanHolds: 0, orphanUnits: 0, soldHolds: 0 };
    for (const { productId, holds } of await this.repository.productsWithHolds()) {
      for (const { orderId, variant } of holds) {
        // A look without the lock first: nearly every hold belongs to a live reservation.
        if (isLive(await this.repository.findReservation(orderId))) continue;
        const variantId = variantIdOf(productId, variant);
        const settle = () => this.settleOrphan(variantId, orderId);
        // A hold under an id that is no order id (written before ids were checked) has no order
        // that could act on it any more: nothing to lock against.
        const outcome = await this.limit(() =>
          isOrderId(orderId) ? this.locks.withLock(orderLock(orderId), settle) : settle(),
        );
        if (outcome.kind === 'returned') {
          report.orphanHolds += 1;
          report.orphanUnits += outcome.units;
          this.log?.warn(
            { productId, variantId, orderId, units: outcome.units, status: outcome.status },
            'orphan hold given back to stock',
          );
        } else if (outcome.kind === 'sold') {
          report.soldHolds += 1;
          this.log?.warn({ productId, variantId, orderId }, 'hold of a sold reservation dropped');
        }
      }
    }
    return report;
  }

  /** Under the order's lock: settles one hold (of one variant) if its reservation is not live (read again here). */
  private async settleOrphan(
    variantId: string,
    orderId: string,
  ): Promise<
    { kind: 'live' | 'gone' } | { kind: 'sold' } | { kind: 'returned'; units: number; status: string }
  > {
    const current = await this.repository.findReservation(orderId);
    if (isLive(current)) return { kind: 'live' };
    if (current?.status === 'SOLD') {
      const held = await this.repository.heldBy(variantId, orderId);
      if (held === 0) return { kind: 'gone' };
      await this.repository.settleStock(variantId, orderId);
      return { kind: 'sold' };
    }
    const units = await this.returnOne(variantId, orderId);
    return units > 0 ? { kind: 'returned', units, status: current?.status ?? 'MISSING' } : { kind: 'gone' };
  }

  /** Gives back what the order holds of one variant; logs a variant left above MAX_STOCK on hand. */
  private async returnOne(variantId: string, orderId: string): Promise<number> {
    const { units, stock } = await this.repository.returnStock(variantId, orderId);
    if (units > 0 && stock !== null && stock > this.maxStock) {
      // Only possible when MAX_STOCK was lowered while the hold existed: the units are real, so they
      // go back; adjustStock refuses additions until the variant is under the limit again.
      this.log?.warn(
        { variantId, orderId, units, stock, maxStock: this.maxStock },
        'stock given back is above MAX_STOCK',
      );
    }
    return units;
  }

  /** Gives back whatever the order holds of these variants (safe to repeat). */
  private async giveBack(orderId: string, items: readonly ReservationItem[]): Promise<void> {
    for (const item of items) await this.returnOne(variantOfItem(item), orderId);
  }

  /**
   * The refusal a plain read already shows (unknown product or variant, a product with several
   * variants and none named, not enough stock of the variant), so that the common sold-out case
   * writes nothing; otherwise the items with their variant resolved (and merged: the only variant
   * asked for once by id and once without is one item). Stock can still run out, or a variant be
   * removed, after this read: takeAll checks again under the product's lock.
   */
  private async precheck(items: ReservationItem[]): Promise<Resolved[] | ReserveReply> {
    // One lookup by _id per product (indexed on FerretDB, where `$in` scans the collection).
    const ids = [...new Set(items.map((i) => i.productId))];
    const found = await Promise.all(ids.map((id) => this.products.findById(id)));
    const byId = new Map(found.flatMap((p) => (p ? [[p.id, p] as const] : [])));
    const resolved: Resolved[] = [];
    for (const item of items) {
      const product = byId.get(item.productId);
      if (!product) return notFound(item);
      if (item.variantId === undefined && product.variants.length !== 1)
        return variantRequired(product.id, product.variants.length);
      const variantId = item.variantId ?? product.variants[0]!.id;
      if (!product.variants.some((v) => v.id === variantId)) return variantNotFound(product.id, variantId);
      resolved.push({ productId: product.id, variantId, quantity: item.quantity });
    }
    const merged = mergeResolved(resolved);
    for (const item of merged) {
      const variant = byId.get(item.productId)!.variants.find((v) => v.id === item.variantId)!;
      if (variant.stock < item.quantity) return outOfStock(item, variant.stock);
    }
    return merged;
  }

  private async takeAll(orderId: string, items: Resolved[]): Promise<ReserveReply> {
    const taken: ReservedLine[] = [];
    let refusal: ReserveReply | undefined;
    try {
      for (const item of items) {
        const result = await this.repository.takeStock(item.variantId, item.quantity, orderId);
        if (result.kind !== 'ok') {
          refusal =
            result.kind === 'short'
              ? outOfStock(item, result.available)
              : variantNotFound(item.productId, item.variantId);
          break;
        }
        const { product, variant } = result;
        taken.push({
          productId: product.id,
          variantId: variant.id,
          sku: variant.sku,
          name: product.name,
          variantTitle: variant.title,
          quantity: item.quantity,
          unitPrice: variant.price,
        });
      }
    } catch (error) {
      await this.giveBack(orderId, items);
      throw error;
    }
    if (refusal) {
      // Nothing stays taken; the record says so (orders tries again under a new order id).
      await this.giveBack(orderId, items);
      await this.repository.moveReservation(orderId, ['PENDING'], 'RELEASED');
      return refusal;
    }
    if (!(await this.repository.moveReservation(orderId, ['PENDING'], 'RESERVED', taken))) {
      // Only possible when this reserve stalled for longer than staleMs and a release (or the
      // recovery) released the order meanwhile.
      await this.giveBack(orderId, items);
      return { ok: false, code: 'INVALID_REQUEST', message: `order ${orderId} was released` };
    }
    return { ok: true, lines: taken };
  }

  /** Gives an unsold reservation's stock back and marks it RELEASED (under the order lock). */
  private async releaseLocked(orderId: string, pendingAfterMs: number): Promise<ReleaseReply> {
    const existing = await this.repository.findReservation(orderId);
    if (!existing) {
      // A reserve that arrives late (after the cancellation) finds this and takes nothing.
      if (await this.repository.insertReservation(orderId, 'RELEASED', []))
        return { ok: true, released: false };
      return this.releaseLocked(orderId, pendingAfterMs); // a reserve inserted its record just now
    }
    if (existing.status === 'RELEASED' || existing.status === 'SOLD') return { ok: true, released: false };
    if (existing.status === 'PENDING' && !isStale(existing, pendingAfterMs))
      throw new ReservationBusyError(orderId);
    // Stock first, then the mark: a crash in between leaves the record as it was, and the retry
    // finds nothing left to give back (the holds are gone) and only marks it.
    await this.giveBack(orderId, existing.items);
    await this.repository.moveReservation(orderId, ['PENDING', 'RESERVED'], 'RELEASED');
    return { ok: true, released: true };
  }
}
