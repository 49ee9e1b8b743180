import {
  consumeDurable,
  endpoint,
  OrderCancelledEvent,
  OrderPaidEvent,
  ReleaseRequest,
  ReserveRequest,
  serveEndpoints,
  type NatsConnection,
  type NatsNames,
} from '@shop/messaging';
import type { Logger } from '@shop/server';
import type { ReservationService } from './reservation.service';

/** products.reserve and products.release as request-reply endpoints (queue group per service). */
export function serveReservationEndpoints(
  nc: NatsConnection,
  names: NatsNames,
  reservations: ReservationService,
  log: Logger,
) {
  return serveEndpoints(
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
    ],
    log,
  );
}

/**
 * The order events products follows, each on its own durable consumer of the ORDERS stream (dead
 * letters to products.deadletter); both handlers are idempotent, so redeliveries are harmless:
 * orders.cancelled gives the order's reservation back, orders.paid settles it as sold.
 */
export async function consumeOrderEvents(
  nc: NatsConnection,
  names: NatsNames,
  reservations: ReservationService,
  log: Logger,
): Promise<{ stop(): Promise<void> }> {
  const common = { stream: names.streams.orders, deadLetterSubject: names.events.productsDeadLetter, log };
  const cancelled = await consumeDurable(nc, {
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
  });
  const paid = await consumeDurable(nc, {
    ...common,
    durable: names.consumers.productsOnOrdersPaid,
    filterSubjects: [names.events.ordersPaid],
    schema: OrderPaidEvent,
    handler: async (event) => {
      const { sold } = await reservations.sell(event.orderId);
      log.info({ orderId: event.orderId, eventId: event.eventId, sold }, 'order paid: reservation sold');
    },
  });
  return {
    async stop() {
      await cancelled.stop();
      await paid.stop();
    },
  };
}
