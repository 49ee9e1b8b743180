import { randomBytes } from 'node:crypto';
import type { Viewer } from '@shop/auth';
import type { Money } from '@shop/graphql';
import {
  ID_FORMS,
  isVariantId,
  parseVariantId,
  type LookedUpProduct,
  type LookedUpVariant,
  type LookupReply,
} from '@shop/messaging';
import type { Logger } from '@shop/server';
import type { CartsRepository } from './carts.repository';
import type { CartLineStatus, CartModel, PricedCart, PricedCartLine } from './models';

/** What every cart rule works with: ids, who may use a cart, expiry, products.lookup and pricing. */

/** How carts reach products: products.lookup (NATS in the app, a fake in unit tests). */
export interface CartProducts {
  /** At most 100 ids; throws ServiceUnavailableError when products does not answer. */
  lookup(productIds: string[]): Promise<LookupReply>;
}

export interface CartsServiceDeps {
  repository: CartsRepository;
  products: CartProducts;
  log: Logger;
  /** A cart not changed for this long is gone (CART_IDLE_SECONDS). */
  idleSeconds: number;
  /** Most lines (variants) in a cart (MAX_CART_LINES). */
  maxCartLines: number;
  /** Most units of one line (variant) in a cart (MAX_LINE_QUANTITY). */
  maxLineQuantity: number;
  /** Largest total of a line or a cart at the prices its lines were added at (MAX_ORDER_TOTAL). */
  maxOrderTotal?: number;
  now?: () => Date;
}

export type CartsDeps = Required<CartsServiceDeps>;

/** A cart id as issued: 22 base64url characters (16 random bytes); case matters. */
export const isCartId = (value: unknown): value is string =>
  typeof value === 'string' && ID_FORMS.hash.test(value);

/** A new cart id: 16 random bytes, base64url (22 characters). */
export const newCartId = () => randomBytes(16).toString('base64url');

/** The currency of a cart's subtotal when no line tells (an empty cart). */
export const DEFAULT_CURRENCY = 'EUR';

/** products.lookup takes at most this many ids per request. */
const LOOKUP_MAX = 100;

/** True when the cart has not been changed for idleSeconds: it reads as not found. */
export const isExpired = (deps: CartsDeps, cart: { updatedAt: Date }) =>
  cart.updatedAt.getTime() + deps.idleSeconds * 1000 <= deps.now().getTime();

/**
 * Who may use a cart: anyone holding the id of an anonymous cart; only its customer for a customer's
 * cart (an admin does not edit or read other people's carts). Expired carts are nobody's.
 */
export const mayUse = (
  deps: CartsDeps,
  viewer: Viewer | null,
  cart: { userId: string | null; updatedAt: Date },
) => !isExpired(deps, cart) && (cart.userId === null || (viewer !== null && viewer.id === cart.userId));

/** products.lookup of these ids (in requests of at most 100), by id; missing ids are gone. */
export async function lookupProducts(
  deps: CartsDeps,
  ids: readonly string[],
): Promise<Map<string, LookedUpProduct>> {
  const found = new Map<string, LookedUpProduct>();
  for (let i = 0; i < ids.length; i += LOOKUP_MAX) {
    const chunk = ids.slice(i, i + LOOKUP_MAX);
    const reply = await deps.products.lookup(chunk);
    if (!reply.ok) throw new Error(`products refused a lookup: ${reply.message}`);
    const asked = new Set(chunk);
    // Only what was asked, in the form asked, with variants of that product in the issued form: a
    // broken answer never prices another product or variant.
    for (const p of reply.products)
      if (asked.has(p.productId))
        found.set(p.productId, {
          ...p,
          variants: p.variants.filter((v) => isVariantOf(v.variantId, p.productId)),
        });
  }
  return found;
}

/** A variant id in the issued form (`<productId>-<n>`) of this product. */
export const isVariantOf = (variantId: unknown, productId: string): variantId is string =>
  isVariantId(variantId) && parseVariantId(variantId).productId === productId;

/** The looked-up variant of a line, or undefined when the product or the variant is gone. */
export const variantOf = (
  products: ReadonlyMap<string, LookedUpProduct>,
  line: { productId: string; variantId: string },
): LookedUpVariant | undefined =>
  products.get(line.productId)?.variants.find((v) => v.variantId === line.variantId);

/**
 * A cart's lines at the looked-up prices and stock of their variants; the subtotal in the first
 * priced line's currency. A line whose product or variant is gone is PRODUCT_UNAVAILABLE.
 */
export function priceCart(cart: CartModel, products: ReadonlyMap<string, LookedUpProduct>): PricedCart {
  const lines = cart.lines.map((line): PricedCartLine => {
    const product = products.get(line.productId);
    const variant = variantOf(products, line);
    if (!product || !variant) {
      return {
        line,
        unitPrice: null,
        lineTotal: null,
        available: 0,
        status: 'PRODUCT_UNAVAILABLE',
        productName: product?.name ?? line.productName,
        variantTitle: line.variantTitle,
      };
    }
    const status: CartLineStatus =
      variant.available >= line.quantity
        ? 'AVAILABLE'
        : variant.available > 0
          ? 'INSUFFICIENT_STOCK'
          : 'OUT_OF_STOCK';
    return {
      line,
      unitPrice: variant.unitPrice,
      lineTotal: { amount: variant.unitPrice.amount * line.quantity, currency: variant.unitPrice.currency },
      available: variant.available,
      status,
      productName: product.name,
      variantTitle: variant.title,
    };
  });
  const currency =
    lines.find((l) => l.unitPrice)?.unitPrice?.currency ??
    cart.lines[0]?.addedUnitPrice.currency ??
    DEFAULT_CURRENCY;
  // A line priced in another currency (its product changed currency) cannot be added up: it is
  // left out of the subtotal (checkout refuses a cart of two currencies).
  const subtotal: Money = {
    amount: lines.reduce(
      (sum, l) => (l.lineTotal?.currency === currency ? sum + l.lineTotal.amount : sum),
      0,
    ),
    currency,
  };
  return { cart, lines, subtotal, quantity: cart.lines.reduce((sum, l) => sum + l.quantity, 0) };
}

/** True when the unit price now differs from the one the line was added at (false once it is gone). */
export const priceChanged = (line: PricedCartLine) =>
  line.unitPrice !== null &&
  (line.unitPrice.amount !== line.line.addedUnitPrice.amount ||
    line.unitPrice.currency !== line.line.addedUnitPrice.currency);
