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
 *   order.<orderId>                            OrderIndex: the order's owner and its notifications
 *   sms.<notificationId>                       RecordedSms (development SMS provider)
 *
 * The records live under their owner, so one filtered read of the bucket's stream (one consumer,
 * values included) returns all of a user's notifications, or one order's: lists cost the same
 * number of round trips whatever their length. One order's notifications are read by key instead
 * (its index entry, then its few records): a consumer costs more than a few direct gets, and the
 * stream read can stall on a record updated while it is read (valuesUnder).
 *
 * Ids that are not plain KV key tokens ([A-Za-z0-9_-], at most 64) are stored as `=` + their
 * SHA-256 (base64url), so any id from another service makes a valid, collision-free key.
 */

const PLAIN = /^[A-Za-z0-9_-]{1,64}$/;

/** How long a read of many records waits after a message before it takes the list as complete (valuesUnder). */
export const QUIET_MS = 50;

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

/**
 * Value of `order.<orderId>`: the order's owner and the ids of its notifications in the order they
 * were created. `notificationIds` is absent in entries written before it existed; such an order is
 * read from the stream (and its list completed when its next notification is created).
 */
export interface OrderIndex {
  userId: string;
  notificationIds?: string[];
}

/** Compare-and-set attempts of an order's index entry (concurrent notifications of one order). */
const INDEX_ATTEMPTS = 10;

const encode = (value: unknown) => JSON.stringify(value);

/**
 * A stored notification as the services see it: a record without a kind (written before refund
 * notices existed, when every notification was an order confirmation) reads as ORDER_CONFIRMATION.
 */
const withKind = (stored: NotificationModel): NotificationModel =>
  (stored as Partial<NotificationModel>).kind ? stored : { ...stored, kind: 'ORDER_CONFIRMATION' };

const eventKey = (eventId: string) => `event.${keyToken(eventId)}`;
const recordKey = (n: { userId: string; orderId: string; id: string }) =>
  `user.${keyToken(n.userId)}.${keyToken(n.orderId)}.${keyToken(n.id)}`;
const locationKey = (id: string) => `notification.${keyToken(id)}`;
const orderKey = (orderId: string) => `order.${keyToken(orderId)}`;
const orderPrefix = (userId: string, orderId: string) => `user.${keyToken(userId)}.${keyToken(orderId)}`;

/** Opens (creating if needed) the bucket: file storage, history 1 (only the current value counts). */
export async function openBucket(nc: NatsConnection, bucket: string): Promise<KV> {
  return new Kvm(nc).create(bucket, { history: 1, storage: StorageType.File });
}

export interface NotificationsRepositoryDeps {
  /** The bucket from openBucket. */
  kv: KV;
}

export class NotificationsRepository {
  private readonly kv: KV;

  constructor(deps: NotificationsRepositoryDeps) {
    this.kv = deps.kv;
  }

  /** Creates the event record if absent; returns the stored one and whether this call created it. */
  createEvent(record: EventRecord): Promise<{ created: boolean; record: Versioned<EventRecord> }> {
    return this.createIfAbsent(eventKey(record.eventId), record);
  }

  getEvent(eventId: string): Promise<Versioned<EventRecord> | null> {
    return this.read<EventRecord>(eventKey(eventId));
  }

  /** Compare-and-set: fails when the record changed since `current` was read. */
  async updateEvent(current: Versioned<EventRecord>, next: EventRecord): Promise<Versioned<EventRecord>> {
    const revision = await this.kv.update(eventKey(next.eventId), encode(next), current.revision);
    return { value: next, revision };
  }

  /** Creates the notification (after its index entries) if absent; returns the stored one. */
  async createNotification(model: NotificationModel): Promise<Versioned<NotificationModel>> {
    // Index entries first, as idempotent puts on every call: a crash before the record leaves
    // entries that point at nothing (read as unknown), and the retry writes the record.
    const location: NotificationLocation = { userId: model.userId, orderId: model.orderId };
    await this.kv.put(locationKey(model.id), encode(location));
    await this.indexUnderOrder(model);
    const { record } = await this.createIfAbsent(recordKey(model), model);
    return { ...record, value: withKind(record.value) };
  }

