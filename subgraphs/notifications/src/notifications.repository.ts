import { createHash } from 'node:crypto';
import type { NatsConnection } from '@shop/messaging';
import { StorageType } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { Channel, EventRecord, NotificationModel, RecordedSms, Versioned } from './models';

/**
 * Every datastore call of the notifications subgraph. One JetStream KV bucket holds:
 *
 *   event.<eventId>                            EventRecord (created only if absent)
 *   user.<userId>.<orderId>.<notificationId>   NotificationModel (the record itself)
 *   notification.<notificationId>              NotificationLocation: where the record is
 *   order.<orderId>                            OrderOwner: whose notifications the order has
 *   sms.<notificationId>                       RecordedSms (development SMS provider)
 *
 * The records live under their owner, so one filtered read of the bucket's stream (one consumer,
 * values included) returns all of a user's notifications, or one order's: lists cost the same
 * number of round trips whatever their length.
 *
 * Ids that are not plain KV key tokens ([A-Za-z0-9_-], at most 64) are stored as `=` + their
 * SHA-256 (base64url), so any id from another service makes a valid, collision-free key.
 */

const PLAIN = /^[A-Za-z0-9_-]{1,64}$/;

/** The KV key token of an id. */
export function keyToken(id: string): string {
  return PLAIN.test(id) ? id : `=${createHash('sha256').update(id).digest('base64url')}`;
}

/** The notification id of an event's channel: deterministic, so a retry finds the same record. */
export function notificationId(eventId: string, channel: Channel): string {
  return createHash('sha256').update(`${eventId}\n${channel}`).digest('base64url').slice(0, 22);
}

/** Where a notification's record is (value of `notification.<id>`); never changes. */
export interface NotificationLocation {
  userId: string;
  orderId: string;
}

const encode = (value: unknown) => JSON.stringify(value);

export interface NotificationRepository {
  /** Creates the event record if absent; returns the stored one and whether this call created it. */
  createEvent(record: EventRecord): Promise<{ created: boolean; record: Versioned<EventRecord> }>;
  getEvent(eventId: string): Promise<Versioned<EventRecord> | null>;
  /** Compare-and-set: fails when the record changed since `current` was read. */
  updateEvent(current: Versioned<EventRecord>, next: EventRecord): Promise<Versioned<EventRecord>>;
  /** Creates the notification (after its index entries) if absent; returns the stored one. */
  createNotification(model: NotificationModel): Promise<Versioned<NotificationModel>>;
  /** One notification by id (two reads: its location, then the record). */
  getNotification(id: string): Promise<Versioned<NotificationModel> | null>;
  /** Compare-and-set: fails when the record changed since `current` was read. */
  updateNotification(
    current: Versioned<NotificationModel>,
    next: NotificationModel,
  ): Promise<Versioned<NotificationModel>>;
  /**
   * Every notification of a user (of one of their orders when `orderId` is given), in one read
   * whatever their number.
   */
  notificationsOfUser(userId: string, orderId?: string): Promise<NotificationModel[]>;
  /** The owner of each order that has notifications (one read per order; absent when none). */
  ownersOfOrders(orderIds: readonly string[]): Promise<Map<string, string>>;
  /** Where each known notification is (one read per id; absent when unknown). */
  locateNotifications(ids: readonly string[]): Promise<Map<string, NotificationLocation>>;
  recordSms(notificationId: string, sms: RecordedSms): Promise<void>;
  getSms(notificationId: string): Promise<RecordedSms | null>;
}

/** Opens (creating if needed) the bucket: file storage, history 1 (only the current value counts). */
export async function openBucket(nc: NatsConnection, bucket: string): Promise<KV> {
  return new Kvm(nc).create(bucket, { history: 1, storage: StorageType.File });
}

