import { createHash, randomUUID } from 'node:crypto';
import { requireViewer, type Viewer } from '@shop/auth';
import type { Money } from '@shop/graphql';
import { isProductId, mergeLines, ServiceUnavailableError, type ReserveReply } from '@shop/messaging';
import { asResult, withoutCheckout, type CheckoutParts, type OrderModel, type OrderResult } from './models';
import { queuePlaced, releaseReservation } from './orders.placing.outbox';
import { DuplicateIdempotencyKeyError, type NewItem, type OrdersTx } from './orders.repository';
import type { OrdersDeps } from './orders.service';

/**
 * placeOrder, and the placing core it shares with checkout (placeLines): shape checks, idempotency,
 * the unpaid-orders cap, products.reserve, price snapshots and the total limit, then one insert under
 * the user's placing lock (the key and the cap checked again there, checkout's cart, discount and
 * shipping and the orders.placed outbox row in the same transaction). Every refusal after the reserve gives the stock back and stores
 * no order.
 */

export interface PlaceOrderInput {
  items: Line[];
  idempotencyKey: string;
}

type Line = { productId: string; quantity: number };

export type PlaceOrderResult =
  | OrderResult
  | { __typename: 'EmptyCartError'; message: string }
  | { __typename: 'InvalidInputError'; message: string; field: string }
  | { __typename: 'UnknownProductError'; message: string; productId: string }
  | {
      __typename: 'InsufficientStockError';
      message: string;
      productId: string;
      requested: number;
      available: number;
    }
  | { __typename: 'IdempotencyKeyReusedError'; message: string; orderId: string }
  | { __typename: 'ProductsUnavailableError'; message: string }
  | { __typename: 'OrderTotalLimitError'; message: string; maxTotal: Money }
  | { __typename: 'TooManyUnpaidOrdersError'; message: string; max: number };

export const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;

export async function placeOrder(
  deps: OrdersDeps,
  viewerOrNull: Viewer | null,
  input: PlaceOrderInput,
): Promise<PlaceOrderResult> {
  const viewer = requireViewer(viewerOrNull);
  const checked = validate(deps, input);
  if ('__typename' in checked) return checked;
  const { lines, fingerprint } = checked;
  return placeLines<never>(deps, {
    viewer,
    lines,
    idempotencyKey: input.idempotencyKey,
    fingerprint,
    replay: (existing) => replay(existing, fingerprint),
  });
}

/** What an order's transaction adds to the reserved lines: the checkout parts of its total. */
export type OrderParts = Omit<CheckoutParts, 'subtotal'>;

/** The reserved lines of an order about to be stored, as placeLines hands them to complete. */
export interface Draft {
  orderId: string;
  items: NewItem[];
  /** Sum of the items at the reserved prices. */
  subtotal: Money;
  at: Date;
}

/** One placing: the lines to reserve, the key, and what the caller adds (checkout). */
export interface Placement<R> {
  viewer: Viewer;
  /** Canonical product ids, one line per product, within the caps (the caller checked). */
  lines: Line[];
  idempotencyKey: string;
  fingerprint: string;
  /** What an order already stored with this key answers: itself, or IdempotencyKeyReusedError. */
  replay(existing: OrderModel): PlaceOrderResult | R | Promise<PlaceOrderResult | R>;
  /**
   * Inside the placing transaction, under the user's lock and after the unpaid cap, before the
   * insert: the order's checkout parts, or a refusal. It may write (a discount use, emptying the
   * cart): a refusal, or any throw, rolls all of it back and gives the reservation back.
   * Without it the order has no shipping, discount, VAT, address or cart (placeOrder).
   */
  complete?(tx: OrdersTx, draft: Draft): Promise<{ parts: OrderParts } | { refusal: R }>;
}

/** A refusal inside the placing transaction: thrown to roll it back, answered after the release. */
class Refused<R> extends Error {
  constructor(readonly result: R) {
    super('refused inside the placing transaction');
  }
}

/**
 * The placing core of placeOrder and checkout: idempotency, the unpaid-orders cap, products.reserve,
 * price snapshots and the total limit, then one transaction under the user's placing lock (the key
 * and the cap checked again there, the caller's `complete`, the insert and its orders.placed outbox
 * row). Every refusal after the reserve gives the stock back and stores nothing.
 */
