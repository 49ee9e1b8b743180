import type { Logger } from '@shop/server';
import {
  isOrderId,
  isPaymentId,
  isUserId,
  type NotificationSentEvent,
  type OrderDeliveredEvent,
  type OrderFulfilledEvent,
  type OrderPaidEvent,
  type OrderRefundedEvent,
} from '@shop/messaging';
import type { EmailSender, SmsProvider } from './channels';
import {
  maskEmail,
  maskPhone,
  renderConfirmationEmail,
  renderConfirmationSms,
  renderRefundEmail,
  renderRefundSms,
  type RenderedEmail,
} from './format';
import {
  renderDeliveredEmail,
  renderDeliveredSms,
  renderShippedEmail,
  renderShippedSms,
  trackingLink,
} from './format.fulfilment';
import {
  CHANNELS,
  type Channel,
  type EventRecord,
  type NotificationKind,
  type NotificationModel,
} from './models';
import { notificationId, type NotificationsStore } from './notifications.repository';

/** A customer's contact details as users.contact answers them. */
export interface Contact {
  name: string;
  email: string;
  phone: string | null;
}

/** What the service needs of the users subgraph (usersClient in messaging.ts over NATS). */
export interface UsersClient {
  /** The customer's contact details; throws when it cannot (the event is retried later). */
  contact(userId: string): Promise<Contact>;
}

/** Where a notification's final status is announced (sentEventsPublisher in messaging.ts). */
export interface SentEvents {
  /** Publishes notifications.sent; never throws (it retries, then logs), so it cannot hold an ack. */
  publish(event: NotificationSentEvent): Promise<void>;
}

/**
 * The notifications.sent event of a notification in its final status (SENT, or FAILED for good).
 * Its event id, the Nats-Msg-Id, is `<notificationId>:<status>`: a second publication of the same
 * outcome inside JetStream's duplicate window is dropped by the stream.
 */
export function sentEventOf(
  notification: NotificationModel & { status: 'SENT' | 'FAILED' },
  at: string,
): NotificationSentEvent {
  const { id, orderId, userId, channel, kind, status } = notification;
  return { eventId: `${id}:${status}`, notificationId: id, orderId, userId, channel, kind, status, at };
}

export interface ConfirmationsServiceDeps {
  repository: NotificationsStore;
  users: UsersClient;
  email: EmailSender;
  sms: SmsProvider;
  /** notifications.sent after each final status is recorded; none without it (unit tests). */
  events?: SentEvents;
  log: Pick<Logger, 'info' | 'warn'>;
  now?: () => Date;
  /**
   * How long one delivery holds a channel while it sends (default SEND_LEASE_MS). Another delivery
   * of the same event meanwhile (a re-publish with a new message id, a redelivery after the ack
   * wait) does not send: it fails and is retried once the first has finished or the lease lapsed.
   */
  sendLeaseMs?: number;
}

/** Longer than one send can take (SMTP: 5 s connect/greeting + 15 s socket) and the 30 s ack wait. */
export const SEND_LEASE_MS = 45_000;

/** What handling one delivery of an event did. */
export type HandleOutcome = 'SENT' | 'DUPLICATE';

