import {
  consumeDurable,
  isOrderId,
  isPaymentId,
  isUserId,
  PayableReply,
  RefundRequestedEvent,
  request,
  type NatsConnection,
  type NatsNames,
} from '@shop/messaging';
import type { Logger, Stoppable } from '@shop/server';
import type { OrdersClient, PaymentsService } from './payments.service';

/*
 * The payments subgraph's whole NATS surface: it consumes orders.refund_requested (startMessaging
 * below), calls `orders.payable` (ordersClient) and publishes `payments.succeeded` / `payments.failed`
 * / `payments.refunded` through its outbox relay (outbox-relay.ts), which app.ts starts.
 */

export interface MessagingDeps {
  nc: NatsConnection;
  names: NatsNames;
  service: PaymentsService;
  /** Deliveries of a refund request before it goes to payments.deadletter (REFUND_MAX_DELIVER). */
  maxDeliver: number;
  /** Redelivery delays while the processor is down, in ms (REFUND_BACKOFF_MS). */
  backoffMs: number[];
  log: Logger;
}

/**
 * orders.refund_requested as payments takes it: the shared contract with the order, the customer and
 * the payment in the one form orders, users and payments issue. Any other form is malformed:
 * consumeDurable dead-letters it at once, before a Redis key or the processor sees it.
 */
export const IssuedRefundRequestedEvent = RefundRequestedEvent.refine((e) => isPaymentId(e.paymentId), {
  message: 'paymentId is not a payment id as payments issues it',
  path: ['paymentId'],
})
  .refine((e) => isOrderId(e.orderId), {
    message: 'orderId is not an order id as orders issues it',
    path: ['orderId'],
  })
  .refine((e) => isUserId(e.userId), {
    message: 'userId is not a user id as users issues it',
    path: ['userId'],
  });

/**
 * Consumes orders.refund_requested (durable consumer on the ORDERS stream). Each request is refunded
 * at most once per (payment, reason) by the service, which also refuses one whose payment is not of
 * that order and user, or for more than is left (logged, acked: no retry helps). A processor that is
 * down throws, so consumeDurable naks with backoff and the request comes back.
 */
export async function startMessaging(deps: MessagingDeps): Promise<Stoppable> {
  const { names, service, log } = deps;
  return consumeDurable(deps.nc, {
    stream: names.streams.orders,
    durable: names.consumers.paymentsOnRefundRequests,
    filterSubjects: [names.events.ordersRefundRequested],
    schema: IssuedRefundRequestedEvent,
    maxDeliver: deps.maxDeliver,
    backoffMs: deps.backoffMs,
    deadLetterSubject: names.events.paymentsDeadLetter,
    handler: async (event) => {
      const outcome = await service.refund({
        paymentId: event.paymentId,
        orderId: event.orderId,
        userId: event.userId,
        amount: event.amount,
        reason: event.reason,
      });
      log.info(
        { eventId: event.eventId, paymentId: event.paymentId, reason: event.reason, outcome: outcome.kind },
        'refund request handled',
      );
    },
    log,
  });
}

/**
 * `orders.payable` over NATS request-reply (answered by orders/src/messaging.ts). A timeout, no
 * responder or a failed handler is ServiceUnavailableError, as request() throws it.
 */
export function ordersClient(nc: NatsConnection, names: NatsNames, timeoutMs: number): OrdersClient {
  return {
    payable: (orderId, userId) => {
      // The service asks only about issued ids; a variant would make orders' lookup the judge.
      if (!isOrderId(orderId)) throw new Error('a non-canonical order id reached ordersClient');
      return request(nc, names.commands.ordersPayable, { orderId, userId }, PayableReply, timeoutMs);
    },
  };
}