export function kvNotificationRepository(kv: KV): NotificationRepository {
  const read = async <T>(key: string): Promise<Versioned<T> | null> => {
    const entry = await kv.get(key);
    if (!entry || entry.operation !== 'PUT') return null;
    return { value: entry.json<T>(), revision: entry.revision };
  };

  const createIfAbsent = async <T>(
    key: string,
    value: T,
  ): Promise<{ created: boolean; record: Versioned<T> }> => {
    try {
      const revision = await kv.create(key, encode(value));
      return { created: true, record: { value, revision } };
    } catch (error) {
      const existing = await read<T>(key);
      if (!existing) throw error;
      return { created: false, record: existing };
    }
  };

  /**
   * The current values of every key under `prefix` in ONE round trip: an ordered push consumer on
   * the bucket's stream filtered on `prefix.>` delivers the values themselves (not just the keys),
   * and the read ends with the message that has nothing pending after it.
   */
  const valuesUnder = async <T>(prefix: string): Promise<T[]> => {
    const latest = new Map<string, T | null>();
    for await (const entry of await kv.history({ key: `${prefix}.>` })) {
      // Stream order: a later entry of a key (with a bucket history > 1) replaces the earlier one.
      latest.set(entry.key, entry.operation === 'PUT' ? entry.json<T>() : null);
    }
    return [...latest.values()].filter((value): value is T => value !== null);
  };

  const eventKey = (eventId: string) => `event.${keyToken(eventId)}`;
  const recordKey = (n: { userId: string; orderId: string; id: string }) =>
    `user.${keyToken(n.userId)}.${keyToken(n.orderId)}.${keyToken(n.id)}`;
  const locationKey = (id: string) => `notification.${keyToken(id)}`;
  const orderKey = (orderId: string) => `order.${keyToken(orderId)}`;

  return {
    createEvent: (record) => createIfAbsent(eventKey(record.eventId), record),
    getEvent: (eventId) => read<EventRecord>(eventKey(eventId)),
    async updateEvent(current, next) {
      const revision = await kv.update(eventKey(next.eventId), encode(next), current.revision);
      return { value: next, revision };
    },
    async createNotification(model) {
      // Index entries first, as idempotent puts on every call: a crash before the record leaves
      // entries that point at nothing (read as unknown), and the retry writes the record.
      const location: NotificationLocation = { userId: model.userId, orderId: model.orderId };
      await kv.put(locationKey(model.id), encode(location));
      await kv.put(orderKey(model.orderId), encode({ userId: model.userId }));
      return (await createIfAbsent(recordKey(model), model)).record;
    },
    async getNotification(id) {
      const location = await read<NotificationLocation>(locationKey(id));
      return location ? read<NotificationModel>(recordKey({ ...location.value, id })) : null;
    },
    async updateNotification(current, next) {
      const revision = await kv.update(recordKey(next), encode(next), current.revision);
      return { value: next, revision };
    },
    notificationsOfUser: (userId, orderId) =>
      valuesUnder<NotificationModel>(
        orderId === undefined ? `user.${keyToken(userId)}` : `user.${keyToken(userId)}.${keyToken(orderId)}`,
      ),
    async ownersOfOrders(orderIds) {
      const owners = new Map<string, string>();
      await Promise.all(
        [...new Set(orderIds)].map(async (orderId) => {
          const owner = await read<{ userId: string }>(orderKey(orderId));
          if (owner) owners.set(orderId, owner.value.userId);
        }),
      );
      return owners;
    },
    async locateNotifications(ids) {
      const locations = new Map<string, NotificationLocation>();
      await Promise.all(
        [...new Set(ids)].map(async (id) => {
          const location = await read<NotificationLocation>(locationKey(id));
          if (location) locations.set(id, location.value);
        }),
      );
      return locations;
    },
    async recordSms(id, sms) {
      await kv.put(`sms.${keyToken(id)}`, encode(sms));
    },
    async getSms(id) {
      return (await read<RecordedSms>(`sms.${keyToken(id)}`))?.value ?? null;
    },
  };
}
