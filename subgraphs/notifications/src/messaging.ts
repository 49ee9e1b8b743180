import {
  consumeDurable,
  ContactReply,
  isOrderId,
  isUserId,
  OrderPaidEvent,
  request,
  type NatsConnection,
  type NatsNames,
} from '@shop/messaging';
import type { Logger, Stoppable } from '@shop/server';
import type { ConfirmationsService, UsersClient } from './confirmations.service';

export interface MessagingDeps {
  nc: NatsConnection;
  names: NatsNames;
  confirmations: ConfirmationsService;
  /** Deliveries of an event before it goes to the dead-letter subject. */
  maxDeliver: number;
  /** Redelivery delays after a failure, in ms; the last one repeats. */
  backoffMs: number[];
  log: Logger;
}

/**
 * orders.paid as this consumer takes it: the shared contract, with the order and the customer in
 * the one form orders and users issue. An event naming them otherwise (another letter case, braces)
 * is malformed: consumeDurable dead-letters it at once, before anything is claimed, looked up
 * (users.contact) or sent. The contract itself stays as it is for every other consumer.
 */
export const IssuedOrderPaidEvent = OrderPaidEvent.refine((event) => isOrderId(event.orderId), {
  message: 'orderId is not an order id as orders issues it',
  path: ['orderId'],
}).refine((event) => isUserId(event.userId), {
  message: 'userId is not a user id as users issues it',
  path: ['userId'],
});

/**
 * The whole NATS surface of notifications: it serves no command; it consumes orders.paid (durable
 * consumer on the ORDERS stream, dead letters to notifications.deadletter) and calls users.contact
 * through usersClient below.
 */
export async function startMessaging(deps: MessagingDeps): Promise<Stoppable> {
  const { names, confirmations } = deps;
  return consumeDurable(deps.nc, {
    stream: names.streams.orders,
    durable: names.consumers.notificationsOnOrdersPaid,
    filterSubjects: [names.events.ordersPaid],
    schema: IssuedOrderPaidEvent,
    maxDeliver: deps.maxDeliver,
    backoffMs: deps.backoffMs,
    deadLetterSubject: names.events.notificationsDeadLetter,
    handler: async (event) => {
      await confirmations.handleOrderPaid(event);
    },
    onDeadLetter: async (event, reason) => {
      if (event) await confirmations.markFailed(event, reason);
    },
    log: deps.log,
  });
}

/** users.contact over NATS request-reply. No answer in time is a ServiceUnavailableError. */
export function usersClient(nc: NatsConnection, names: NatsNames, timeoutMs: number): UsersClient {
  return {
    async contact(userId) {
      // Never a NATS payload with another form of a user id (the consumer's schema refuses it first).
      if (!isUserId(userId)) throw new Error(`not a user id: ${JSON.stringify(userId)}`);
      const reply = await request(nc, names.commands.usersContact, { userId }, ContactReply, timeoutMs);
      if (!reply.ok) throw new Error(`users.contact refused user ${userId}: ${reply.code}: ${reply.message}`);
      return { name: reply.name, email: reply.email, phone: reply.phone };
    },
  };
}
