import { referenceId } from '@shop/graphql';
import type { ProductVariantResolvers, Resolvers } from '../__generated__/resolvers-types';
import type { Context } from '../context';
import type { VariantsService } from '../variants.service';

/**
 * The variants' share of the resolvers: ProductVariant (its reference resolved by variant id through
 * the request's product loader), Product.variants, Query.productVariant and the admin mutations
 * addVariant, updateVariant, removeVariant and adjustStock. Thin: every rule (who sees stock, what
 * input is accepted) is the service's. The service is only used inside resolvers, so a partial
 * service (unit tests of the server) builds a schema too.
 */
export function variantResolvers(variants: VariantsService): Resolvers {
  const byId = (id: unknown, ctx: Context) =>
    variants.variantById(id, (productId) => ctx.loaders.product.load(productId));
  const variant: ProductVariantResolvers = {
    // A representation whose id is not a variant id as issued is null, never an error.
    __resolveReference: (ref, ctx) => byId(referenceId(ref), ctx),
    stock: (v, _args, ctx) => variants.stockFor(ctx.viewer, v.stock),
    inStock: (v) => v.stock > 0,
    availability: (v) => variants.availability(v.stock),
    images: (v) => (v.images.length > 0 ? v.images : v.product.images),
    product: (v) => v.product,
  };
  return {
    Query: {
      productVariant: (_root, { id }, ctx) => byId(id, ctx),
    },
    Mutation: {
      addVariant: (_root, { productId, input }, ctx) => variants.addVariant(ctx.viewer, productId, input),
      updateVariant: (_root, { id, input }, ctx) => variants.updateVariant(ctx.viewer, id, input),
      removeVariant: (_root, { id }, ctx) => variants.removeVariant(ctx.viewer, id),
      adjustStock: (_root, { id, delta }, ctx) => variants.adjustStock(ctx.viewer, id, delta),
    },
    Product: {
      variants: (product) => variants.variantsOf(product),
    },
    ProductVariant: variant,
  };
}

/**
 * The catalogue's resolvers with the variants' merged in, type by type (the variants' win where both
 * name a field: adjustStock is theirs).
 */
export function withVariantResolvers(variants: VariantsService, resolvers: Resolvers): Resolvers {
  const own = variantResolvers(variants);
  return {
    ...resolvers,
    Query: { ...resolvers.Query, ...own.Query },
    Mutation: { ...resolvers.Mutation, ...own.Mutation },
    Product: { ...resolvers.Product, ...own.Product },
    ProductVariant: own.ProductVariant,
  };
}
