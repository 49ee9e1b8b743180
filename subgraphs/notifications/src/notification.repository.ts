import { createHash } from 'node:crypto';
import type { NatsConnection } from '@shop/messaging';
import { StorageType } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { Channel, EventRecord, NotificationModel, RecordedSms, Versioned } from './models';

/**
 * Every datastore call of the notifications subgraph. One JetStream KV bucket holds:
 *
 *   event.<eventId>                        EventRecord (created only if absent)
 *   notification.<id>                      NotificationModel
 *   user.<userId>.<notificationId>         index entry (value: the notification id)
 *   order.<orderId>.<notificationId>       index entry
 *   sms.<notificationId>                   RecordedSms (development SMS provider)
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

const encode = (value: unknown) => JSON.stringify(value);

export interface NotificationRepository {
  /** Creates the event record if absent; returns the stored one and whether this call created it. */
  createEvent(record: EventRecord): Promise<{ created: boolean; record: Versioned<EventRecord> }>;
  getEvent(eventId: string): Promise<Versioned<EventRecord> | null>;
  /** Compare-and-set: fails when the record changed since `current` was read. */
  updateEvent(current: Versioned<EventRecord>, next: EventRecord): Promise<Versioned<EventRecord>>;
  /** Creates the notification (and its index entries) if absent; returns the stored one. */
  createNotification(model: NotificationModel): Promise<Versioned<NotificationModel>>;
  getNotification(id: string): Promise<Versioned<NotificationModel> | null>;
  getNotifications(ids: readonly string[]): Promise<(NotificationModel | null)[]>;
  /** Compare-and-set: fails when the record changed since `current` was read. */
  updateNotification(
    current: Versioned<NotificationModel>,
    next: NotificationModel,
  ): Promise<Versioned<NotificationModel>>;
  notificationIdsOfUser(userId: string): Promise<string[]>;
  notificationIdsOfOrder(orderId: string): Promise<string[]>;
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

  const idsUnder = async (prefix: string): Promise<string[]> => {
    const ids: string[] = [];
    for await (const key of await kv.keys(`${prefix}.*`)) {
      const id = key.slice(prefix.length + 1);
      if (id) ids.push(id);
    }
    return ids;
  };

  const eventKey = (eventId: string) => `event.${keyToken(eventId)}`;
  const notificationKey = (id: string) => `notification.${keyToken(id)}`;

  return {
    createEvent: (record) => createIfAbsent(eventKey(record.eventId), record),
    getEvent: (eventId) => read<EventRecord>(eventKey(eventId)),
    async updateEvent(current, next) {
      const revision = await kv.update(eventKey(next.eventId), encode(next), current.revision);
      return { value: next, revision };
    },
    async createNotification(model) {
      const { record } = await createIfAbsent(notificationKey(model.id), model);
      // Index entries are idempotent puts, written on every call so that a crash between the
      // record and its index is repaired by the retry.
      await kv.put(`user.${keyToken(model.userId)}.${keyToken(model.id)}`, model.id);
      await kv.put(`order.${keyToken(model.orderId)}.${keyToken(model.id)}`, model.id);
      return record;
    },
    getNotification: (id) => read<NotificationModel>(notificationKey(id)),
    async getNotifications(ids) {
      return Promise.all(
        ids.map(async (id) => (await read<NotificationModel>(notificationKey(id)))?.value ?? null),
      );
    },
    async updateNotification(current, next) {
      const revision = await kv.update(notificationKey(next.id), encode(next), current.revision);
      return { value: next, revision };
    },
    notificationIdsOfUser: (userId) => idsUnder(`user.${keyToken(userId)}`),
    notificationIdsOfOrder: (orderId) => idsUnder(`order.${keyToken(orderId)}`),
    async recordSms(id, sms) {
      await kv.put(`sms.${keyToken(id)}`, encode(sms));
    },
    async getSms(id) {
      return (await read<RecordedSms>(`sms.${keyToken(id)}`))?.value ?? null;
    },
  };
}
