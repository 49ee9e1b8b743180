import { isOrderId, PayableReply, request, type NatsConnection, type NatsNames } from '@shop/messaging';
import type { OrdersClient } from './payments.service';

/*
 * The payments subgraph's whole NATS surface. It serves no command and consumes no event, so there
 * is no startMessaging here: it calls `orders.payable` (below) and publishes `payments.succeeded` /
 * `payments.failed` through its outbox relay (outbox-relay.ts), which app.ts starts.
 */

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
