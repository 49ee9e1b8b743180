/** The domain's model types: what the repository stores and returns. */

export const CHANNELS = ['EMAIL', 'SMS'] as const;
export type Channel = (typeof CHANNELS)[number];
export const NOTIFICATION_KINDS = [
  'ORDER_CONFIRMATION',
  'REFUND',
  'ORDER_SHIPPED',
  'ORDER_DELIVERED',
] as const;
/**
 * What a notification is about: the confirmation of a paid order (orders.paid), a refund
 * (orders.refunded), the order handed to a carrier (orders.fulfilled) or delivered (orders.delivered).
 */
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];
export type NotificationStatus = 'PENDING' | 'SENT' | 'FAILED';

/** One message to a customer on one channel (key `user.<userId>.<orderId>.<id>`). */
export interface NotificationModel {
  id: string;
  /** The event that caused it (the eventId of the orders.paid, .refunded, .fulfilled or .delivered event). */
  eventId: string;
  channel: Channel;
  /** A stored record without one (written before kinds were told apart) reads as ORDER_CONFIRMATION. */
  kind: NotificationKind;
  /** Masked address: j***@example.com, +49******789. The full address is never stored. */
  recipient: string;
  subject: string;
  status: NotificationStatus;
  /** Send attempts so far. */
  attempts: number;
  /** Why the last attempt failed; null after a success. Never exposed through GraphQL. */
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
  /**
   * While a delivery sends it: until when it holds the channel (no other delivery sends before).
   * Null (or absent, in older records) when nobody is sending. Never exposed through GraphQL.
   */
  sendingUntil?: string | null;
  orderId: string;
  /** The customer (owner of the order); used for authorization. */
  userId: string;
}

/**
 * The handling record of one event (key `event.<eventId>`), created first and only if absent: it is
 * what makes a redelivered or re-published event send nothing again. Kinds sent once per order
 * (ORDER_SHIPPED, ORDER_DELIVERED) are claimed per order instead: `eventId` is then the claim id
 * `<kind>:<orderId>` (claimIdOf in confirmations.service.ts), whatever event of the order came first.
 */
export interface EventRecord {
  /** The event id, or for a kind sent once per order its claim id `<kind>:<orderId>`. */
  eventId: string;
  orderId: string;
  orderNumber: string;
  userId: string;
  /** PROCESSING until every channel is SENT (DONE), or FAILED when the event was dead-lettered. */
  status: 'PROCESSING' | 'DONE' | 'FAILED';
  createdAt: string;
  completedAt: string | null;
  failureReason: string | null;
}

/** An SMS as recorded by the development SMS provider (key `sms.<notificationId>`). */
export interface RecordedSms {
  to: string;
  body: string;
  recordedAt: string;
}

/** A stored value with its KV revision (for compare-and-set updates). */
export interface Versioned<T> {
  value: T;
  revision: number;
}

/** The User entity as this subgraph knows it: a reference. */
export interface UserRef {
  id: string;
}

/** The Order entity as this subgraph knows it: a reference. */
export interface OrderRef {
  id: string;
}
