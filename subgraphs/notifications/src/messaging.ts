import { setTimeout as sleep } from 'node:timers/promises';
import {
  consumeDurable,
  ContactReply,
  isOrderId,
  isPaymentId,
  isUserId,
  OrderDeliveredEvent,
  OrderFulfilledEvent,
  OrderPaidEvent,
  OrderRefundedEvent,
  PasswordResetRequest,
  endpoint,
  jetstream,
  serveEndpoints,
  publishEvent,
  request,
  type NatsConnection,
  type NatsNames,
} from '@shop/messaging';
import { stopAll, type Logger, type Stoppable } from '@shop/server';
import type { EmailSender } from './channels';
import type { ConfirmationsService, SentEvents, UsersClient } from './confirmations.service';
import { PasswordResetMailer } from './password-reset';

export interface MessagingDeps {
  nc: NatsConnection;
  names: NatsNames;
  confirmations: ConfirmationsService;
  /** Deliveries of an event before it goes to the dead-letter subject. */
  maxDeliver: number;
  /** Redelivery delays after a failure, in ms; the last one repeats. */
  backoffMs: number[];
  /** The SMTP channel, for notifications.password_reset (password-reset.ts). */
  email: EmailSender;
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
 * orders.refunded as this consumer takes it: the shared contract with the order, the customer and
 * the payment in the one form orders, users and payments issue. Any other form is malformed and
 * dead-lettered on its first delivery with nothing claimed, asked or sent.
 */
export const IssuedOrderRefundedEvent = OrderRefundedEvent.refine((event) => isOrderId(event.orderId), {
  message: 'orderId is not an order id as orders issues it',
  path: ['orderId'],
})
  .refine((event) => isUserId(event.userId), {
    message: 'userId is not a user id as users issues it',
    path: ['userId'],
  })
  .refine((event) => isPaymentId(event.paymentId), {
    message: 'paymentId is not a payment id as payments issues it',
    path: ['paymentId'],
  });

/**
 * orders.fulfilled as this consumer takes it: the shared contract with the order and the customer in
 * the one form orders and users issue; any other form is dead-lettered on its first delivery with
 * nothing claimed, asked or sent. (The tracking URL is checked when the message is rendered: one that
 * is not https is left out of the message, not a reason to drop the notice.)
 */
export const IssuedOrderFulfilledEvent = OrderFulfilledEvent.refine((event) => isOrderId(event.orderId), {
  message: 'orderId is not an order id as orders issues it',
  path: ['orderId'],
}).refine((event) => isUserId(event.userId), {
  message: 'userId is not a user id as users issues it',
  path: ['userId'],
});

/** orders.delivered as this consumer takes it: like IssuedOrderFulfilledEvent. */
export const IssuedOrderDeliveredEvent = OrderDeliveredEvent.refine((event) => isOrderId(event.orderId), {
  message: 'orderId is not an order id as orders issues it',
  path: ['orderId'],
}).refine((event) => isUserId(event.userId), {
  message: 'userId is not a user id as users issues it',
  path: ['userId'],
});

/**
 * The whole NATS surface of notifications: it serves notifications.password_reset (request-reply:
 * the password-reset email of password-reset.ts, sent at once and kept nowhere); it consumes orders.paid (order
 * confirmations), orders.refunded (refund notices), orders.fulfilled ("shipped") and
 * orders.delivered ("delivered"), each through its own durable consumer on the ORDERS stream with
 * dead letters to notifications.deadletter, and calls users.contact through usersClient below.
 * It publishes notifications.sent (NOTIFICATIONS stream) through sentEventsPublisher below.
 */
export async function startMessaging(deps: MessagingDeps): Promise<Stoppable> {
  const { names, confirmations } = deps;
  const common = {
    stream: names.streams.orders,
    maxDeliver: deps.maxDeliver,
    backoffMs: deps.backoffMs,
    deadLetterSubject: names.events.notificationsDeadLetter,
    log: deps.log,
  };
  const running: Stoppable[] = [];
  try {
    const passwordResets = new PasswordResetMailer({ email: deps.email, log: deps.log });
    running.push(
      serveEndpoints(
        deps.nc,
        names.services.notifications,
        [
          endpoint({
            name: 'password-reset',
            subject: names.commands.notificationsPasswordReset,
            schema: PasswordResetRequest,
            handler: (request) => passwordResets.send(request),
          }),
        ],
        deps.log,
      ),
    );
    running.push(
      await consumeDurable(deps.nc, {
        ...common,
        durable: names.consumers.notificationsOnOrdersPaid,
        filterSubjects: [names.events.ordersPaid],
        schema: IssuedOrderPaidEvent,
        handler: async (event) => {
          await confirmations.handleOrderPaid(event);
        },
        onDeadLetter: async (event, reason) => {
          if (event) await confirmations.markFailed(event, reason);
        },
      }),
    );
    running.push(
      await consumeDurable(deps.nc, {
        ...common,
        durable: names.consumers.notificationsOnOrdersRefunded,
        filterSubjects: [names.events.ordersRefunded],
        schema: IssuedOrderRefundedEvent,
        handler: async (event) => {
          await confirmations.handleOrderRefunded(event);
        },
        onDeadLetter: async (event, reason) => {
          if (event) await confirmations.markFailed(event, reason, 'REFUND');
        },
      }),
    );
    running.push(
      await consumeDurable(deps.nc, {
        ...common,
        durable: names.consumers.notificationsOnOrdersFulfilled,
        filterSubjects: [names.events.ordersFulfilled],
        schema: IssuedOrderFulfilledEvent,
        handler: async (event) => {
          await confirmations.handleOrderFulfilled(event);
        },
        onDeadLetter: async (event, reason) => {
          if (event) await confirmations.markFailed(event, reason, 'ORDER_SHIPPED');
        },
      }),
    );
    running.push(
      await consumeDurable(deps.nc, {
        ...common,
        durable: names.consumers.notificationsOnOrdersDelivered,
        filterSubjects: [names.events.ordersDelivered],
        schema: IssuedOrderDeliveredEvent,
        handler: async (event) => {
          await confirmations.handleOrderDelivered(event);
        },
        onDeadLetter: async (event, reason) => {
          if (event) await confirmations.markFailed(event, reason, 'ORDER_DELIVERED');
        },
      }),
    );
  } catch (error) {
    await stopAll(running);
    throw error;
  }
  return { stop: () => stopAll(running) };
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

export interface SentEventsOptions {
  /** Publish attempts per event (default 4). */
  attempts?: number;
  /** Waits between attempts in ms; the last one repeats (default 100, 400, 1600). */
  backoffMs?: number[];
  /** How long one attempt waits for the stream's PubAck (default 2000). */
  timeoutMs?: number;
}

/**
 * notifications.sent on the NOTIFICATIONS stream, with Nats-Msg-Id = the event id
 * (`<notificationId>:<status>`), so a second publication of one outcome inside the duplicate window
 * is dropped by JetStream. Called after the status is recorded in KV; a publish that fails is
 * retried `attempts` times with backoff (bounded: 4 x 2 s + 2.1 s by default, well inside the
 * consumer's 30 s ack wait), then logged and given up: the event is best-effort, the KV record is
 * the truth (docs/reliability.md). It never throws, so it never holds the consumer's ack.
 */
export function sentEventsPublisher(
  nc: NatsConnection,
  names: NatsNames,
  log: Pick<Logger, 'warn' | 'error'>,
  options: SentEventsOptions = {},
): SentEvents {
  const attempts = Math.max(1, options.attempts ?? 4);
  const backoff = options.backoffMs ?? [100, 400, 1600];
  const js = jetstream(nc, { timeout: options.timeoutMs ?? 2000 });
  return {
    async publish(event) {
      const about = { notificationId: event.notificationId, orderId: event.orderId, status: event.status };
      for (let attempt = 1; ; attempt += 1) {
        try {
          await publishEvent(js, names.events.notificationsSent, event.eventId, event);
          return;
        } catch (error) {
          if (attempt >= attempts) {
            log.error(
              { err: error, ...about, attempts },
              'could not publish notifications.sent; live subscribers miss it (the record is stored)',
            );
            return;
          }
          log.warn({ err: error, ...about, attempt }, 'publishing notifications.sent failed; retrying');
          await sleep(backoff[Math.min(attempt - 1, backoff.length - 1)] ?? 1000);
        }
      }
    },
  };
}
