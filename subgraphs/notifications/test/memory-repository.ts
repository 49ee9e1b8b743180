import type { NotificationRepository } from '../src/notification.repository';
import type { Versioned } from '../src/models';

/** An in-memory NotificationRepository with the KV bucket's compare-and-set semantics. */
export function memoryRepository(): NotificationRepository & { store: Map<string, Versioned<unknown>> } {
  const store = new Map<string, Versioned<unknown>>();
  let revision = 0;
  const get = <T>(key: string) => (store.get(key) as Versioned<T> | undefined) ?? null;
  const create = <T>(key: string, value: T) => {
    const existing = get<T>(key);
    if (existing) return { created: false, record: existing };
    const record = { value, revision: ++revision };
    store.set(key, record);
    return { created: true, record };
  };
  const update = <T>(key: string, current: Versioned<T>, value: T) => {
    if (get(key)?.revision !== current.revision) throw new Error(`wrong last sequence for ${key}`);
    const record = { value, revision: ++revision };
    store.set(key, record);
    return record;
  };
  const ids = (prefix: string) =>
    [...store.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
  return {
    store,
    createEvent: async (record) => create(`event.${record.eventId}`, record),
    getEvent: async (eventId) => get(`event.${eventId}`),
    updateEvent: async (current, next) => update(`event.${next.eventId}`, current, next),
    async createNotification(model) {
      const { record } = create(`notification.${model.id}`, model);
      store.set(`user.${model.userId}.${model.id}`, { value: model.id, revision: ++revision });
      store.set(`order.${model.orderId}.${model.id}`, { value: model.id, revision: ++revision });
      return record;
    },
    getNotification: async (id) => get(`notification.${id}`),
    getNotifications: async (list) => list.map((id) => get<never>(`notification.${id}`)?.value ?? null),
    updateNotification: async (current, next) => update(`notification.${next.id}`, current, next),
    notificationIdsOfUser: async (userId) => ids(`user.${userId}.`),
    notificationIdsOfOrder: async (orderId) => ids(`order.${orderId}.`),
    recordSms: async (id, sms) => void store.set(`sms.${id}`, { value: sms, revision: ++revision }),
    getSms: async (id) => get<never>(`sms.${id}`)?.value ?? null,
  };
}