interface ChannelPlan {
  channel: Channel;
  recipient: string;
  subject: string;
  send: (idempotencyKey: string) => Promise<void>;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** What every event this service handles names: itself, the order and its customer. */
export type OrderEventRef = Pick<OrderPaidEvent, 'eventId' | 'orderId' | 'orderNumber' | 'userId'>;

/** The kinds sent at most once per order, whatever events of the order arrive (not once per event). */
const ONCE_PER_ORDER: ReadonlySet<NotificationKind> = new Set(['ORDER_SHIPPED', 'ORDER_DELIVERED']);

/**
 * What a notification is deduplicated by: the event id, or for a kind sent once per order
 * (ORDER_SHIPPED, ORDER_DELIVERED) `<kind>:<orderId>`, so that a second orders.fulfilled of the same
 * order (another event id) sends nothing either. It keys the event record and the notification ids.
 */
export function claimIdOf(kind: NotificationKind, event: Pick<OrderEventRef, 'eventId' | 'orderId'>): string {
  return ONCE_PER_ORDER.has(kind) ? `${kind}:${event.orderId}` : event.eventId;
}

/** How one kind of event becomes messages: its kind, its NATS subject (for logs), the email and the SMS. */
interface Rendering {
  kind: NotificationKind;
  eventName: string;
  email: (name: string) => RenderedEmail;
  sms: (name: string) => string;
  /** The log line once every channel is sent. */
  sent: string;
}

/**
 * Turns orders.paid events into order confirmations, orders.refunded into refund notices,
 * orders.fulfilled into "shipped" and orders.delivered into "delivered" notices, each exactly once
 * per channel as far as our records go (every kind goes through the same steps, with the same event
 * record and notification-id scheme; shipped and delivered are claimed per order, see claimIdOf):
 *
 * 1. the event record is created only if absent; an event already DONE sends nothing (duplicate);
 * 2. the contact comes from users.contact (no answer: throw, the event is retried later);
 * 3. per channel the notification record is created if absent; a channel already SENT is skipped,
 *    one whose send lease another delivery holds fails this delivery (retried later); otherwise the
 *    attempt is counted and the lease taken in one compare-and-set (so two deliveries cannot both
 *    send, at once or one after the other), the message sent and the record marked SENT;
 * 4. when every channel is SENT the event is DONE and the caller acks the message.
 *
 * Each notification's final status (SENT here, FAILED in markFailed after the last delivery) is
 * announced as notifications.sent right after it is recorded (deps.events: retried a few times,
 * then logged, never holding the ack; see docs/reliability.md). A redelivery sends, records and
 * announces only the channels not yet SENT; an event already DONE announces nothing again.
 *
 * A failure of one channel does not stop the others; the event then fails as a whole and is
 * redelivered, resending only the channels not yet SENT. The one remaining window is a crash
 * between a successful send and its SENT mark: once the lease has lapsed that channel is sent again
 * (the email keeps the same Message-ID, the SMS record is overwritten).
 */
export class ConfirmationsService {
  constructor(private readonly deps: ConfirmationsServiceDeps) {}

  private now(): string {
    return this.clock().toISOString();
  }

  private clock(): Date {
    return this.deps.now?.() ?? new Date();
  }

  private async deliver(event: OrderEventRef, kind: NotificationKind, plan: ChannelPlan): Promise<void> {
    const id = notificationId(claimIdOf(kind, event), plan.channel);
    let current = await this.deps.repository.createNotification({
      id,
      eventId: event.eventId,
      channel: plan.channel,
      kind,
      recipient: plan.recipient,
      subject: plan.subject,
      status: 'PENDING',
      attempts: 0,
      lastError: null,
      createdAt: this.now(),
      sentAt: null,
      sendingUntil: null,
      orderId: event.orderId,
      userId: event.userId,
    });
    if (current.value.status === 'SENT') return;
    const now = this.clock();
    const held = current.value.sendingUntil;
    if (held && Date.parse(held) > now.getTime())
      throw new Error(`${plan.channel} of event ${event.eventId} is being sent by another delivery`);
    // Compare-and-set: of two deliveries only one takes the lease; the other fails and retries later.
    current = await this.deps.repository.updateNotification(current, {
      ...current.value,
      recipient: plan.recipient,
      status: 'PENDING',
      attempts: current.value.attempts + 1,
      sendingUntil: new Date(now.getTime() + (this.deps.sendLeaseMs ?? SEND_LEASE_MS)).toISOString(),
    });
    try {
      await plan.send(id);
    } catch (error) {
      const reason = messageOf(error);
      await this.deps.repository.updateNotification(current, {
        ...current.value,
        lastError: reason,
        sendingUntil: null,
      });
      throw new Error(`${plan.channel} to ${plan.recipient} failed: ${reason}`, { cause: error });
    }
    const sentAt = this.now();
    await this.deps.repository.updateNotification(current, {
      ...current.value,
      status: 'SENT',
      sentAt,
      lastError: null,
      sendingUntil: null,
    });
    // After the record: a subscriber that reads the notification on the event finds it SENT.
    await this.deps.events?.publish(sentEventOf({ ...current.value, status: 'SENT' }, sentAt));
  }

