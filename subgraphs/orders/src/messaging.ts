import {
  consumeDurable,
  endpoint,
  PayableRequest,
  PaymentEvent,
  ReleaseReply,
  request,
  ReserveReply,
  serveEndpoints,
  type NatsConnection,
  type NatsNames,
} from '@shop/messaging';
import { stopAll, type Logger, type Stoppable } from '@shop/server';
import type { OrdersService, ProductsClient } from './orders.service';

/** The whole NATS surface of orders: what it serves, what it consumes, the client it calls with. */

export interface MessagingDeps {
  nc: NatsConnection;
  names: NatsNames;
  service: OrdersService;
  log: Logger;
  /** false: do not consume payment events. */
  consumePayments?: boolean;
}

/**
 * Serves orders.payable (queue group `orders`) and consumes payments.succeeded / payments.failed
 * on the durable `ordersOnPayments` (dead letters to orders.deadletter). One Stoppable for both.
 */
export async function startMessaging(deps: MessagingDeps): Promise<Stoppable> {
  const { nc, names, service, log } = deps;
  const running: Stoppable[] = [
    serveEndpoints(
      nc,
      names.services.orders,
      [
        endpoint({
          name: 'payable',
          subject: names.commands.ordersPayable,
          schema: PayableRequest,
          handler: (req) => service.payable(req.orderId, req.userId),
        }),
      ],
      log,
    ),
  ];
  if (deps.consumePayments !== false) {
    try {
      running.push(
        await consumeDurable(nc, {
          stream: names.streams.payments,
          durable: names.consumers.ordersOnPayments,
          filterSubjects: [names.events.paymentsSucceeded, names.events.paymentsFailed],
          schema: PaymentEvent,
          deadLetterSubject: names.events.ordersDeadLetter,
          handler: async (event) => {
            await service.applyPaymentEvent(event);
          },
          log,
        }),
      );
    } catch (error) {
      await running[0]!.stop();
      throw error;
    }
  }
  return { stop: () => stopAll(running) };
}

/** products.reserve / products.release over NATS request-reply, with a timeout. */
export function productsClient(nc: NatsConnection, names: NatsNames, timeoutMs: number): ProductsClient {
  return {
    reserve: (orderId, items) =>
      request(nc, names.commands.productsReserve, { orderId, items }, ReserveReply, timeoutMs),
    async release(orderId) {
      const reply = await request(nc, names.commands.productsRelease, { orderId }, ReleaseReply, timeoutMs);
      if (!reply.ok) throw new Error(`products refused to release ${orderId}: ${reply.message}`);
    },
  };
}
