import { randomUUID } from 'node:crypto';
import type { Money } from '@shop/graphql';
import type { OrderCancelledEvent, OrderPlacedEvent, ReserveItem } from '@shop/messaging';
import { orderNumber } from './models';
import type { OrdersTx } from './orders.repository';
import type { OrdersDeps } from './orders.service';

/**
 * The outbox rows of placing (orders.placing.ts): orders.placed in the transaction that inserts an
 * order, and orders.cancelled (NOT_PLACED) for a reservation whose order was never stored.
 */

/**
 * Writes the order's orders.placed row in the placing transaction, right after the insert: the row
 * commits with the order or not at all, so every stored order has exactly one, and a replayed
 * idempotency key (which inserts nothing) writes none. The relay publishes it with Nats-Msg-Id =
 * its event id, like every other outbox row.
 */
export async function queuePlaced(
  tx: OrdersTx,
  order: { id: string; seq: number; userId: string; total: Money; createdAt: Date },
): Promise<void> {
  const eventId = randomUUID();
  const payload: OrderPlacedEvent = {
    eventId,
    orderId: order.id,
    orderNumber: orderNumber(order.seq),
    userId: order.userId,
    total: order.total,
    placedAt: order.createdAt.toISOString(),
  };
  await tx.insertOutbox([{ eventId, kind: 'orders.placed', payload, createdAt: order.createdAt }]);
}

/**
 * Gives back the reservation of an order that was not stored. Durably, through the outbox: an
 * orders.cancelled row (reason NOT_PLACED) that the relay publishes and products applies whenever
 * it gets to it. A direct products.release could time out just like the reserve did, leaving the
 * stock taken for ever; products records a release that arrives before a late reserve, so that
 * reserve then takes nothing. Only when MySQL itself fails do we fall back to asking directly.
 */
export async function releaseReservation(
  deps: OrdersDeps,
  orderId: string,
  userId: string,
  lines: readonly ReserveItem[],
): Promise<void> {
  const at = deps.now();
  const eventId = randomUUID();
  const payload: OrderCancelledEvent = {
    eventId,
    orderId,
    userId,
    reason: 'NOT_PLACED',
    items: lines.map((l) =>
      l.variantId === undefined
        ? { productId: l.productId, quantity: l.quantity }
        : { productId: l.productId, variantId: l.variantId, quantity: l.quantity },
    ),
    cancelledAt: at.toISOString(),
  };
  try {
    await deps.repository.transaction((tx) =>
      tx.insertOutbox([{ eventId, kind: 'orders.cancelled', payload, createdAt: at }]),
    );
  } catch (error) {
    deps.log.error(
      { err: error, orderId },
      'could not queue the release of a reservation; asking products directly',
    );
    await deps.products.release(orderId).catch((releaseError: unknown) => {
      deps.log.error(
        { err: releaseError, orderId },
        'could not release a reservation; its stock stays taken',
      );
    });
  }
}
