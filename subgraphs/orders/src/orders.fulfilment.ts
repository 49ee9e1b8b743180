import { randomUUID } from 'node:crypto';
import { requireAdmin, type Viewer } from '@shop/auth';
import { isOrderId, type OrderDeliveredEvent, type OrderFulfilledEvent } from '@shop/messaging';
import { asResult, type OrderModel, type OrderResult, type OrderStatus } from './models';
import { transition } from './order-state';
import type { OrdersDeps } from './orders.service';

/**
 * The order's life after payment: an admin hands a PAID order to a carrier (fulfillOrder, FULFILLED)
 * and records its delivery (markOrderDelivered, DELIVERED); each step writes its outbox event in
 * the same transaction, under the order's row lock. Also what Order shows of it: fulfilment and
 * statusHistory.
 */

/** The carriers fulfillOrder accepts (exact, upper case) and their tracking pages. */
const TRACKING_PAGES = {
  DHL: (n: string) => `https://www.dhl.com/de-en/home/tracking.html?tracking-id=${n}`,
  DPD: (n: string) => `https://tracking.dpd.de/status/en_US/parcel/${n}`,
  UPS: (n: string) => `https://www.ups.com/track?tracknum=${n}`,
  FEDEX: (n: string) => `https://www.fedex.com/fedextrack/?trknbr=${n}`,
  USPS: (n: string) => `https://tools.usps.com/go/TrackConfirmAction?tLabels=${n}`,
  ROYAL_MAIL: (n: string) => `https://www.royalmail.com/track-your-item#/tracking-results/${n}`,
  POSTNL: (n: string) => `https://jouw.postnl.nl/track-and-trace/${n}`,
} as const satisfies Record<string, (n: string) => string>;
export type Carrier = keyof typeof TRACKING_PAGES;
export const CARRIERS = Object.keys(TRACKING_PAGES) as Carrier[];

export const isCarrier = (value: string): value is Carrier => Object.hasOwn(TRACKING_PAGES, value);

/** 4 to 40 letters, digits and dashes (ASCII only). */
export const TRACKING_NUMBER = /^[A-Za-z0-9-]{4,40}$/;

/** The carrier's tracking page of a parcel (the number URL-encoded); null for an unknown carrier. */
export function trackingUrl(carrier: string, trackingNumber: string): string | null {
  return isCarrier(carrier) ? TRACKING_PAGES[carrier](encodeURIComponent(trackingNumber)) : null;
}

export interface FulfillOrderInput {
  orderId: string;
  carrier: string;
  trackingNumber: string;
}

type NotFound = { __typename: 'OrderNotFoundError'; message: string; orderId: string };
type StatusError = { __typename: 'OrderStatusError'; message: string; status: OrderStatus };
type Invalid = { __typename: 'InvalidInputError'; message: string; field: string };

export type FulfillOrderResult = OrderResult | NotFound | StatusError | Invalid;
export type MarkOrderDeliveredResult = OrderResult | NotFound | StatusError;

const notFound = (orderId: string): NotFound => ({
  __typename: 'OrderNotFoundError',
  message: `No order ${orderId}.`,
  orderId,
});
const statusError = (status: OrderStatus, step: string): StatusError => ({
  __typename: 'OrderStatusError',
  message: `The order is ${status}; ${step}.`,
  status,
});

/**
 * fulfillOrder: admins only. The carrier must be one of CARRIERS exactly and the tracking number
 * match TRACKING_NUMBER (else InvalidInputError, nothing read). A PAID order becomes FULFILLED with
 * one orders.fulfilled outbox row. Repeating the call for a FULFILLED order with the same carrier
 * and number answers the order and writes nothing; another carrier or number, or any status but
 * PAID, is OrderStatusError. Concurrent calls queue on the row lock: one fulfils, the rest are
 * replays or OrderStatusError. An id not in the issued form is not found, without a query.
 */
