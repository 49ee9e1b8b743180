import { DateTimeScalar, entityStub, referenceId } from '@shop/graphql';
import type { Resolvers } from '../__generated__/resolvers-types';
import type { NotificationsService } from '../notifications.service';

/** Thin: GraphQL <-> NotificationsService, which decides who may read what. */
export function createResolvers(service: NotificationsService): Resolvers {
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
      __resolveReference: entityStub,
      notifications: (user, args, ctx) => service.listForUser(ctx.viewer, user.id, args.first, args.after),
    },
    Order: {
      __resolveReference: entityStub,
      notifications: (order, _args, ctx) => ctx.loaders.orderNotifications.load(order.id),
    },
  };
}
