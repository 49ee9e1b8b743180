import { ServiceUnavailableError, type LookedUpProduct, type LookedUpVariant } from '@shop/messaging';
import { lookupProducts, type CartsDeps } from './carts.rules';
import type { CartModel } from './models';

/**
 * The answers of the cart mutations (carts.editing.ts) and which variant an edit means: a line of a
 * cart is one variant of a product (`<productId>-<n>`). With a variantId, it must be one of the
 * product's variants on sale now (products.lookup answers them); without one, the product's only
 * variant, or, for a product with several, an InvalidInputError on field variantId.
 */

export type CartResult =
  | (CartModel & { __typename: 'Cart' })
  | { __typename: 'CartNotFoundError'; message: string; cartId: string }
  | { __typename: 'InvalidInputError'; message: string; field: string }
  | { __typename: 'UnknownProductError'; message: string; productId: string; variantId: string | null }
  | { __typename: 'CartLineLimitError'; message: string; maxLines: number; maxQuantity: number }
  | { __typename: 'ProductsUnavailableError'; message: string };
export type Refusal = Exclude<CartResult, { __typename: 'Cart' }>;

export const asCart = (cart: CartModel): CartResult => ({ ...cart, __typename: 'Cart' });

export const cartNotFound = (cartId: string): Refusal => ({
  __typename: 'CartNotFoundError',
  message: 'No such cart (it may have expired or been merged).',
  cartId,
});
export const invalid = (message: string, field: string): Refusal => ({
  __typename: 'InvalidInputError',
  message,
  field,
});
export const unknownProduct = (productId: string): Refusal => ({
  __typename: 'UnknownProductError',
  message: `No product with id ${productId}.`,
  productId,
  variantId: null,
});
/** A variant id that names no variant of the product on sale (another form, another product's, removed). */
export const unknownVariant = (productId: string, variantId: string): Refusal => ({
  __typename: 'UnknownProductError',
  message: `Product ${productId} has no variant ${variantId}.`,
  productId,
  variantId,
});
export const lineLimit = (deps: CartsDeps): Refusal => ({
  __typename: 'CartLineLimitError',
  message: `A cart holds at most ${deps.maxCartLines} lines (one per variant) and ${deps.maxLineQuantity} units of one; nothing was changed.`,
  maxLines: deps.maxCartLines,
  maxQuantity: deps.maxLineQuantity,
});
export const productsUnavailable: Refusal = {
  __typename: 'ProductsUnavailableError',
  message: 'The products service did not answer; the cart was not changed. Try again.',
};

/** Thrown inside a transaction to roll it back and answer the refusal. */
export class Refused extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.__typename);
  }
}

/** products.lookup of one product: the product, its absence (UnknownProductError) or no answer. */
export async function lookupOne(deps: CartsDeps, productId: string): Promise<LookedUpProduct | Refusal> {
  try {
    const found = await lookupProducts(deps, [productId]);
    const product = found.get(productId);
    // A product without a variant in the issued form has nothing to sell.
    return product && product.variants.length > 0 ? product : unknownProduct(productId);
  } catch (error) {
    if (error instanceof ServiceUnavailableError) return productsUnavailable;
    throw error;
  }
}

/**
 * The variant an add (or a change of a line not in the cart) means: the one named, which must be
 * on sale now, or without a name the product's only variant; a product with several is refused.
 */
export function chooseVariant(
  product: LookedUpProduct,
  variantId: string | null | undefined,
): LookedUpVariant | Refusal {
  if (variantId !== null && variantId !== undefined)
    return (
      product.variants.find((v) => v.variantId === variantId) ?? unknownVariant(product.productId, variantId)
    );
  const [only, ...more] = product.variants;
  if (!only) return unknownProduct(product.productId);
  if (more.length > 0)
    return invalid(
      `Choose a variant of ${product.name}: it comes in ${product.variants.length} variants; give variantId.`,
      'variantId',
    );
  return only;
}

/**
 * The variant updateCartLine means without a variantId: the cart's only line of the product (its
 * variant must still be on sale), or, with no line of it, what an add would take; a cart holding
 * several variants of the product is refused (name the line).
 */
export function lineVariant(
  product: LookedUpProduct,
  lines: readonly { productId: string; variantId: string }[],
): LookedUpVariant | Refusal {
  const mine = lines.filter((l) => l.productId === product.productId);
  if (mine.length === 0) return chooseVariant(product, null);
  if (mine.length > 1) return severalLines(product.productId, mine.length);
  return chooseVariant(product, mine[0]!.variantId);
}

/** updateCartLine without a variantId on a cart holding several variants of the product. */
export const severalLines = (productId: string, n: number): Refusal =>
  invalid(`The cart holds ${n} variants of product ${productId}; give the line's variantId.`, 'variantId');
