import type { MutationResolvers, OrderResolvers, QueryResolvers } from '../__generated__/resolvers-types';
import { fulfilmentOf, statusHistory } from '../orders.fulfilment';
import type { OrdersService } from '../orders.service';

/**
 * The order's life after payment and the admin list: fulfillOrder, markOrderDelivered, Query.orders
 * and Order.fulfilment / statusHistory. Thin, like createResolvers, which merges these in.
 */
export function fulfilmentResolvers(service: OrdersService) {
  return {
    Query: {
      orders: async (_root, { filter, first, after }, ctx) => {
        const connection = await service.listAllOrders(ctx.viewer, filter, first, after);
        for (const { node } of connection.edges) ctx.loaders.orderById.prime(node.id, node);
        return connection;
      },
    } satisfies QueryResolvers,
    Mutation: {
      fulfillOrder: (_root, { input }, ctx) => service.fulfillOrder(ctx.viewer, input),
      markOrderDelivered: (_root, { id }, ctx) => service.markOrderDelivered(ctx.viewer, id),
    } satisfies MutationResolvers,
    Order: {
      fulfilment: (order) => fulfilmentOf(order),
      statusHistory: (order) => statusHistory(order),
    } satisfies OrderResolvers,
  };
}
