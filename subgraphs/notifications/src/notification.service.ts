import { canAccess, requireViewer, type Viewer } from '@shop/auth';
import { forbidden } from '@shop/errors';
import { decodeCursor, encodeCursor, pageSize, toConnection, type Connection } from '@shop/graphql';
import type { NotificationModel } from './models';
import type { NotificationRepository } from './notification.repository';

type Cursor = [createdAt: string, id: string];
const isCursor = (value: unknown): value is Cursor =>
  Array.isArray(value) && value.length === 2 && value.every((part) => typeof part === 'string');

const cursorOf = (n: NotificationModel) => encodeCursor([n.createdAt, n.id] satisfies Cursor);

/** Newest first; the id breaks ties so the order (and the cursor) is total. */
const newestFirst = (a: NotificationModel, b: NotificationModel) =>
  b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id);

/** Strictly after the cursor in newest-first order. */
const isAfter = (n: NotificationModel, [createdAt, id]: Cursor) =>
  n.createdAt < createdAt || (n.createdAt === createdAt && n.id < id);

/**
 * Read rules. Notifications are the customer's own: anonymous callers get UNAUTHENTICATED, and
 * anyone but the owner or an admin gets FORBIDDEN, whether they ask through User.notifications,
 * Order.notifications or an entity reference (so `_entities` does not leak either).
 */
export function createNotificationService(repo: NotificationRepository) {
  const present = (list: (NotificationModel | null)[]) =>
    list.filter((n): n is NotificationModel => n !== null);

  return {
    async listForUser(
      viewer: Viewer | null,
      userId: string,
      first?: number | null,
      after?: string | null,
    ): Promise<Connection<NotificationModel>> {
      const v = requireViewer(viewer);
      if (!canAccess(v, userId)) throw forbidden('You may only read your own notifications');
      const limit = pageSize(first);
      const cursor = after ? decodeCursor(after, isCursor) : null;
      const all = present(await repo.getNotifications(await repo.notificationIdsOfUser(userId)))
        .filter((n) => n.userId === userId)
        .sort(newestFirst);
      const rest = cursor ? all.filter((n) => isAfter(n, cursor)) : all;
      return toConnection(rest.slice(0, limit + 1), limit, cursorOf, rest.length < all.length);
    },

    /** Oldest first. An order without notifications is [] for anyone signed in. */
    async listForOrder(viewer: Viewer | null, orderId: string): Promise<NotificationModel[]> {
      const v = requireViewer(viewer);
      const list = present(await repo.getNotifications(await repo.notificationIdsOfOrder(orderId))).filter(
        (n) => n.orderId === orderId,
      );
      if (list.some((n) => !canAccess(v, n.userId)))
        throw forbidden('You may only read notifications of your own orders');
      return list.sort((a, b) => -newestFirst(a, b));
    },

    /** An entity reference: null when unknown, FORBIDDEN when someone else's. */
    authorize(viewer: Viewer | null, notification: NotificationModel | null): NotificationModel | null {
      const v = requireViewer(viewer);
      if (!notification) return null;
      if (!canAccess(v, notification.userId)) throw forbidden('You may only read your own notifications');
      return notification;
    },
  };
}

export type NotificationService = ReturnType<typeof createNotificationService>;
