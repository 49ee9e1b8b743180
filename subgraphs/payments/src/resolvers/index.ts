import { DateTimeScalar, referenceId } from '@shop/graphql';
import type { Resolvers } from '../__generated__/resolvers-types';
import { PaymentService } from '../payments.service';

/** Thin: GraphQL in, service or loader call, GraphQL out. */
export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Mutation: {
    payOrder: (_parent, { input }, ctx) => ctx.service.payOrder(ctx.viewer, input),
  },
  Payment: {
    // A representation whose id is not a string is null, never a loader key (it would fail the batch).
    __resolveReference: async (ref, ctx) => {
      const id = referenceId(ref);
      return id === null
        ? null
        : PaymentService.visiblePayment(ctx.viewer, await ctx.loaders.paymentById.load(id));
    },
    order: (payment) => ({ id: payment.orderId }),
  },
  Order: {
    __resolveReference: (ref) => {
      const id = referenceId(ref);
      return id === null ? null : { id };
    },
    payment: async (order, _args, ctx) =>
      PaymentService.paymentOfOrder(ctx.viewer, await ctx.loaders.paymentsByOrder.load(order.id)),
  },
};