  /** Handles one delivery of an orders.paid event; throws when it must be retried. */
  async handleOrderPaid(event: OrderPaidEvent): Promise<HandleOutcome> {
    // The consumer's schema (IssuedOrderPaidEvent) already dead-letters these; nothing is written.
    if (!isOrderId(event.orderId) || !isUserId(event.userId))
      throw new Error('orders.paid names its order or customer in a form that was never issued');
    return this.handle(event, {
      kind: 'ORDER_CONFIRMATION',
      eventName: 'orders.paid',
      email: (name) => renderConfirmationEmail(event, name),
      sms: (name) => renderConfirmationSms(event, name),
      sent: 'order confirmation sent',
    });
  }

  /**
   * Handles one delivery of an orders.refunded event (an admin refund was paid back): the customer
   * gets a refund email (and SMS), recorded as notifications of kind REFUND under the order; throws
   * when it must be retried.
   */
  async handleOrderRefunded(event: OrderRefundedEvent): Promise<HandleOutcome> {
    // The consumer's schema (IssuedOrderRefundedEvent) already dead-letters these; nothing is written.
    if (!isOrderId(event.orderId) || !isUserId(event.userId) || !isPaymentId(event.paymentId))
      throw new Error('orders.refunded names its order, customer or payment in a form that was never issued');
    return this.handle(event, {
      kind: 'REFUND',
      eventName: 'orders.refunded',
      email: (name) => renderRefundEmail(event, name),
      sms: (name) => renderRefundSms(event, name),
      sent: 'refund notice sent',
    });
  }

  /**
   * Handles one delivery of an orders.fulfilled event (an admin handed the order to a carrier): the
   * customer gets the "shipped" email (and SMS) with the carrier, the tracking number and the
   * tracking link, recorded as ORDER_SHIPPED, at most once per order. A tracking URL that is not an
   * https URL (trackingLink) is not linked: it is logged and the message goes without it.
   */
  async handleOrderFulfilled(event: OrderFulfilledEvent): Promise<HandleOutcome> {
    // The consumer's schema (IssuedOrderFulfilledEvent) already dead-letters these; nothing is written.
    if (!isOrderId(event.orderId) || !isUserId(event.userId))
      throw new Error('orders.fulfilled names its order or customer in a form that was never issued');
    let link: string | null | undefined;
    const linkOnce = () => {
      if (link === undefined) {
        link = trackingLink(event.trackingUrl);
        if (link === null)
          this.deps.log.warn(
            { eventId: event.eventId, orderId: event.orderId, carrier: event.carrier },
            'orders.fulfilled has a tracking URL that is not an https URL; the shipped message goes without the link',
          );
      }
      return link;
    };
    return this.handle(event, {
      kind: 'ORDER_SHIPPED',
      eventName: 'orders.fulfilled',
      email: (name) => renderShippedEmail(event, name, linkOnce()),
      sms: (name) => renderShippedSms(event, name, linkOnce()),
      sent: 'shipped notice sent',
    });
  }

