import { DateTimeScalar, referenceId } from '@shop/graphql';
import type { Resolvers } from '../__generated__/resolvers-types';
import type { OrdersService } from '../orders.service';
import { cartResolvers } from './carts';
import { checkoutResolvers } from './checkout';
import { fulfilmentResolvers } from './fulfilment';

/** Thin: GraphQL <-> OrdersService and the loaders. Who may see what is the service's business. */
export function createResolvers(service: OrdersService): Resolvers {
  const fulfilment = fulfilmentResolvers(service);
  const checkout = checkoutResolvers(service);
  const carts = cartResolvers(service);
  return {
    DateTime: DateTimeScalar,
    Query: {
      order: (_root, { id }, ctx) => service.orderFor(ctx.viewer, id),
      ...fulfilment.Query,
      ...checkout.Query,
      ...carts.Query,
    },
    Mutation: {
      placeOrder: (_root, { input }, ctx) => service.placeOrder(ctx.viewer, input),
      cancelOrder: (_root, { id }, ctx) => service.cancelOrder(ctx.viewer, id),
      refundOrder: (_root, { id }, ctx) => service.refundOrder(ctx.viewer, id),
      ...fulfilment.Mutation,
      ...checkout.Mutation,
      ...carts.Mutation,
    },
    User: {
      __resolveReference: (ref) => service.userReference(referenceId(ref)),
      orders: async (user, { first, after }, ctx) => {
        const connection = await service.listOrders(ctx.viewer, user.id, first, after);
        for (const { node } of connection.edges) ctx.loaders.orderById.prime(node.id, node);
        return connection;
      },
    },
    Order: {
      // A representation whose id is not a string is null, never a loader key (it would fail the batch).
      __resolveReference: (ref, ctx) => {
        const id = referenceId(ref);
        return id === null ? null : ctx.loaders.orderById.load(id);
      },
      user: (order) => ({ id: order.userId }),
      items: (order, _args, ctx) => ctx.loaders.itemsByOrder.load(order),
      ...fulfilment.Order,
    },
    Cart: { ...carts.Cart, ...checkout.Cart },
    CartLine: carts.CartLine,
    DiscountCode: checkout.DiscountCode,
    OrderItem: {
      product: (item) => ({ id: item.productId }),
      variant: (item) => ({ id: item.variantId }),
    },
  };
}
