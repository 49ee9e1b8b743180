import { DateTimeScalar, referenceId } from '@shop/graphql';
import type { Resolvers } from '../__generated__/resolvers-types';
import type { NotificationService } from '../notification.service';

/** Thin: GraphQL <-> NotificationService. */
export function createResolvers(service: NotificationService): Resolvers {
  return {
    DateTime: DateTimeScalar,
    Notification: {
      // A representation whose id is not a string is null, never a loader key (it would fail the batch).
      __resolveReference: (ref, ctx) => {
        const id = referenceId(ref);
        return id === null ? null : ctx.loaders.notification.load(id);
      },
      order: (notification) => ({ id: notification.orderId }),
    },
    User: {
      __resolveReference: (ref) => {
        const id = referenceId(ref);
        return id === null ? null : { id };
      },
      notifications: (user, args, ctx) => service.listForUser(ctx.viewer, user.id, args.first, args.after),
    },
    Order: {
      __resolveReference: (ref) => {
        const id = referenceId(ref);
        return id === null ? null : { id };
      },
      notifications: (order, _args, ctx) => ctx.loaders.orderNotifications.load(order.id),
    },
  };
}
