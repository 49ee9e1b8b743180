/**
 * What the tests of an order's life after payment share (fulfilment, admin list, refunds): the
 * mutations, a paid order, and the order's events as the ORDERS stream holds them.
 */
import type { Viewer } from '@shop/auth';
import { waitFor } from '@shop/testing';
import { admin, paymentEvent, placeFor, streamMessages, type Harness } from './helpers';

export const AFTER_PAYMENT_FIELDS = `
  id number status createdAt paidAt cancelledAt refundedAt fulfilledAt deliveredAt
  fulfilment { carrier trackingNumber trackingUrl }
  statusHistory { status at }
`;

export const FULFILL = `mutation Fulfil($input: FulfillOrderInput!) {
  fulfillOrder(input: $input) {
    __typename
    ... on Order { ${AFTER_PAYMENT_FIELDS} }
    ... on Error { message }
    ... on OrderNotFoundError { orderId }
    ... on OrderStatusError { status }
    ... on InvalidInputError { field }
  }
}`;

export const DELIVER = `mutation Deliver($id: ID!) {
  markOrderDelivered(id: $id) {
    __typename
    ... on Order { ${AFTER_PAYMENT_FIELDS} }
    ... on Error { message }
    ... on OrderNotFoundError { orderId }
    ... on OrderStatusError { status }
  }
}`;

export const REFUND = `mutation Refund($id: ID!) {
  refundOrder(id: $id) {
    __typename
    ... on Order { ${AFTER_PAYMENT_FIELDS} }
    ... on Error { message }
    ... on OrderNotFoundError { orderId }
    ... on OrderNotRefundableError { status }
  }
}`;

/** An order as AFTER_PAYMENT_FIELDS selects it (or an error, told apart by __typename). */
export type AfterPayment = Record<string, unknown> & {
  __typename: string;
  id?: string;
  status?: string;
  fulfilledAt?: string | null;
  deliveredAt?: string | null;
  fulfilment?: { carrier: string; trackingNumber: string; trackingUrl: string } | null;
  statusHistory?: { status: string; at: string }[];
};

/** Mutations of one harness as one viewer (an admin by default), answering the result union. */
export function afterPayment(h: Harness) {
  const run = async (query: string, field: string, variables: Record<string, unknown>, viewer: Viewer) => {
    const res = await (await h.as(viewer))<Record<string, AfterPayment>>(query, variables);
    if (res.errors) throw new Error(`${field}: ${JSON.stringify(res.errors)}`);
    return res.data![field]!;
  };
  return {
    fulfil: (orderId: string, carrier: string, trackingNumber: string, viewer: Viewer = admin()) =>
      run(FULFILL, 'fulfillOrder', { input: { orderId, carrier, trackingNumber } }, viewer),
    deliver: (id: string, viewer: Viewer = admin()) => run(DELIVER, 'markOrderDelivered', { id }, viewer),
    refund: (id: string, viewer: Viewer = admin()) => run(REFUND, 'refundOrder', { id }, viewer),
    /** The error code of a request that is refused before GraphQL data (FORBIDDEN, ...). */
    async codeOf(query: string, variables: Record<string, unknown>, viewer: Viewer | null) {
      const res = await (await h.as(viewer))(query, variables);
      return res.errors?.[0]?.extensions?.code;
    },
  };
}

/** Places an order of `items` and applies a successful payment of its total: a PAID order. */
export async function paidOrder(h: Harness, items: { productId: string; quantity: number }[]) {
  const { user, order } = await placeFor(h, items);
  const event = paymentEvent(order, user.id);
  expect(await h.app.service.applyPaymentEvent(event)).toBe('PAID');
  return { user, order, event };
}

/** The events of one order on a subject of the ORDERS stream, once the outbox has no unsent row. */
export async function orderEvents(h: Harness, subject: string, orderId: string) {
  await waitFor(async () => (await h.app.repository.countUnsentOutbox()) === 0 || null);
  return (await streamMessages(h.nc, h.names.streams.orders, subject))
    .map((m) => m.data)
    .filter((d) => d.orderId === orderId);
}

/** The order's row as MySQL holds it (status and the columns of fulfilment and refunds). */
export async function orderRow(h: Harness, id: string) {
  const [row] = await h.app.db.rows<{
    status: string;
    carrier: string | null;
    tracking_number: string | null;
    fulfilled_at: Date | null;
    delivered_at: Date | null;
    refund_requested_at: Date | null;
    refunded_at: Date | null;
  }>(
    `SELECT status, carrier, tracking_number, fulfilled_at, delivered_at, refund_requested_at, refunded_at
     FROM orders WHERE id = ?`,
    [id],
  );
  return row!;
}
