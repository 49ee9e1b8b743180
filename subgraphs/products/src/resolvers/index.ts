import { DateTimeScalar, referenceId } from '@shop/graphql';
import type { Resolvers } from '../__generated__/resolvers-types';
import { isCategoryId } from '../categories.repository';
import type { Context } from '../context';
import type { ProductsService } from '../products.service';
import { withVariantResolvers } from './variants';

/**
 * Thin: GraphQL arguments in, service calls out. Unions carry __typename from the service. Every
 * category field reads the request's one category tree (ctx.loaders.categoryTree); a category
 * mutation forgets it so that its result is read from the tree as changed.
 */
export function createResolvers(products: ProductsService): Resolvers {
  const { categories } = products;
  const tree = (ctx: Context) => ctx.loaders.categoryTree.load();
  const scope = (ctx: Context, within?: string[]) => ({ tree: () => tree(ctx), within });
  const treeChanged = async <T>(ctx: Context, result: Promise<T>): Promise<T> => {
    try {
      return await result;
    } finally {
      ctx.loaders.categoryTree.clear();
    }
  };

  return withVariantResolvers(products.variants, {
    DateTime: DateTimeScalar,
    Query: {
      products: (_root, args, ctx) => products.listProducts(args, scope(ctx)),
      product: (_root, args, ctx) => products.product(args, (id) => ctx.loaders.product.load(id)),
      categories: async (_root, _args, ctx) => (await tree(ctx)).topLevel(),
      category: async (_root, { slug }, ctx) => categories.bySlug(await tree(ctx), slug),
    },
    Mutation: {
      createProduct: (_root, { input }, ctx) => products.createProduct(ctx.viewer, input),
      updateProduct: (_root, { id, input }, ctx) => products.updateProduct(ctx.viewer, id, input),
      createCategory: (_root, { input }, ctx) =>
        treeChanged(ctx, categories.createCategory(ctx.viewer, input)),
      updateCategory: (_root, { id, input }, ctx) =>
        treeChanged(ctx, categories.updateCategory(ctx.viewer, id, input)),
      deleteCategory: (_root, { id }, ctx) => treeChanged(ctx, categories.deleteCategory(ctx.viewer, id)),
    },
    Product: {
      // A representation whose id is not a string is null, never a loader key (it would fail the batch).
      __resolveReference: (ref, ctx) => {
        const id = referenceId(ref);
        return id === null ? null : ctx.loaders.product.load(id);
      },
      stock: (product, _args, ctx) => products.stockFor(ctx.viewer, product.stock),
      inStock: (product) => product.stock > 0,
      availability: (product) => products.availability(product.stock),
      categories: async (product, _args, ctx) => products.categoriesOf(product, await tree(ctx)),
      category: async (product, _args, ctx) => products.categoriesOf(product, await tree(ctx))[0]?.slug ?? '',
    },
    Category: {
      __resolveReference: async (ref, ctx) => {
        const id = referenceId(ref);
        return id !== null && isCategoryId(id) ? (await tree(ctx)).byIdOrNull(id) : null;
      },
      parent: async (category, _args, ctx) => (await tree(ctx)).parent(category.id),
      children: async (category, _args, ctx) => (await tree(ctx)).children(category.id),
      breadcrumbs: async (category, _args, ctx) => (await tree(ctx)).breadcrumbs(category.id),
      products: async (category, args, ctx) =>
        products.listProducts(args, scope(ctx, (await tree(ctx)).subtree(category.id))),
    },
    ProductConnection: {
      totalCount: (page) => page.totalCount(),
    },
    Image: {
      url: (image) => products.imageUrl(image.url),
    },
  });
}
