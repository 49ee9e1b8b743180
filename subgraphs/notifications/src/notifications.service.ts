import { canAccess, requireViewer, type Viewer } from '@shop/auth';
import { forbidden } from '@shop/errors';
import { decodeCursor, encodeCursor, pageSize, toConnection, type Connection } from '@shop/graphql';
import { isNotificationId, isOrderId, isUserId } from '@shop/messaging';
import type { NotificationModel } from './models';
import type { NotificationsStore } from './notifications.repository';

type Cursor = [createdAt: string, id: string];
const isCursor = (value: unknown): value is Cursor =>
  Array.isArray(value) &&
  value.length === 2 &&
  typeof value[0] === 'string' &&
  !Number.isNaN(Date.parse(value[0])) &&
  isNotificationId(value[1]);

const cursorOf = (n: NotificationModel) => encodeCursor([n.createdAt, n.id] satisfies Cursor);

/** Newest first; the id breaks ties so the order (and the cursor) is total. */
const newestFirst = (a: NotificationModel, b: NotificationModel) =>
  b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id);
const oldestFirst = (a: NotificationModel, b: NotificationModel) => -newestFirst(a, b);

/** Strictly after the cursor in newest-first order. */
const isAfter = (n: NotificationModel, [createdAt, id]: Cursor) =>
  n.createdAt < createdAt || (n.createdAt === createdAt && n.id < id);

const ORDER_FORBIDDEN = 'You may only read notifications of your own orders';
const NOTIFICATION_FORBIDDEN = 'You may only read your own notifications';

