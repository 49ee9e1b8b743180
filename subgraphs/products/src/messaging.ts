import {
  consumeDurable,
  endpoint,
  LookupRequest,
  OrderCancelledEvent,
  OrderPaidEvent,
  ReleaseRequest,
  ReserveRequest,
  serveEndpoints,
  type NatsConnection,
  type NatsNames,
} from '@shop/messaging';
import type { Logger, Stoppable } from '@shop/server';
import type { ReservationsService } from './reservations.service';

export interface MessagingDeps {
  nc: NatsConnection;
  names: NatsNames;
  reservations: ReservationsService;
  log: Logger;
}

/**
 * The products subgraph's whole NATS surface (it calls no other service's commands):
 * - serves products.reserve, products.release and products.lookup (live prices and availability,
 *   reserving nothing) as request-reply endpoints (queue group per service);
 * - follows two order events, each on its own durable consumer of the ORDERS stream (dead letters to
 *   products.deadletter). Both handlers are idempotent, so redeliveries are harmless:
 *   orders.cancelled gives the order's reservation back, orders.paid settles it as sold.
 * stop() stops the endpoints first, then the consumers.
 */
export async function startMessaging({ nc, names, reservations, log }: MessagingDeps): Promise<Stoppable> {
  const endpoints = serveEndpoints(
    nc,
    names.services.products,
    [
      endpoint({
        name: 'reserve',
        subject: names.commands.productsReserve,
        schema: ReserveRequest,
        handler: (req) => reservations.reserve(req),
      }),
      endpoint({
        name: 'release',
        subject: names.commands.productsRelease,
        schema: ReleaseRequest,
        handler: (req) => reservations.release(req.orderId),
      }),
      endpoint({
        name: 'lookup',
        subject: names.commands.productsLookup,
        schema: LookupRequest,
        handler: (req) => reservations.lookup(req),
      }),
    ],
    log,
  );
  const consumers: Stoppable[] = [];
  try {
    const common = { stream: names.streams.orders, deadLetterSubject: names.events.productsDeadLetter, log };
    consumers.push(
      await consumeDurable(nc, {
        ...common,
        durable: names.consumers.productsOnOrdersCancelled,
        filterSubjects: [names.events.ordersCancelled],
        schema: OrderCancelledEvent,
        handler: async (event) => {
          const result = await reservations.release(event.orderId);
          log.info(
            { orderId: event.orderId, eventId: event.eventId, released: result.ok && result.released },
            'order cancelled: reservation released',
          );
        },
      }),
    );
    consumers.push(
      await consumeDurable(nc, {
        ...common,
        durable: names.consumers.productsOnOrdersPaid,
        filterSubjects: [names.events.ordersPaid],
        schema: OrderPaidEvent,
        handler: async (event) => {
          const { sold } = await reservations.sell(event.orderId);
          log.info({ orderId: event.orderId, eventId: event.eventId, sold }, 'order paid: reservation sold');
        },
      }),
    );
  } catch (error) {
    await endpoints.stop();
    for (const consumer of consumers) await consumer.stop();
    throw error;
  }
  return {
    async stop() {
      await endpoints.stop();
      for (const consumer of consumers) await consumer.stop();
    },
  };
}
