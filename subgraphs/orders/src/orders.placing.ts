import { randomUUID } from 'node:crypto';
import { requireViewer, type Viewer } from '@shop/auth';
import type { Money } from '@shop/graphql';
import { ServiceUnavailableError, type ReserveReply } from '@shop/messaging';
import { asResult, withoutCheckout, type CheckoutParts, type OrderModel, type OrderResult } from './models';
import { reserveRefusal, snapshot, validate, type Line } from './orders.placing.lines';
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
  items: { productId: string; variantId?: string | null; quantity: number }[];
  idempotencyKey: string;
}

export type PlaceOrderResult =
  | OrderResult
  | { __typename: 'EmptyCartError'; message: string }
  | { __typename: 'InvalidInputError'; message: string; field: string }
  | { __typename: 'UnknownProductError'; message: string; productId: string; variantId: string | null }
  | {
      __typename: 'InsufficientStockError';
      message: string;
      productId: string;
      variantId: string | null;
      requested: number;
      available: number;
    }
  | { __typename: 'IdempotencyKeyReusedError'; message: string; orderId: string }
  | { __typename: 'ProductsUnavailableError'; message: string }
  | { __typename: 'OrderTotalLimitError'; message: string; maxTotal: Money }
  | { __typename: 'TooManyUnpaidOrdersError'; message: string; max: number };

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
    variantField: (productId) => {
      const i = input.items.findIndex((item) => item.productId === productId);
      return i < 0 ? 'items' : `items.${i}.variantId`;
    },
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
  /**
   * Canonical product ids and variant ids of those products, one line per variant (a product named
   * without a variant is named so on its only line), within the caps (the caller checked).
   */
  lines: Line[];
  /** The input field to blame when products says a line needs a variant (VARIANT_REQUIRED). */
  variantField?: (productId: string) => string;
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
  if (!reply.ok) return reserveRefusal(reply, lines, p.variantField ?? (() => 'variantId'));

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

function replay(existing: OrderModel, fingerprint: string): PlaceOrderResult {
  if (existing.fingerprint === fingerprint) return asResult(existing);
  return {
    __typename: 'IdempotencyKeyReusedError',
    message: 'This idempotency key was already used for an order with other items.',
    orderId: existing.id,
  };
}

const tooManyUnpaid = (deps: OrdersDeps) => ({
  __typename: 'TooManyUnpaidOrdersError' as const,
  message: `At most ${deps.maxUnpaidOrders} orders may wait for payment at once; pay or cancel one first.`,
  max: deps.maxUnpaidOrders,
});

export {
  fingerprintOf,
  IDEMPOTENCY_KEY,
  invalid,
  unknownProduct,
  unknownVariant,
} from './orders.placing.lines';
