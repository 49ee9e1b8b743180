import nodemailer from 'nodemailer';
import type { Logger } from '@shop/server';
import type { RecordedSms } from './models';

/**
 * The two channels of a notification. Both receive an idempotency key (the notification id) so
 * that a provider able to de-duplicate can do so; SMTP gets it as a stable Message-ID.
 */

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The notification id; becomes the Message-ID. */
  idempotencyKey: string;
}

export interface EmailSender {
  send(message: EmailMessage): Promise<void>;
  close(): Promise<void>;
}

/** Email over SMTP with nodemailer (Mailpit locally, any SMTP server by SMTP_URL). */
export function smtpEmailSender(smtpUrl: string, from: string): EmailSender {
  const transport = nodemailer.createTransport({
    url: smtpUrl,
    // Pooled: keep a few SMTP connections open instead of a handshake per email.
    pool: true,
    maxConnections: 4,
    // Short timeouts: a stuck SMTP server fails the attempt (and the event is retried) well
    // inside the consumer's 30 s ack wait.
    connectionTimeout: 5_000,
    greetingTimeout: 5_000,
    socketTimeout: 15_000,
  } as nodemailer.TransportOptions);
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'shop.local';
  return {
    async send(message) {
      await transport.sendMail({
        from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        messageId: `<${message.idempotencyKey}@${domain}>`,
      });
    },
    async close() {
      transport.close();
    },
  };
}

export interface SmsMessage {
  to: string;
  body: string;
  /** The notification id. */
  idempotencyKey: string;
}

/** Sends text messages. A production provider (Twilio, MessageBird, ...) implements this. */
export interface SmsProvider {
  send(message: SmsMessage): Promise<void>;
}

/**
 * The development SMS provider: sends nothing, records the message in the KV bucket under
 * `sms.<notificationId>` (so a re-send overwrites rather than duplicates) and logs that it did,
 * without the number or the text.
 */
export function recordingSmsProvider(
  record: (notificationId: string, sms: RecordedSms) => Promise<void>,
  log: Pick<Logger, 'info'>,
): SmsProvider {
  return {
    async send(message) {
      await record(message.idempotencyKey, {
        to: message.to,
        body: message.body,
        recordedAt: new Date().toISOString(),
      });
      log.info({ notificationId: message.idempotencyKey }, 'development SMS provider recorded a message');
    },
  };
}