export async function placeLines<R>(deps: OrdersDeps, p: Placement<R>): Promise<PlaceOrderResult | R> {
  const { viewer, lines } = p;
  const { repository } = deps;

  const existing = await repository.findByIdempotencyKey(viewer.id, p.idempotencyKey);
  if (existing) return p.replay(existing);
  // A first check without a lock, so a user at the cap reserves nothing; the exact one is below.
  if ((await repository.countUnpaid(viewer.id)) >= deps.maxUnpaidOrders) return tooManyUnpaid(deps);

  // The id exists before products hears of the order, so a retried reserve is idempotent.
  const orderId = randomUUID();
  const release = () => releaseReservation(deps, orderId, viewer.id, lines);
  let reply: ReserveReply;
  try {
    reply = await deps.products.reserve(orderId, lines);
  } catch (error) {
    if (!(error instanceof ServiceUnavailableError)) throw error;
    // products may still reserve after the timeout (a slow or frozen process): give it back.
    await release();
    return {
      __typename: 'ProductsUnavailableError',
      message: 'The products service did not answer; nothing was ordered. Try again.',
    };
  }
  if (!reply.ok) return reserveRefusal(reply, lines);

  let items: NewItem[] | null;
  try {
    items = snapshot(orderId, lines, reply.lines);
  } catch (error) {
    await release();
    throw error;
  }
  if (!items) {
    await release();
    return {
      __typename: 'InvalidInputError',
      message: 'All items of an order must be priced in one currency.',
      field: 'items',
    };
  }
  const subtotal: Money = {
    amount: items.reduce((sum, i) => sum + i.lineTotal.amount, 0),
    currency: items[0]!.unitPrice.currency,
  };
  // Checked in JavaScript numbers (exact far beyond 2³¹) before anything is stored: no subtotal or
  // total that GraphQL's 32-bit Int cannot carry, nor one above the configured maximum, is written.
  if (subtotal.amount > deps.maxOrderTotal) {
    await release();
    return totalLimit(deps, orderId, viewer.id, subtotal.currency);
  }
  const createdAt = deps.now();
  const draft: Draft = { orderId, items, subtotal, at: createdAt };
  let placed: 'PLACED' | OrderModel;
  try {
    await repository.ensureUser(viewer.id);
    placed = await repository.transaction(async (tx) => {
      // Under the user's lock: concurrent placings of one user count and insert one at a time.
      await tx.lockUser(viewer.id);
      const winner = await tx.findByIdempotencyKey(viewer.id, p.idempotencyKey);
      if (winner) return winner;
      if ((await tx.countUnpaid(viewer.id)) >= deps.maxUnpaidOrders) throw new Refused(tooManyUnpaid(deps));
      const done = p.complete ? await p.complete(tx, draft) : { parts: withoutCheckout(subtotal) };
      if ('refusal' in done) throw new Refused(done.refusal);
      const { parts } = done;
      const total = subtotal.amount - parts.discount.amount + parts.shipping.amount;
      if (total > deps.maxOrderTotal || total < 0)
        throw new Refused(totalLimit(deps, orderId, viewer.id, subtotal.currency));
      const orderTotal = { amount: total, currency: subtotal.currency };
      const seq = await tx.insertOrder(
        {
          ...parts,
          id: orderId,
          userId: viewer.id,
          status: 'PENDING_PAYMENT',
          subtotal,
          total: orderTotal,
          idempotencyKey: p.idempotencyKey,
          fingerprint: p.fingerprint,
          createdAt,
          expiresAt: new Date(createdAt.getTime() + deps.ttlSeconds * 1000),
        },
        items,
      );
      // In the same transaction: exactly one orders.placed per stored order (a replay stores none).
      await queuePlaced(tx, { id: orderId, seq, userId: viewer.id, total: orderTotal, createdAt });
      return 'PLACED' as const;
    });
  } catch (error) {
    await release();
    if (error instanceof Refused) return error.result as PlaceOrderResult | R;
    if (error instanceof DuplicateIdempotencyKeyError) {
      const winner = await repository.findByIdempotencyKey(viewer.id, p.idempotencyKey);
      if (winner) return p.replay(winner);
    }
    throw error;
  }
  if (placed !== 'PLACED') {
    await release();
    return p.replay(placed);
  }
  const order = await repository.findById(orderId);
  if (!order) throw new Error(`order ${orderId} vanished after insert`);
  deps.log.info({ orderId, number: order.number, lines: items.length }, 'order placed');
  return asResult(order);
}

