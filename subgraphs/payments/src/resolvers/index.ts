import { DateTimeScalar, entityStub, referenceId } from '@shop/graphql';
import type { Resolvers } from '../__generated__/resolvers-types';
import type { PaymentsService } from '../payments.service';

/** Thin: GraphQL in, service or loader call, GraphQL out. Who may see what is the service's call. */
export function createResolvers(service: PaymentsService): Resolvers {
  return {
    DateTime: DateTimeScalar,
    Mutation: {
      payOrder: (_parent, { input }, ctx) => service.payOrder(ctx.viewer, input),
    },
    Payment: {
      // A representation whose id is not a string is null, never a loader key (it would fail the batch).
      __resolveReference: (ref, ctx) => {
        const id = referenceId(ref);
        return id === null ? null : ctx.loaders.paymentById.load(id);
      },
      order: (payment) => ({ id: payment.orderId }),
    },
    Order: {
      __resolveReference: entityStub,
      payment: (order, _args, ctx) => ctx.loaders.paymentOfOrder.load(order.id),
    },
  };
}
