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
import type { Logger } from '@shop/observability';
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

/** orders.cancelled gives the order's reservation back (idempotent, so redeliveries are harmless). */
export function consumeOrderCancellations(
  nc: NatsConnection,
  names: NatsNames,
  reservations: ReservationService,
  log: Logger,
) {
  return consumeDurable(nc, {
    stream: names.streams.orders,
    durable: names.consumers.productsOnOrdersCancelled,
    filterSubjects: [names.events.ordersCancelled],
    schema: OrderCancelledEvent,
    deadLetterSubject: names.events.productsDeadLetter,
    log,
    handler: async (event) => {
      const result = await reservations.release(event.orderId);
      log.info(
        { orderId: event.orderId, eventId: event.eventId, released: result.ok && result.released },
        'order cancelled: reservation released',
      );
    },
  });
}

/** orders.paid settles the order's reservation: its units are sold (idempotent as well). */
export function consumeOrderPayments(
  nc: NatsConnection,
  names: NatsNames,
  reservations: ReservationService,
  log: Logger,
) {
  return consumeDurable(nc, {
    stream: names.streams.orders,
    durable: names.consumers.productsOnOrdersPaid,
    filterSubjects: [names.events.ordersPaid],
    schema: OrderPaidEvent,
    deadLetterSubject: names.events.productsDeadLetter,
    log,
    handler: async (event) => {
      const { sold } = await reservations.sell(event.orderId);
      log.info({ orderId: event.orderId, eventId: event.eventId, sold }, 'order paid: reservation sold');
    },
  });
}