export async function fulfillOrder(
  deps: OrdersDeps,
  viewer: Viewer | null,
  input: FulfillOrderInput,
): Promise<FulfillOrderResult> {
  requireAdmin(viewer);
  const { orderId, carrier, trackingNumber } = input;
  if (!isCarrier(carrier)) {
    return {
      __typename: 'InvalidInputError',
      message: `carrier must be one of ${CARRIERS.join(', ')}`,
      field: 'carrier',
    };
  }
  if (!TRACKING_NUMBER.test(trackingNumber)) {
    return {
      __typename: 'InvalidInputError',
      message: 'trackingNumber must be 4 to 40 letters, digits and dashes',
      field: 'trackingNumber',
    };
  }
  if (!isOrderId(orderId)) return notFound(orderId);
  let fulfilled = false;
  const result = await deps.repository.transaction(async (tx): Promise<FulfillOrderResult> => {
    const order = await tx.lockOrder(orderId);
    if (!order) return notFound(orderId);
    if (order.status === 'FULFILLED') {
      return order.carrier === carrier && order.trackingNumber === trackingNumber
        ? asResult(order)
        : statusError(order.status, `it was fulfilled with ${order.carrier} ${order.trackingNumber}`);
    }
    if (order.status !== 'PAID') return statusError(order.status, 'only a PAID order can be fulfilled');
    const status = transition(order.status, 'FULFILLED');
    const at = deps.now();
    if (!(await tx.markFulfilled(order.id, carrier, trackingNumber, at)))
      throw new Error(`order ${order.id} changed under its lock`);
    const eventId = randomUUID();
    const payload: OrderFulfilledEvent = {
      eventId,
      orderId: order.id,
      orderNumber: order.number,
      userId: order.userId,
      carrier,
      trackingNumber,
      trackingUrl: trackingUrl(carrier, trackingNumber)!,
      fulfilledAt: at.toISOString(),
    };
    await tx.insertOutbox([{ eventId, kind: 'orders.fulfilled', payload, createdAt: at }]);
    fulfilled = true;
    return asResult({ ...order, status, fulfilledAt: at, carrier, trackingNumber });
  });
  if (fulfilled) deps.log.info({ orderId, carrier }, 'order fulfilled');
  return result;
}

/**
 * markOrderDelivered: admins only. A FULFILLED order becomes DELIVERED with one orders.delivered
 * outbox row; a DELIVERED one is answered as it is (a replay writes nothing); any other status is
 * OrderStatusError. An id not in the issued form is not found, without a query.
 */
export async function markOrderDelivered(
  deps: OrdersDeps,
  viewer: Viewer | null,
  orderId: string,
): Promise<MarkOrderDeliveredResult> {
  requireAdmin(viewer);
  if (!isOrderId(orderId)) return notFound(orderId);
  let delivered = false;
  const result = await deps.repository.transaction(async (tx): Promise<MarkOrderDeliveredResult> => {
    const order = await tx.lockOrder(orderId);
    if (!order) return notFound(orderId);
    if (order.status === 'DELIVERED') return asResult(order);
    if (order.status !== 'FULFILLED')
      return statusError(order.status, 'only a FULFILLED order can be delivered');
    const status = transition(order.status, 'DELIVERED');
    const at = deps.now();
    if (!(await tx.markDelivered(order.id, at))) throw new Error(`order ${order.id} changed under its lock`);
    const eventId = randomUUID();
    const payload: OrderDeliveredEvent = {
      eventId,
      orderId: order.id,
      orderNumber: order.number,
      userId: order.userId,
      deliveredAt: at.toISOString(),
    };
    await tx.insertOutbox([{ eventId, kind: 'orders.delivered', payload, createdAt: at }]);
    delivered = true;
    return asResult({ ...order, status, deliveredAt: at });
  });
  if (delivered) deps.log.info({ orderId }, 'order delivered');
  return result;
}

/** Order.fulfilment: carrier, tracking number and tracking page once fulfilled; null before. */
export function fulfilmentOf(
  order: OrderModel,
): { carrier: string; trackingNumber: string; trackingUrl: string } | null {
  if (order.carrier === null || order.trackingNumber === null) return null;
  const url = trackingUrl(order.carrier, order.trackingNumber);
  return url === null
    ? null
    : { carrier: order.carrier, trackingNumber: order.trackingNumber, trackingUrl: url };
}

/**
 * Order.statusHistory: every status the order entered, with when, oldest first. The state machine
 * never enters a status twice, so each status's timestamp is its entry: PENDING_PAYMENT at
 * createdAt, PAID at paidAt, FULFILLED at fulfilledAt, DELIVERED at deliveredAt, CANCELLED at
 * cancelledAt, REFUNDED when the refund was asked for (refundRequestedAt). The list is in the
 * machine's order (which is also the order of the times).
 */
export function statusHistory(order: OrderModel): { status: OrderStatus; at: Date }[] {
  const steps: [OrderStatus, Date | null][] = [
    ['PENDING_PAYMENT', order.createdAt],
    ['PAID', order.paidAt],
    ['FULFILLED', order.fulfilledAt],
    ['DELIVERED', order.deliveredAt],
    ['CANCELLED', order.cancelledAt],
    ['REFUNDED', order.refundRequestedAt],
  ];
  return steps.flatMap(([status, at]) => (at === null ? [] : [{ status, at }]));
}
