import type { Logger } from '@shop/server';
import type { OrderPaidEvent } from '@shop/messaging';
import type { EmailSender, SmsProvider } from './channels';
import type { ContactLookup } from './contacts';
import {
  confirmationSubject,
  maskEmail,
  maskPhone,
  renderConfirmationEmail,
  renderConfirmationSms,
} from './format';
import { CHANNELS, type Channel, type EventRecord, type NotificationModel } from './models';
import { notificationId, type NotificationRepository } from './notification.repository';

export interface ConfirmationDeps {
  repo: NotificationRepository;
  contacts: ContactLookup;
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
export function createConfirmationService(deps: ConfirmationDeps) {
  const now = () => (deps.now?.() ?? new Date()).toISOString();

  async function deliver(event: OrderPaidEvent, plan: ChannelPlan): Promise<void> {
    const id = notificationId(event.eventId, plan.channel);
    let current = await deps.repo.createNotification({
      id,
      eventId: event.eventId,
      channel: plan.channel,
      kind: 'ORDER_CONFIRMATION',
      recipient: plan.recipient,
      subject: plan.subject,
      status: 'PENDING',
      attempts: 0,
      lastError: null,
      createdAt: now(),
      sentAt: null,
      orderId: event.orderId,
      userId: event.userId,
    });
    if (current.value.status === 'SENT') return;
    current = await deps.repo.updateNotification(current, {
      ...current.value,
      recipient: plan.recipient,
      status: 'PENDING',
      attempts: current.value.attempts + 1,
    });
    try {
      await plan.send(id);
    } catch (error) {
      const reason = messageOf(error);
      await deps.repo.updateNotification(current, { ...current.value, lastError: reason });
      throw new Error(`${plan.channel} to ${plan.recipient} failed: ${reason}`, { cause: error });
    }
    await deps.repo.updateNotification(current, {
      ...current.value,
      status: 'SENT',
      sentAt: now(),
      lastError: null,
    });
  }

  return {
    /** Handles one delivery of an orders.paid event; throws when it must be retried. */
    async handleOrderPaid(event: OrderPaidEvent): Promise<HandleOutcome> {
      const claim = await deps.repo.createEvent({
        eventId: event.eventId,
        orderId: event.orderId,
        orderNumber: event.orderNumber,
        userId: event.userId,
        status: 'PROCESSING',
        createdAt: now(),
        completedAt: null,
        failureReason: null,
      });
      if (claim.record.value.status === 'DONE') {
        deps.log.info(
          { eventId: event.eventId, orderId: event.orderId },
          'duplicate orders.paid event; nothing sent',
        );
        return 'DUPLICATE';
      }

      const contact = await deps.contacts(event.userId);
      const plans: ChannelPlan[] = [];
      const email = renderConfirmationEmail(event, contact.name);
      plans.push({
        channel: 'EMAIL',
        recipient: maskEmail(contact.email),
        subject: email.subject,
        send: (key) => deps.email.send({ to: contact.email, ...email, idempotencyKey: key }),
      });
      const phone = contact.phone;
      if (phone) {
        const body = renderConfirmationSms(event, contact.name);
        plans.push({
          channel: 'SMS',
          recipient: maskPhone(phone),
          subject: confirmationSubject(event),
          send: (key) => deps.sms.send({ to: phone, body, idempotencyKey: key }),
        });
      }

      const results = await Promise.allSettled(plans.map((plan) => deliver(event, plan)));
      const failures = results.flatMap((r) => (r.status === 'rejected' ? [messageOf(r.reason)] : []));
      if (failures.length > 0) throw new Error(failures.join('; '));

      const done: EventRecord = {
        ...claim.record.value,
        status: 'DONE',
        completedAt: now(),
        failureReason: null,
      };
      await deps.repo.updateEvent(claim.record, done);
      deps.log.info(
        { eventId: event.eventId, orderId: event.orderId, channels: plans.map((p) => p.channel) },
        'order confirmation sent',
      );
      return 'SENT';
    },

    /** After the last delivery: the event and every notification of it not yet SENT become FAILED. */
    async markFailed(event: OrderPaidEvent, reason: string): Promise<void> {
      const record = await deps.repo.getEvent(event.eventId);
      if (record && record.value.status !== 'DONE') {
        await deps.repo.updateEvent(record, { ...record.value, status: 'FAILED', failureReason: reason });
      }
      for (const channel of CHANNELS) {
        const current = await deps.repo.getNotification(notificationId(event.eventId, channel));
        if (current && current.value.status !== 'SENT') {
          const failed: NotificationModel = { ...current.value, status: 'FAILED', lastError: reason };
          await deps.repo.updateNotification(current, failed);
        }
      }
      deps.log.warn({ eventId: event.eventId, orderId: event.orderId }, 'order confirmation failed for good');
    },
  };
}

export type ConfirmationService = ReturnType<typeof createConfirmationService>;
