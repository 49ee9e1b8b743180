import { DateTimeScalar, referenceId } from '@shop/graphql';
import { isOrderId, isPaymentId } from '@shop/messaging';
import type { Resolvers } from '../__generated__/resolvers-types';
import { effectiveStatus } from '../models';
import type { PaymentsService } from '../payments.service';

/** Thin: GraphQL in, service or loader call, GraphQL out. Who may see what is the service's call. */
export function createResolvers(service: PaymentsService): Resolvers {
  return {
    DateTime: DateTimeScalar,
    Mutation: {
      payOrder: (_parent, { input }, ctx) => service.payOrder(ctx.viewer, input),
    },
    Payment: {
      // A representation whose id is not the issued form of a payment id (not a string, another
      // letter case, ...) is null, never a loader key.
      __resolveReference: (ref, ctx) => {
        const id = referenceId(ref);
        return isPaymentId(id) ? ctx.loaders.paymentById.load(id) : null;
      },
      order: (payment) => ({ id: payment.orderId }),
      status: (payment) => effectiveStatus(payment),
      refunds: (payment, _args, ctx) => ctx.loaders.refundsOfPayment.load(payment.id),
      refundedAmount: (payment) => ({ amount: payment.refundedAmount, currency: payment.amount.currency }),
    },
    Order: {
      // The stub { id } for the issued form of an order id only: a variant names no order.
      __resolveReference: (ref) => {
        const id = referenceId(ref);
        return isOrderId(id) ? { id } : null;
      },
      payment: (order, _args, ctx) => ctx.loaders.paymentOfOrder.load(order.id),
    },
  };
}
