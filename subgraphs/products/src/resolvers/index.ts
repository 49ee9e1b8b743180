import { DateTimeScalar, referenceId } from '@shop/graphql';
import type { Resolvers } from '../__generated__/resolvers-types';
import type { ProductsService } from '../products.service';

/** Thin: GraphQL arguments in, service calls out. Unions carry __typename from the service. */
export function createResolvers(products: ProductsService): Resolvers {
  return {
    DateTime: DateTimeScalar,
    Query: {
      products: (_root, args) => products.listProducts(args),
      product: (_root, { id }, ctx) => ctx.loaders.product.load(id),
    },
    Mutation: {
      createProduct: (_root, { input }, ctx) => products.createProduct(ctx.viewer, input),
      updateProduct: (_root, { id, input }, ctx) => products.updateProduct(ctx.viewer, id, input),
      adjustStock: (_root, { id, delta }, ctx) => products.adjustStock(ctx.viewer, id, delta),
    },
    Product: {
      // A representation whose id is not a string is null, never a loader key (it would fail the batch).
      __resolveReference: (ref, ctx) => {
        const id = referenceId(ref);
        return id === null ? null : ctx.loaders.product.load(id);
      },
      inStock: (product) => product.stock > 0,
    },
  };
}
