import { DateTimeScalar } from '@shop/graphql';
import type { Resolvers } from '../__generated__/resolvers-types';
import { PaymentService } from '../payments.service';

/** Thin: GraphQL in, service or loader call, GraphQL out. */
export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Mutation: {
    payOrder: (_parent, { input }, ctx) => ctx.service.payOrder(ctx.viewer, input),
  },
  Payment: {
    __resolveReference: async (ref, ctx) =>
      PaymentService.visiblePayment(ctx.viewer, await ctx.loaders.paymentById.load(ref.id)),
    order: (payment) => ({ id: payment.orderId }),
  },
  Order: {
    __resolveReference: (ref) => ({ id: ref.id }),
    payment: async (order, _args, ctx) =>
      PaymentService.paymentOfOrder(ctx.viewer, await ctx.loaders.paymentsByOrder.load(order.id)),
  },
};