/** `items` grouped by `by`. */
function groupBy<K, V>(items: Iterable<V>, by: (item: V) => K): Map<K, V[]> {
  const groups = new Map<K, V[]>();
  for (const item of items) {
    const key = by(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

export interface NotificationsServiceDeps {
  repository: NotificationsStore;
}

/**
 * Read rules. Notifications are the customer's own: anonymous callers get UNAUTHENTICATED, and
 * anyone but the owner or an admin gets FORBIDDEN, whether they ask through User.notifications,
 * Order.notifications or an entity reference (so `_entities` does not leak either).
 *
 * Batches (one request's DataLoaders) cost a constant number of reads: the viewer's own records in
 * one read; only what is not the viewer's costs more (one owner lookup per such order or id, and for
 * an admin one read per other owner).
 *
 * Ids are taken in the one form their owner issues (isUserId, isOrderId, isNotificationId of
 * `@shop/messaging`): any other form (another letter case, braces) names nothing and never reaches
 * the bucket: an empty list, or null.
 */
export class NotificationsService {
  private readonly repository: NotificationsStore;

  constructor(deps: NotificationsServiceDeps) {
    this.repository = deps.repository;
  }

  async listForUser(
    viewer: Viewer | null,
    userId: string,
    first?: number | null,
    after?: string | null,
  ): Promise<Connection<NotificationModel>> {
    const v = requireViewer(viewer);
    const limit = pageSize(first);
    const cursor = after ? decodeCursor(after, isCursor) : null;
    if (!isUserId(userId)) return toConnection([], limit, cursorOf, false);
    if (!canAccess(v, userId)) throw forbidden(NOTIFICATION_FORBIDDEN);
    const all = (await this.repository.notificationsOfUser(userId))
      .filter((n) => n.userId === userId)
      .sort(newestFirst);
    const rest = cursor ? all.filter((n) => isAfter(n, cursor)) : all;
    return toConnection(rest.slice(0, limit + 1), limit, cursorOf, rest.length < all.length);
  }

  /**
   * Order.notifications for a batch of orders, each oldest first, or FORBIDDEN for an order with
   * someone else's notifications (unless the viewer is an admin). An order without notifications
   * is [] for anyone signed in.
   */
  async listForOrders(
    viewer: Viewer | null,
    orderIds: readonly string[],
  ): Promise<(NotificationModel[] | Error)[]> {
    const v = requireViewer(viewer);
    const issued = orderIds.filter(isOrderId);
    const distinct = [...new Set(issued)];
    if (distinct.length === 1) {
      // One order (a subscription event, an order page): read by key, no stream read.
      const [orderId] = distinct as [string];
      const one = await this.ofOrder(v, orderId);
      return orderIds.map((id) => (id !== orderId ? [] : one instanceof Error ? one : [...one]));
    }
    const byOrder = groupBy(issued.length > 0 ? await this.ofUser(v.id, issued) : [], (n) => n.orderId);
    const failed = new Map<string, Error>();
    const others = [...new Set(issued)].filter((id) => !byOrder.has(id));
    if (others.length > 0) {
      const owners = await this.repository.ownersOfOrders(others);
      const readable: [orderId: string, ownerId: string][] = [];
      for (const [orderId, ownerId] of owners) {
        if (ownerId === v.id) continue; // indexed, record not written yet: nothing to show
        if (!canAccess(v, ownerId)) failed.set(orderId, forbidden(ORDER_FORBIDDEN));
        else readable.push([orderId, ownerId]);
      }
      // An admin: one read per other owner, however many of their orders are asked for.
      const byOwner = groupBy(readable, ([, ownerId]) => ownerId);
      const lists = await Promise.all(
        [...byOwner].map(([ownerId, pairs]) =>
          this.ofUser(
            ownerId,
            pairs.map((pair) => pair[0]),
          ),
        ),
      );
      for (const [orderId, list] of groupBy(lists.flat(), (n) => n.orderId)) byOrder.set(orderId, list);
    }
    return orderIds.map((id) => failed.get(id) ?? [...(byOrder.get(id) ?? [])].sort(oldestFirst));
  }

  /** Order.notifications of one order: oldest first; throws FORBIDDEN for someone else's. */
  async listForOrder(viewer: Viewer | null, orderId: string): Promise<NotificationModel[]> {
    const [result] = await this.listForOrders(viewer, [orderId]);
    if (result instanceof Error) throw result;
    return result ?? [];
  }

  /**
   * Notification entity references for a batch of ids: the notification, null when unknown, or
   * FORBIDDEN when someone else's (unless the viewer is an admin).
   */
  async findNotifications(
    viewer: Viewer | null,
    ids: readonly string[],
  ): Promise<(NotificationModel | null | Error)[]> {
    const v = requireViewer(viewer);
    const issued = ids.filter(isNotificationId);
    const found = new Map<string, NotificationModel>();
    if (issued.length > 0)
      for (const n of await this.repository.notificationsOfUser(v.id))
        if (n.userId === v.id) found.set(n.id, n);
    const failed = new Map<string, Error>();
    const others = [...new Set(issued)].filter((id) => !found.has(id));
    if (others.length > 0) {
      const locations = await this.repository.locateNotifications(others);
      const foreign = new Set<string>();
      for (const [id, { userId }] of locations) {
        if (userId === v.id) continue; // indexed, record not written yet: unknown
        if (!canAccess(v, userId)) failed.set(id, forbidden(NOTIFICATION_FORBIDDEN));
        else foreign.add(userId);
      }
      // An admin: one read per other owner.
      const lists = await Promise.all(
        [...foreign].map((ownerId) => this.repository.notificationsOfUser(ownerId)),
      );
      for (const n of lists.flat()) if (locations.get(n.id)?.userId === n.userId) found.set(n.id, n);
    }
    return ids.map((id) => failed.get(id) ?? this.authorize(v, found.get(id) ?? null));
  }

  /** An entity reference: null when unknown, FORBIDDEN when someone else's. */
  authorize(viewer: Viewer | null, notification: NotificationModel | null): NotificationModel | null {
    const v = requireViewer(viewer);
    if (!notification) return null;
    if (!canAccess(v, notification.userId)) throw forbidden(NOTIFICATION_FORBIDDEN);
    return notification;
  }

  /** One order's notifications by key, oldest first; FORBIDDEN when they are someone else's. */
  private async ofOrder(v: Viewer, orderId: string): Promise<NotificationModel[] | Error> {
    const found = await this.repository.notificationsOfOrder(orderId);
    if (!found) return [];
    if (!canAccess(v, found.userId)) return forbidden(ORDER_FORBIDDEN);
    return found.notifications
      .filter((n) => n.userId === found.userId && n.orderId === orderId)
      .sort(oldestFirst);
  }

  /** Every notification of `userId`, or of one of their orders, from one read. */
  private async ofUser(userId: string, orderIds: readonly string[]): Promise<NotificationModel[]> {
    const only = orderIds.length === 1 ? orderIds[0] : undefined;
    const wanted = new Set(orderIds);
    return (await this.repository.notificationsOfUser(userId, only)).filter(
      (n) => n.userId === userId && wanted.has(n.orderId),
    );
  }
}
