import {
  consumeDurable,
  ContactReply,
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
    schema: OrderPaidEvent,
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
      const reply = await request(nc, names.commands.usersContact, { userId }, ContactReply, timeoutMs);
      if (!reply.ok) throw new Error(`users.contact refused user ${userId}: ${reply.code}: ${reply.message}`);
      return { name: reply.name, email: reply.email, phone: reply.phone };
    },
  };
}
