import type {
  CartResolvers,
  DiscountCodeResolvers,
  MutationResolvers,
  QueryResolvers,
} from '../__generated__/resolvers-types';
import type { OrdersService } from '../orders.service';

/**
 * Checkout, shipping methods and discount codes: Query.shippingMethods / discountCodes, checkout,
 * applyDiscountCode, removeDiscountCode, createDiscountCode, Cart.discount / discountProblem. Thin,
 * like createResolvers, which merges these in; the Order's parts (subtotal, shipping, discount, vat,
 * the address and the method) are fields of the model.
 */
export function checkoutResolvers(service: OrdersService) {
  const { discounts } = service;
  return {
    Query: {
      shippingMethods: (_root, { country }) => service.shippingMethods(country),
      discountCodes: (_root, { first, after }, ctx) => discounts.list(ctx.viewer, first, after),
    } satisfies QueryResolvers,
    Mutation: {
      checkout: (_root, { input }, ctx) => service.checkout(ctx.viewer, input),
      applyDiscountCode: (_root, { input }, ctx) => discounts.applyToCart(ctx.viewer, input),
      removeDiscountCode: (_root, { cartId }, ctx) => discounts.removeFromCart(ctx.viewer, cartId),
      createDiscountCode: (_root, { input }, ctx) => discounts.create(ctx.viewer, input),
    } satisfies MutationResolvers,
    Cart: {
      discount: async (cart, _args, ctx) => (await ctx.loaders.cartDiscount.load(cart)).discount,
      discountProblem: async (cart, _args, ctx) => (await ctx.loaders.cartDiscount.load(cart)).problem,
    } satisfies CartResolvers,
    DiscountCode: {
      minimumSubtotal: (code) => discounts.minimumSubtotalOf(code),
    } satisfies DiscountCodeResolvers,
  };
}
