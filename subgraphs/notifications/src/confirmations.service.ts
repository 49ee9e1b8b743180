import type { Logger } from '@shop/server';
import { isOrderId, isUserId, type OrderPaidEvent } from '@shop/messaging';
import type { EmailSender, SmsProvider } from './channels';
import {
  confirmationSubject,
  maskEmail,
  maskPhone,
  renderConfirmationEmail,
  renderConfirmationSms,
} from './format';
import { CHANNELS, type Channel, type EventRecord, type NotificationModel } from './models';
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

export interface ConfirmationsServiceDeps {
  repository: NotificationsStore;
  users: UsersClient;
  email: EmailSender;
  sms: SmsProvider;
  log: Pick<Logger, 'info' | 'warn'>;
  now?: () => Date;
}

/** What handling one delivery of an event did. */
export type HandleOutcome = 'SENT' | 'DUPLICATE';

interface ChannelPlan {
  channel: Channel;
  recipient: string;
  subject: string;
  send: (idempotencyKey: string) => Promise<void>;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Turns orders.paid events into order confirmations, each exactly once per channel as far as our
 * records go:
 *
 * 1. the event record is created only if absent; an event already DONE sends nothing (duplicate);
 * 2. the contact comes from users.contact (no answer: throw, the event is retried later);
 * 3. per channel the notification record is created if absent; a channel already SENT is skipped,
 *    otherwise the attempt is counted (compare-and-set, so two deliveries cannot both send), the
 *    message sent and the record marked SENT;
 * 4. when every channel is SENT the event is DONE and the caller acks the message.
 *
 * A failure of one channel does not stop the others; the event then fails as a whole and is
 * redelivered, resending only the channels not yet SENT. The one remaining window is a crash
 * between a successful send and its SENT mark: that channel is sent again (the email keeps the same
 * Message-ID, the SMS record is overwritten).
 */
export class ConfirmationsService {
  constructor(private readonly deps: ConfirmationsServiceDeps) {}

  private now(): string {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }

  private async deliver(event: OrderPaidEvent, plan: ChannelPlan): Promise<void> {
    const id = notificationId(event.eventId, plan.channel);
    let current = await this.deps.repository.createNotification({
      id,
      eventId: event.eventId,
      channel: plan.channel,
      kind: 'ORDER_CONFIRMATION',
      recipient: plan.recipient,
      subject: plan.subject,
      status: 'PENDING',
      attempts: 0,
      lastError: null,
      createdAt: this.now(),
      sentAt: null,
      orderId: event.orderId,
      userId: event.userId,
    });
    if (current.value.status === 'SENT') return;
    current = await this.deps.repository.updateNotification(current, {
      ...current.value,
      recipient: plan.recipient,
      status: 'PENDING',
      attempts: current.value.attempts + 1,
    });
    try {
      await plan.send(id);
    } catch (error) {
      const reason = messageOf(error);
      await this.deps.repository.updateNotification(current, { ...current.value, lastError: reason });
      throw new Error(`${plan.channel} to ${plan.recipient} failed: ${reason}`, { cause: error });
    }
    await this.deps.repository.updateNotification(current, {
      ...current.value,
      status: 'SENT',
      sentAt: this.now(),
      lastError: null,
    });
  }

  /** Handles one delivery of an orders.paid event; throws when it must be retried. */
  async handleOrderPaid(event: OrderPaidEvent): Promise<HandleOutcome> {
    // The consumer's schema (IssuedOrderPaidEvent) already dead-letters these; nothing is written.
    if (!isOrderId(event.orderId) || !isUserId(event.userId))
      throw new Error('orders.paid names its order or customer in a form that was never issued');
    const claim = await this.deps.repository.createEvent({
      eventId: event.eventId,
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
        { eventId: event.eventId, orderId: event.orderId },
        'duplicate orders.paid event; nothing sent',
      );
      return 'DUPLICATE';
    }

    const contact = await this.deps.users.contact(event.userId);
    const plans: ChannelPlan[] = [];
    const email = renderConfirmationEmail(event, contact.name);
    plans.push({
      channel: 'EMAIL',
      recipient: maskEmail(contact.email),
      subject: email.subject,
      send: (key) => this.deps.email.send({ to: contact.email, ...email, idempotencyKey: key }),
    });
    const phone = contact.phone;
    if (phone) {
      const body = renderConfirmationSms(event, contact.name);
      plans.push({
        channel: 'SMS',
        recipient: maskPhone(phone),
        subject: confirmationSubject(event),
        send: (key) => this.deps.sms.send({ to: phone, body, idempotencyKey: key }),
      });
    }

    const results = await Promise.allSettled(plans.map((plan) => this.deliver(event, plan)));
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
      'order confirmation sent',
    );
    return 'SENT';
  }

  /** After the last delivery: the event and every notification of it not yet SENT become FAILED. */
  async markFailed(event: OrderPaidEvent, reason: string): Promise<void> {
    if (!isOrderId(event.orderId) || !isUserId(event.userId)) return; // nothing was ever written
    const record = await this.deps.repository.getEvent(event.eventId);
    if (record && record.value.status !== 'DONE') {
      await this.deps.repository.updateEvent(record, {
        ...record.value,
        status: 'FAILED',
        failureReason: reason,
      });
    }
    for (const channel of CHANNELS) {
      const current = await this.deps.repository.getNotification(notificationId(event.eventId, channel));
      if (current && current.value.status !== 'SENT') {
        const failed: NotificationModel = { ...current.value, status: 'FAILED', lastError: reason };
        await this.deps.repository.updateNotification(current, failed);
      }
    }
    this.deps.log.warn(
      { eventId: event.eventId, orderId: event.orderId },
      'order confirmation failed for good',
    );
  }
}