  /**
   * Handles one delivery of an orders.delivered event: the customer gets the "delivered" email (and
   * SMS), recorded as ORDER_DELIVERED, at most once per order.
   */
  async handleOrderDelivered(event: OrderDeliveredEvent): Promise<HandleOutcome> {
    // The consumer's schema (IssuedOrderDeliveredEvent) already dead-letters these; nothing is written.
    if (!isOrderId(event.orderId) || !isUserId(event.userId))
      throw new Error('orders.delivered names its order or customer in a form that was never issued');
    return this.handle(event, {
      kind: 'ORDER_DELIVERED',
      eventName: 'orders.delivered',
      email: (name) => renderDeliveredEmail(event, name),
      sms: (name) => renderDeliveredSms(event, name),
      sent: 'delivered notice sent',
    });
  }

  private async handle(event: OrderEventRef, rendering: Rendering): Promise<HandleOutcome> {
    const claim = await this.deps.repository.createEvent({
      eventId: claimIdOf(rendering.kind, event),
      orderId: event.orderId,
      orderNumber: event.orderNumber,
      userId: event.userId,
      status: 'PROCESSING',
      createdAt: this.now(),
      completedAt: null,
      failureReason: null,
    });
    if (claim.record.value.status === 'DONE') {
      this.deps.log.info(
        { eventId: event.eventId, orderId: event.orderId, kind: rendering.kind },
        `duplicate ${rendering.eventName} event; nothing sent`,
      );
      return 'DUPLICATE';
    }

    const contact = await this.deps.users.contact(event.userId);
    const plans: ChannelPlan[] = [];
    const email = rendering.email(contact.name);
    plans.push({
      channel: 'EMAIL',
      recipient: maskEmail(contact.email),
      subject: email.subject,
      send: (key) => this.deps.email.send({ to: contact.email, ...email, idempotencyKey: key }),
    });
    const phone = contact.phone;
    if (phone) {
      const body = rendering.sms(contact.name);
      plans.push({
        channel: 'SMS',
        recipient: maskPhone(phone),
        subject: email.subject,
        send: (key) => this.deps.sms.send({ to: phone, body, idempotencyKey: key }),
      });
    }

    const results = await Promise.allSettled(plans.map((plan) => this.deliver(event, rendering.kind, plan)));
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [messageOf(r.reason)] : []));
    if (failures.length > 0) throw new Error(failures.join('; '));

    const done: EventRecord = {
      ...claim.record.value,
      status: 'DONE',
      completedAt: this.now(),
      failureReason: null,
    };
    await this.deps.repository.updateEvent(claim.record, done);
    this.deps.log.info(
      { eventId: event.eventId, orderId: event.orderId, channels: plans.map((p) => p.channel) },
      rendering.sent,
    );
    return 'SENT';
  }

  /**
   * After the last delivery: the event (the claim of `kind`) and every notification of it not yet
   * SENT become FAILED (each announced as notifications.sent FAILED when it turns FAILED). A claim
   * another event of the order already completed stays DONE.
   */
  async markFailed(
    event: OrderEventRef,
    reason: string,
    kind: NotificationKind = 'ORDER_CONFIRMATION',
  ): Promise<void> {
    if (!isOrderId(event.orderId) || !isUserId(event.userId)) return; // nothing was ever written
    const claimId = claimIdOf(kind, event);
    const record = await this.deps.repository.getEvent(claimId);
    if (record && record.value.status !== 'DONE') {
      await this.deps.repository.updateEvent(record, {
        ...record.value,
        status: 'FAILED',
        failureReason: reason,
      });
    }
    for (const channel of CHANNELS) {
      const current = await this.deps.repository.getNotification(notificationId(claimId, channel));
      if (current && current.value.status !== 'SENT') {
        const failed = { ...current.value, status: 'FAILED' as const, lastError: reason };
        await this.deps.repository.updateNotification(current, failed);
        // Announced when it becomes FAILED, not again on a later dead letter of the same claim.
        if (current.value.status !== 'FAILED')
          await this.deps.events?.publish(sentEventOf(failed, this.now()));
      }
    }
    this.deps.log.warn(
      { eventId: event.eventId, orderId: event.orderId, kind },
      'notification of the event failed for good',
    );
  }
}