  /** Adds the notification's id to its order's index entry (compare-and-set; a no-op when listed). */
  private async indexUnderOrder(model: NotificationModel): Promise<void> {
    const key = orderKey(model.orderId);
    for (let attempt = 1; ; attempt++) {
      const current = await this.read<OrderIndex>(key);
      const listed = current?.value.notificationIds;
      if (listed?.includes(model.id)) return;
      const known = !current
        ? []
        : (listed ??
          (await this.valuesUnder<NotificationModel>(orderPrefix(model.userId, model.orderId))).map(
            (n) => n.id,
          ));
      const next: OrderIndex = { userId: model.userId, notificationIds: [...known, model.id] };
      try {
        if (current) await this.kv.update(key, encode(next), current.revision);
        else await this.kv.create(key, encode(next));
        return;
      } catch (error) {
        // another notification of the order was indexed meanwhile: read again
        if (attempt >= INDEX_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * One order's owner and notifications, by key: its index entry, then each record (direct gets,
   * no consumer). Null when the order has none. An id listed before its record was written (a
   * crash in between, or a creation in flight) is left out.
   */
  async notificationsOfOrder(
    orderId: string,
  ): Promise<{ userId: string; notifications: NotificationModel[] } | null> {
    const index = await this.read<OrderIndex>(orderKey(orderId));
    if (!index) return null;
    const { userId, notificationIds } = index.value;
    const stored = notificationIds
      ? (
          await Promise.all(
            notificationIds.map((id) => this.read<NotificationModel>(recordKey({ userId, orderId, id }))),
          )
        ).flatMap((record) => (record ? [record.value] : []))
      : await this.valuesUnder<NotificationModel>(orderPrefix(userId, orderId));
    return { userId, notifications: stored.map(withKind) };
  }

  /** One notification by id (two reads: its location, then the record). */
  async getNotification(id: string): Promise<Versioned<NotificationModel> | null> {
    const location = await this.read<NotificationLocation>(locationKey(id));
    const record = location ? await this.read<NotificationModel>(recordKey({ ...location.value, id })) : null;
    return record ? { ...record, value: withKind(record.value) } : null;
  }

  /** Compare-and-set: fails when the record changed since `current` was read. */
  async updateNotification(
    current: Versioned<NotificationModel>,
    next: NotificationModel,
  ): Promise<Versioned<NotificationModel>> {
    const revision = await this.kv.update(recordKey(next), encode(next), current.revision);
    return { value: next, revision };
  }

  /**
   * Every notification of a user (of one of their orders when `orderId` is given), in one read
   * whatever their number.
   */
  async notificationsOfUser(userId: string, orderId?: string): Promise<NotificationModel[]> {
    const stored = await this.valuesUnder<NotificationModel>(
      orderId === undefined ? `user.${keyToken(userId)}` : orderPrefix(userId, orderId),
    );
    return stored.map(withKind);
  }

  /** The owner of each order that has notifications (one read per order; absent when none). */
  async ownersOfOrders(orderIds: readonly string[]): Promise<Map<string, string>> {
    const owners = new Map<string, string>();
    await Promise.all(
      [...new Set(orderIds)].map(async (orderId) => {
        const owner = await this.read<{ userId: string }>(orderKey(orderId));
        if (owner) owners.set(orderId, owner.value.userId);
      }),
    );
    return owners;
  }

  /** Where each known notification is (one read per id; absent when unknown). */
  async locateNotifications(ids: readonly string[]): Promise<Map<string, NotificationLocation>> {
    const locations = new Map<string, NotificationLocation>();
    await Promise.all(
      [...new Set(ids)].map(async (id) => {
        const location = await this.read<NotificationLocation>(locationKey(id));
        if (location) locations.set(id, location.value);
      }),
    );
    return locations;
  }

  async recordSms(notificationId: string, sms: RecordedSms): Promise<void> {
    await this.kv.put(`sms.${keyToken(notificationId)}`, encode(sms));
  }

  async getSms(notificationId: string): Promise<RecordedSms | null> {
    return (await this.read<RecordedSms>(`sms.${keyToken(notificationId)}`))?.value ?? null;
  }

  private async read<T>(key: string): Promise<Versioned<T> | null> {
    const entry = await this.kv.get(key);
    if (!entry || entry.operation !== 'PUT') return null;
    return { value: entry.json<T>(), revision: entry.revision };
  }

  private async createIfAbsent<T>(
    key: string,
    value: T,
  ): Promise<{ created: boolean; record: Versioned<T> }> {
    try {
      const revision = await this.kv.create(key, encode(value));
      return { created: true, record: { value, revision } };
    } catch (error) {
      const existing = await this.read<T>(key);
      if (!existing) throw error;
      return { created: false, record: existing };
    }
  }

  /**
   * The current values of every key under `prefix` in ONE round trip: an ordered push consumer on
   * the bucket's stream filtered on `prefix.>` delivers the values themselves (not just the keys),
   * and the read ends with the message that has nothing pending after it.
   */
  private async valuesUnder<T>(prefix: string): Promise<T[]> {
    const latest = new Map<string, T | null>();
    const entries = await this.kv.history({ key: `${prefix}.>` });
    // The read normally ends with the message the server says has nothing pending after it. When a
    // record is updated while it is read (history 1: the old revision is removed as the new one is
    // stored) the server can go on counting the removed revision, and the read would then wait for
    // the consumer's heartbeat, 5 to 30 s (a subscription resolving Order.notifications right as
    // the records change hit this). Messages are pushed as soon as they exist, so a read that got
    // nothing more for QUIET_MS after a message has everything there was. The stop waits for one
    // turn of I/O (setImmediate after the timer), so a stalled event loop never cuts a read short:
    // messages that arrived meanwhile are taken first, and any of them re-arms the wait.
    let received = 0;
    let quiet: ReturnType<typeof setTimeout> | undefined;
    const stopIfQuiet = (at: number) => setImmediate(() => received === at && entries.stop());
    try {
      for await (const entry of entries) {
        received += 1;
        clearTimeout(quiet);
        quiet = setTimeout(stopIfQuiet, QUIET_MS, received);
        // Stream order: a later entry of a key (with a bucket history > 1) replaces the earlier one.
        latest.set(entry.key, entry.operation === 'PUT' ? entry.json<T>() : null);
      }
    } finally {
      clearTimeout(quiet);
    }
    return [...latest.values()].filter((value): value is T => value !== null);
  }
}

/**
 * The repository's public methods: what the services depend on, so that unit tests can pass an
 * in-memory one with the same semantics (test/memory-repository.ts).
 */
export type NotificationsStore = Pick<NotificationsRepository, keyof NotificationsRepository>;
