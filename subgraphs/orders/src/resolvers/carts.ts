import type {
  CartLineResolvers,
  CartResolvers,
  MutationResolvers,
  QueryResolvers,
} from '../__generated__/resolvers-types';
import { priceChanged } from '../carts.service';
import type { OrdersService } from '../orders.service';

/**
 * The cart: Query.cart, addToCart, updateCartLine, removeCartLine, clearCart, mergeCart and the
 * fields of Cart and CartLine (Cart.discount / discountProblem are checkout's). Thin, like
 * createResolvers, which merges these in. Every priced field of one request goes through the
 * pricedCart loader: one products.lookup per request, however many fields ask.
 */
export function cartResolvers(service: OrdersService) {
  const { carts } = service;
  return {
    Query: {
      cart: (_root, { id }, ctx) => carts.cartFor(ctx.viewer, id),
    } satisfies QueryResolvers,
    Mutation: {
      addToCart: (_root, { input }, ctx) => carts.addToCart(ctx.viewer, input),
      updateCartLine: (_root, { input }, ctx) => carts.updateCartLine(ctx.viewer, input),
      removeCartLine: (_root, { input }, ctx) => carts.removeCartLine(ctx.viewer, input),
      clearCart: (_root, { cartId }, ctx) => carts.clearCart(ctx.viewer, cartId),
      mergeCart: (_root, { cartId }, ctx) => carts.mergeCart(ctx.viewer, cartId),
    } satisfies MutationResolvers,
    Cart: {
      customer: (cart) => carts.customerOf(cart),
      // Units need no prices: the stored quantities.
      quantity: (cart) => cart.lines.reduce((sum, line) => sum + line.quantity, 0),
      lines: async (cart, _args, ctx) => (await ctx.loaders.pricedCart.load(cart)).lines,
      subtotal: async (cart, _args, ctx) => (await ctx.loaders.pricedCart.load(cart)).subtotal,
      expiresAt: (cart) => carts.expiresAt(cart),
    } satisfies CartResolvers,
    CartLine: {
      product: (line) => ({ id: line.line.productId }),
      // A reference products resolves (a line is one variant; variantTitle is the priced line's).
      variant: (line) => ({ id: line.line.variantId }),
      quantity: (line) => line.line.quantity,
      addedUnitPrice: (line) => line.line.addedUnitPrice,
      priceChanged: (line) => priceChanged(line),
    } satisfies CartLineResolvers,
  };
}
