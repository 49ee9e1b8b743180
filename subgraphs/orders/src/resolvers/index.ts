import { canAccess, requireViewer } from '@shop/auth';
import { forbidden } from '@shop/errors';
import { DateTimeScalar, referenceId } from '@shop/graphql';
import type { Resolvers } from '../__generated__/resolvers-types';
import type { Context } from '../context';
import type { OrderModel } from '../models';

/** The order if the viewer may see it (owner or admin), else null: other people's orders do not leak. */
async function visibleOrder(ctx: Context, id: string): Promise<OrderModel | null> {
  const order = await ctx.loaders.orderById.load(id);
  return order && canAccess(ctx.viewer, order.userId) ? order : null;
}

/** Thin: GraphQL <-> OrdersService and the loaders. */
export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    order: (_root, { id }, ctx) => {
      requireViewer(ctx.viewer);
      return visibleOrder(ctx, id);
    },
  },
  Mutation: {
    placeOrder: (_root, { input }, ctx) => ctx.orders.placeOrder(ctx.viewer, input),
    cancelOrder: (_root, { id }, ctx) => ctx.orders.cancelOrder(ctx.viewer, id),
  },
  User: {
    __resolveReference: (ref) => {
      const id = referenceId(ref);
      return id === null ? null : { id };
    },
    orders: async (user, { first, after }, ctx) => {
      const viewer = requireViewer(ctx.viewer);
      if (!canAccess(viewer, user.id))
        throw forbidden("Only the user themself or an admin may list a user's orders");
      const connection = await ctx.orders.listOrders(user.id, first, after);
      for (const { node } of connection.edges) ctx.loaders.orderById.prime(node.id, node);
      return connection;
    },
  },
  Order: {
    // A representation whose id is not a string is null, never a loader key (it would fail the batch).
    __resolveReference: (ref, ctx) => {
      const id = referenceId(ref);
      return id === null ? null : visibleOrder(ctx, id);
    },
    user: (order) => ({ id: order.userId }),
    items: (order, _args, ctx) => ctx.loaders.itemsByOrderId.load(order.id),
  },
  OrderItem: {
    product: (item) => ({ id: item.productId }),
  },
};