function totalLimit(deps: OrdersDeps, orderId: string, userId: string, currency: string) {
  deps.log.info({ orderId, userId }, 'order refused: total above the maximum');
  return {
    __typename: 'OrderTotalLimitError' as const,
    message: `An order may total at most ${deps.maxOrderTotal} (minor units); nothing was ordered.`,
    maxTotal: { amount: deps.maxOrderTotal, currency },
  };
}

/** Shape checks: empty, too many lines, quantities, key. Merges lines of the same product. */
function validate(
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
  // A product id not in the issued form (another letter case, spaces, ...) names no product: it
  // never reaches products, a lock key or a query.
  const unknown = input.items.find((item) => !isProductId(item.productId));
  if (unknown) return unknownProduct(unknown.productId);
  const lines = mergeLines(input.items);
  if (lines.length > deps.maxCartLines) {
    return invalid(`An order can hold at most ${deps.maxCartLines} different products.`, 'items');
  }
  for (const { productId, quantity } of lines) {
    if (quantity > deps.maxQuantity) {
      const index = input.items.findIndex((item) => item.productId === productId);
      return invalid(
        `At most ${deps.maxQuantity} units of one product per order.`,
        `items.${index}.quantity`,
      );
    }
  }
  return { lines, fingerprint: fingerprintOf(lines) };
}

function replay(existing: OrderModel, fingerprint: string): PlaceOrderResult {
  if (existing.fingerprint === fingerprint) return asResult(existing);
  return {
    __typename: 'IdempotencyKeyReusedError',
    message: 'This idempotency key was already used for an order with other items.',
    orderId: existing.id,
  };
}

function reserveRefusal(reply: Extract<ReserveReply, { ok: false }>, lines: Line[]): PlaceOrderResult {
  const productId = reply.productId ?? '';
  if (reply.code === 'NOT_FOUND') return unknownProduct(productId);
  if (reply.code === 'OUT_OF_STOCK') {
    const requested = reply.requested ?? lines.find((l) => l.productId === productId)?.quantity ?? 0;
    const available = reply.available ?? 0;
    return {
      __typename: 'InsufficientStockError',
      message: `Only ${available} of product ${productId} in stock, ${requested} requested.`,
      productId,
      requested,
      available,
    };
  }
  throw new Error(`products refused the reserve request: ${reply.message}`);
}

/**
 * Price snapshots for the requested lines; null when the lines are priced in several currencies.
 * products must answer exactly the ids asked for (they are canonical, so it does): anything else is
 * a broken contract, thrown with what differed (the caller releases first).
 */
function snapshot(
  orderId: string,
  lines: Line[],
  reserved: Extract<ReserveReply, { ok: true }>['lines'],
): NewItem[] | null {
  const byId = new Map(reserved.map((l) => [l.productId, l]));
  const items = lines.map((line, position): NewItem => {
    const r = byId.get(line.productId);
    if (!r || r.quantity !== line.quantity || reserved.length !== lines.length) {
      throw new Error(
        `products answered the reserve of order ${orderId} with other lines than asked: ` +
          `asked ${line.quantity} of ${line.productId}, got ${JSON.stringify(reserved.map((l) => [l.productId, l.quantity]))}`,
      );
    }
    if (!Number.isSafeInteger(r.unitPrice.amount) || r.unitPrice.amount < 0)
      throw new Error(`products answered an invalid price for ${line.productId}: ${r.unitPrice.amount}`);
    return {
      position,
      productId: line.productId,
      sku: r.sku,
      productName: r.name,
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
});

const tooManyUnpaid = (deps: OrdersDeps) => ({
  __typename: 'TooManyUnpaidOrdersError' as const,
  message: `At most ${deps.maxUnpaidOrders} orders may wait for payment at once; pay or cancel one first.`,
  max: deps.maxUnpaidOrders,
});

export const invalid = (message: string, field: string) => ({
  __typename: 'InvalidInputError' as const,
  message,
  field,
});

/** The same items in any order give the same fingerprint. */
export function fingerprintOf(lines: Line[]): string {
  const canonical = [...lines].sort((a, b) =>
    a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0,
  );
  return createHash('sha256')
    .update(JSON.stringify(canonical.map((l) => [l.productId, l.quantity])))
    .digest('hex');
}
