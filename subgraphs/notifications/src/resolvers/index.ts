import { DateTimeScalar } from '@shop/graphql';
import type { Resolvers } from '../__generated__/resolvers-types';
import type { NotificationService } from '../notification.service';

/** Thin: GraphQL <-> NotificationService. */
export function createResolvers(service: NotificationService): Resolvers {
  return {
    DateTime: DateTimeScalar,
    Notification: {
      __resolveReference: async (ref, ctx) =>
        service.authorize(ctx.viewer, await ctx.loaders.notification.load(ref.id)),
      order: (notification) => ({ id: notification.orderId }),
    },
    User: {
      __resolveReference: (ref) => ({ id: ref.id }),
      notifications: (user, args, ctx) => service.listForUser(ctx.viewer, user.id, args.first, args.after),
    },
    Order: {
      __resolveReference: (ref) => ({ id: ref.id }),
      notifications: (order, _args, ctx) => service.listForOrder(ctx.viewer, order.id),
    },
  };
}
