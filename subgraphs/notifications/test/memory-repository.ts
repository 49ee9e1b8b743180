import type { NotificationLocation, NotificationsStore, OrderIndex } from '../src/notifications.repository';
import type { NotificationModel, Versioned } from '../src/models';

/**
 * An in-memory NotificationsRepository with the KV bucket's key layout and compare-and-set
 * semantics. `reads` counts the reads that would be KV round trips (a prefix read counts once).
 */
export function memoryRepository(): NotificationsStore & {
  store: Map<string, Versioned<unknown>>;
  reads: () => number;
} {
  const store = new Map<string, Versioned<unknown>>();
  let revision = 0;
  let reads = 0;
  const get = <T>(key: string) => (store.get(key) as Versioned<T> | undefined) ?? null;
  const read = <T>(key: string) => {
    reads += 1;
    return get<T>(key);
  };
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
  const put = (key: string, value: unknown) => void store.set(key, { value, revision: ++revision });
  const recordKey = (n: { userId: string; orderId: string; id: string }) =>
    `user.${n.userId}.${n.orderId}.${n.id}`;
  return {
    store,
    reads: () => reads,
    createEvent: async (record) => create(`event.${record.eventId}`, record),
    getEvent: async (eventId) => read(`event.${eventId}`),
    updateEvent: async (current, next) => update(`event.${next.eventId}`, current, next),
    async createNotification(model) {
      put(`notification.${model.id}`, { userId: model.userId, orderId: model.orderId });
      const index = get<OrderIndex>(`order.${model.orderId}`)?.value;
      const ids = index?.notificationIds ?? [];
      if (!ids.includes(model.id))
        put(`order.${model.orderId}`, { userId: model.userId, notificationIds: [...ids, model.id] });
      return create(recordKey(model), model).record;
    },
    async notificationsOfOrder(orderId) {
      const index = read<OrderIndex>(`order.${orderId}`)?.value;
      if (!index) return null;
      const { userId, notificationIds = [] } = index;
      const notifications = notificationIds.flatMap((id) => {
        const record = read<NotificationModel>(recordKey({ userId, orderId, id }));
        return record ? [record.value] : [];
      });
      return { userId, notifications };
    },
    async getNotification(id) {
      const location = read<NotificationLocation>(`notification.${id}`);
      return location ? read<NotificationModel>(recordKey({ ...location.value, id })) : null;
    },
    updateNotification: async (current, next) => update(recordKey(next), current, next),
    async notificationsOfUser(userId, orderId) {
      reads += 1;
      const prefix = orderId === undefined ? `user.${userId}.` : `user.${userId}.${orderId}.`;
      return [...store]
        .filter(([key]) => key.startsWith(prefix))
        .map(([, record]) => record.value as NotificationModel);
    },
    async ownersOfOrders(orderIds) {
      const owners = new Map<string, string>();
      for (const orderId of new Set(orderIds)) {
        const owner = read<{ userId: string }>(`order.${orderId}`);
        if (owner) owners.set(orderId, owner.value.userId);
      }
      return owners;
    },
    async locateNotifications(ids) {
      const locations = new Map<string, NotificationLocation>();
      for (const id of new Set(ids)) {
        const location = read<NotificationLocation>(`notification.${id}`);
        if (location) locations.set(id, location.value);
      }
      return locations;
    },
    recordSms: async (id, sms) => put(`sms.${id}`, sms),
    getSms: async (id) => get<never>(`sms.${id}`)?.value ?? null,
  };
}
