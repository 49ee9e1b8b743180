import { DateTimeScalar, referenceId } from '@shop/graphql';
import { isOrderId, isUserId } from '@shop/messaging';
import type { Resolvers } from '../__generated__/resolvers-types';
import type { NotificationsService } from '../notifications.service';

/**
 * The stub of an entity this subgraph extends, for the issued form of its id only: another form (an
 * upper-case UUID, braces) names no entity, so its fields are never asked for.
 */
const stubIf =
  (issued: (id: unknown) => id is string) =>
  (reference: { id?: unknown }): { id: string } | null =>
    issued(reference.id) ? { id: reference.id } : null;

/** Thin: GraphQL <-> NotificationsService, which decides who may read what. */
export function createResolvers(service: NotificationsService): Resolvers {
  return {
    DateTime: DateTimeScalar,
    Notification: {
      // A representation whose id is not a string is null, never a loader key (it would fail the
      // batch); the service answers null for any other form than the issued one.
      __resolveReference: (ref, ctx) => {
        const id = referenceId(ref);
        return id === null ? null : ctx.loaders.notification.load(id);
      },
      order: (notification) => ({ id: notification.orderId }),
    },
    User: {
      __resolveReference: stubIf(isUserId),
      notifications: (user, args, ctx) => service.listForUser(ctx.viewer, user.id, args.first, args.after),
    },
    Order: {
      __resolveReference: stubIf(isOrderId),
      notifications: (order, _args, ctx) => ctx.loaders.orderNotifications.load(order.id),
    },
  };
}
