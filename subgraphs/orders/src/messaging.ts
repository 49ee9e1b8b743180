import {
  AddressReply,
  consumeDurable,
  endpoint,
  LookupReply,
  PayableRequest,
  PaymentEvent,
  PaymentRefundedEvent,
  ReleaseReply,
  request,
  ReserveReply,
  serveEndpoints,
  type NatsConnection,
  type NatsNames,
} from '@shop/messaging';
import { stopAll, type Logger, type Stoppable } from '@shop/server';
import { z } from '@shop/config';
import type { CartProducts } from './carts.service';
import type { UsersClient } from './orders.checkout';
import type { OrdersService, ProductsClient } from './orders.service';

/** What the PAYMENTS stream carries: a charge's outcome or a confirmed refund. */
const PaymentsStreamEvent = z.union([PaymentEvent, PaymentRefundedEvent]);

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
 * Serves orders.payable (queue group `orders`) and consumes payments.succeeded, payments.failed and
 * payments.refunded on the durable `ordersOnPayments` (dead letters to orders.deadletter). The three
 * subjects are the whole PAYMENTS stream, so the durable needs no filter (nats-server 2.9 knows only
 * one filter subject); each message is read with its subject's schema. One Stoppable for all.
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
          filterSubjects: [
            names.events.paymentsSucceeded,
            names.events.paymentsFailed,
            names.events.paymentsRefunded,
          ],
          schema: PaymentsStreamEvent,
          deadLetterSubject: names.events.ordersDeadLetter,
          handler: async (event, msg) => {
            // A message of one subject in the other's shape throws: redelivered, then dead-lettered.
            if (msg.subject === names.events.paymentsRefunded)
              await service.applyRefundedEvent(PaymentRefundedEvent.parse(event));
            else await service.applyPaymentEvent(PaymentEvent.parse(event));
          },
          log,
        }),
      );
    } catch (error) {
      await stopAll(running);
      throw error;
    }
  }
  return { stop: () => stopAll(running) };
}

/**
 * products.reserve / products.release / products.lookup over NATS request-reply, with a timeout
 * (lookupTimeoutMs for lookup, default timeoutMs).
 */
export function productsClient(
  nc: NatsConnection,
  names: NatsNames,
  timeoutMs: number,
  lookupTimeoutMs = timeoutMs,
): ProductsClient & CartProducts {
  return {
    lookup: (productIds) =>
      request(nc, names.commands.productsLookup, { productIds }, LookupReply, lookupTimeoutMs),
    reserve: (orderId, items) =>
      request(nc, names.commands.productsReserve, { orderId, items }, ReserveReply, timeoutMs),
    async release(orderId) {
      const reply = await request(nc, names.commands.productsRelease, { orderId }, ReleaseReply, timeoutMs);
      if (!reply.ok) throw new Error(`products refused to release ${orderId}: ${reply.message}`);
    },
  };
}

/**
 * users.address over NATS request-reply, with a timeout: the address, or null when the user has no
 * address with this id (NOT_FOUND, and ids users refuses as malformed). Throws ServiceUnavailableError
 * when users does not answer.
 */
export function usersClient(nc: NatsConnection, names: NatsNames, timeoutMs: number): UsersClient {
  return {
    async address(userId, addressId) {
      const reply = await request(
        nc,
        names.commands.usersAddress,
        { userId, addressId },
        AddressReply,
        timeoutMs,
      );
      return reply.ok && reply.addressId === addressId ? reply.address : null;
    },
  };
}
