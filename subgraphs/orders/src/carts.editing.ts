import type { Viewer } from '@shop/auth';
import { requireViewer } from '@shop/auth';
import { isProductId, type LookedUpProduct, type LookedUpVariant } from '@shop/messaging';
import type { Sql } from './db';
import type { CartLineWrite } from './carts.repository';
import { isCartId, isExpired, isVariantOf, mayUse, newCartId, type CartsDeps } from './carts.rules';
import {
  asCart,
  cartNotFound,
  chooseVariant,
  invalid,
  lineLimit,
  lineVariant,
  lookupOne,
  Refused,
  severalLines,
  unknownProduct,
  unknownVariant,
  type CartResult,
  type Refusal,
} from './carts.variants';

export { cartNotFound, type CartResult } from './carts.variants';

/**
 * The editing rules of carts: addToCart, updateCartLine, removeCartLine, clearCart, mergeCart. A
 * line is one variant of a product (carts.variants.ts says which). Each runs in one transaction
 * holding the cart's row lock (SELECT ... FOR UPDATE), so concurrent edits of one cart queue up and
 * none is lost; every change bumps version and updated_at. A refusal changes nothing (the
 * transaction is rolled back).
 */

export interface AddToCartInput {
  cartId?: string | null;
  productId: string;
  /** Absent: the product's only variant (refused for a product with several). */
  variantId?: string | null;
  quantity: number;
}
export interface UpdateCartLineInput {
  cartId: string;
  productId: string;
  /** Absent: the cart's only line of the product (refused when it holds several). */
  variantId?: string | null;
  quantity: number;
}
export interface RemoveCartLineInput {
  cartId: string;
  productId: string;
  /** Absent: every line of the product. */
  variantId?: string | null;
}

const given = <T>(value: T | null | undefined): value is T => value !== null && value !== undefined;

/** What an edit did: nothing to bump (the cart as it is), or changed (version and updated_at bumped). */
type Edit = (conn: Sql, cartId: string, lines: CartLineWrite[]) => Promise<'changed' | 'unchanged'>;

/**
 * Locks the cart, checks the viewer may use it, runs the edit, bumps the cart when it changed and
 * answers it as committed. `locate` finds (or creates) the cart's id inside the transaction.
 */
async function editCart(
  deps: CartsDeps,
  locate: (conn: Sql) => Promise<string | Refusal>,
  edit: Edit,
): Promise<CartResult> {
  const { repository } = deps;
  try {
    return await repository.transaction(async (conn) => {
      const located = await locate(conn);
      if (typeof located !== 'string') throw new Refused(located);
      const lines = await repository.lineRowsOf(conn, located);
      if ((await edit(conn, located, lines)) === 'changed') await repository.touch(conn, located, deps.now());
      const cart = await repository.findById(located, conn);
      if (!cart) throw new Error(`cart ${located} vanished under its row lock`);
      return asCart(cart);
    });
  } catch (error) {
    if (error instanceof Refused) return error.refusal;
    throw error;
  }
}

/** A cart given by id: locked, then usable by the viewer (else not found, whatever the reason). */
const byId =
  (deps: CartsDeps, viewer: Viewer | null, cartId: string) =>
  async (conn: Sql): Promise<string | Refusal> => {
    const row = await deps.repository.lockRow(conn, cartId);
    return row && mayUse(deps, viewer, row) ? cartId : cartNotFound(cartId);
  };

/**
 * The signed-in customer's cart, locked; created when missing (INSERT IGNORE on the unique user_id,
 * so concurrent first adds end in one cart) or replaced when it expired.
 */
export async function lockCustomerCart(deps: CartsDeps, conn: Sql, userId: string): Promise<string> {
  const { repository } = deps;
  let row = await repository.lockRowOfUser(conn, userId);
  if (row && isExpired(deps, row)) {
    await repository.deleteCart(conn, row.id);
    row = null;
  }
  if (row) return row.id;
  await repository.insertCart(conn, newCartId(), userId, deps.now());
  row = await repository.lockRowOfUser(conn, userId);
  if (!row) throw new Error(`the cart of ${userId} was neither inserted nor found`);
  return row.id;
}

/** Quantities are whole numbers; the bounds are checked by the callers. */
const isCount = (n: number) => Number.isSafeInteger(n);

/**
 * Writes the variant's line with `quantity` units at its looked-up price, the product's name and the
 * variant's title, checking the line count, the currency (one per cart) and the line's and cart's
 * total at the added prices.
 */
function writeLine(
  deps: CartsDeps,
  conn: Sql,
  cartId: string,
  lines: CartLineWrite[],
  product: LookedUpProduct,
  variant: LookedUpVariant,
  quantity: number,
): Promise<'changed'> {
  const existing = lines.find((l) => l.variantId === variant.variantId);
  const others = lines.filter((l) => l.variantId !== variant.variantId);
  if (quantity > deps.maxLineQuantity) throw new Refused(lineLimit(deps));
  if (!existing && lines.length >= deps.maxCartLines) throw new Refused(lineLimit(deps));
  const currency = variant.unitPrice.currency;
  if (others.some((l) => l.addedUnitPrice.currency !== currency))
    throw new Refused(
      invalid(
        `All products of a cart must be priced in one currency (this one is in ${currency}).`,
        'productId',
      ),
    );
  const total =
    others.reduce((sum, l) => sum + l.addedUnitPrice.amount * l.quantity, 0) +
    variant.unitPrice.amount * quantity;
  if (total > deps.maxOrderTotal)
    throw new Refused(invalid(`A cart may total at most ${deps.maxOrderTotal} (minor units).`, 'quantity'));
  const position = existing?.position ?? lines.reduce((max, l) => Math.max(max, l.position + 1), 0);
  return deps.repository
    .putLine(conn, cartId, {
      productId: product.productId,
      variantId: variant.variantId,
      quantity,
      addedUnitPrice: variant.unitPrice,
      productName: product.name,
      variantTitle: variant.title,
      position,
    })
    .then(() => 'changed' as const);
}

/**
 * The ids of an edit before anything is read: a product id in the issued form, a variant id (when
 * given) in the issued form of that product. Anything else names nothing and never reaches
 * products or a query.
 */
function checkIds(productId: string, variantId: string | null | undefined): Refusal | null {
  if (!isProductId(productId)) return unknownProduct(productId);
  if (given(variantId) && !isVariantOf(variantId, productId)) return unknownVariant(productId, variantId);
  return null;
}

/**
 * addToCart: adds units to the variant's line (or a new line) of the cart, the customer's or a new
 * anonymous one.
 */
export async function addToCart(
  deps: CartsDeps,
  viewer: Viewer | null,
  input: AddToCartInput,
): Promise<CartResult> {
  const { cartId, productId, variantId, quantity } = input;
  if (given(cartId) && !isCartId(cartId)) return cartNotFound(cartId);
  if (!isCount(quantity) || quantity < 1) return invalid('quantity must be at least 1', 'quantity');
  if (quantity > deps.maxLineQuantity) return lineLimit(deps);
  const bad = checkIds(productId, variantId);
  if (bad) return bad;
  const product = await lookupOne(deps, productId);
  if ('__typename' in product) return product;
  const variant = chooseVariant(product, variantId);
  if ('__typename' in variant) return variant;

  const locate = given(cartId)
    ? byId(deps, viewer, cartId)
    : viewer
      ? (conn: Sql) => lockCustomerCart(deps, conn, viewer.id)
      : async (conn: Sql) => {
          const id = newCartId();
          await deps.repository.insertCart(conn, id, null, deps.now());
          return id;
        };
  return editCart(deps, locate, (conn, id, lines) => {
    const existing = lines.find((l) => l.variantId === variant.variantId);
    return writeLine(deps, conn, id, lines, product, variant, (existing?.quantity ?? 0) + quantity);
  });
}

/**
 * updateCartLine: sets a line's quantity (0 removes it; a missing line with a quantity is added).
 * Without a variantId it means the cart's only line of the product (see lineVariant).
 */
export async function updateCartLine(
  deps: CartsDeps,
  viewer: Viewer | null,
  input: UpdateCartLineInput,
): Promise<CartResult> {
  const { cartId, productId, variantId, quantity } = input;
  if (!isCartId(cartId)) return cartNotFound(cartId);
  if (!isCount(quantity) || quantity < 0) return invalid('quantity must be 0 or more', 'quantity');
  if (quantity > deps.maxLineQuantity) return lineLimit(deps);
  if (quantity === 0) return dropLines(deps, viewer, { cartId, productId, variantId }, 'one');
  const bad = checkIds(productId, variantId);
  if (bad) return bad;
  const product = await lookupOne(deps, productId);
  if ('__typename' in product) return product;
  // Which variant is decided under the lock, from the lines as they are then.
  return editCart(deps, byId(deps, viewer, cartId), (conn, id, lines) => {
    const variant = given(variantId) ? chooseVariant(product, variantId) : lineVariant(product, lines);
    if ('__typename' in variant) throw new Refused(variant);
    return writeLine(deps, conn, id, lines, product, variant, quantity);
  });
}

/**
 * removeCartLine: removes the variant's line, or without a variantId every line of the product; a
 * line not in the cart (or an id not in the issued form) is no error.
 */
export function removeCartLine(
  deps: CartsDeps,
  viewer: Viewer | null,
  input: RemoveCartLineInput,
): Promise<CartResult> {
  return dropLines(deps, viewer, input, 'all');
}

/**
 * Deletes the lines an input names: the variant's, or without a variantId the product's (`all`:
 * every one; `one`: updateCartLine's quantity 0, refused when the cart holds several).
 */
function dropLines(
  deps: CartsDeps,
  viewer: Viewer | null,
  input: RemoveCartLineInput,
  many: 'all' | 'one',
): Promise<CartResult> {
  const { cartId, productId, variantId } = input;
  if (!isCartId(cartId)) return Promise.resolve(cartNotFound(cartId));
  return editCart(deps, byId(deps, viewer, cartId), async (conn, id, lines) => {
    const named = lines.filter(
      (l) => l.productId === productId && (!given(variantId) || l.variantId === variantId),
    );
    if (named.length === 0) return 'unchanged';
    if (named.length > 1 && many === 'one') throw new Refused(severalLines(productId, named.length));
    await deps.repository.deleteLines(
      conn,
      id,
      named.map((l) => l.variantId),
    );
    return 'changed';
  });
}

/** clearCart: every line and the discount code go (an empty cart without a code is unchanged). */
export function clearCart(deps: CartsDeps, viewer: Viewer | null, cartId: string): Promise<CartResult> {
  if (!isCartId(cartId)) return Promise.resolve(cartNotFound(cartId));
  return editCart(deps, byId(deps, viewer, cartId), async (conn, id, lines) => {
    const row = await deps.repository.findById(id, conn);
    if (lines.length === 0 && !row?.discountCode) return 'unchanged';
    // emptyCart bumps version and updated_at itself.
    await deps.repository.emptyCart(conn, id, deps.now());
    return 'unchanged';
  });
}

/**
 * mergeCart: the anonymous cart's lines go into the signed-in customer's cart (created when
 * missing): quantities of one variant added up to at most MAX_LINE_QUANTITY, new variants appended
 * in their order while the cart has fewer than MAX_CART_LINES lines (the rest are dropped); its
 * code is taken when the customer's cart has none; the anonymous cart is deleted. Both rows are
 * locked in id order (no deadlock between merges); a replay finds the anonymous cart gone.
 */
export async function mergeCart(
  deps: CartsDeps,
  viewerOrNull: Viewer | null,
  cartId: string,
): Promise<CartResult> {
  const viewer = requireViewer(viewerOrNull);
  if (!isCartId(cartId)) return cartNotFound(cartId);
  const { repository } = deps;
  const locate = async (conn: Sql): Promise<string | Refusal> => {
    const targetId = await repository.idOfUserCart(viewer.id, conn);
    if (targetId === cartId) return cartNotFound(cartId);
    const rows = new Map<string, Awaited<ReturnType<typeof repository.lockRow>>>();
    for (const id of [cartId, ...(targetId ? [targetId] : [])].sort())
      rows.set(id, await repository.lockRow(conn, id));
    const source = rows.get(cartId);
    if (!source || source.userId !== null || isExpired(deps, source)) return cartNotFound(cartId);
    // The customer's cart: the one locked above unless it changed hands meanwhile (expired, deleted).
    const locked = targetId ? rows.get(targetId) : null;
    const target =
      locked && locked.userId === viewer.id && !isExpired(deps, locked)
        ? locked.id
        : await lockCustomerCart(deps, conn, viewer.id);
    const [sourceLines, targetLines, targetCart] = [
      await repository.lineRowsOf(conn, cartId),
      await repository.lineRowsOf(conn, target),
      await repository.findById(target, conn),
    ];
    const byVariant = new Map(targetLines.map((l) => [l.variantId, l]));
    let next = targetLines.reduce((max, l) => Math.max(max, l.position + 1), 0);
    for (const line of sourceLines) {
      const mine = byVariant.get(line.variantId);
      if (mine) {
        const quantity = Math.min(deps.maxLineQuantity, mine.quantity + line.quantity);
        if (quantity !== mine.quantity) await repository.putLine(conn, target, { ...mine, quantity });
      } else if (byVariant.size < deps.maxCartLines) {
        const added = { ...line, quantity: Math.min(deps.maxLineQuantity, line.quantity), position: next++ };
        byVariant.set(line.variantId, added);
        await repository.putLine(conn, target, added);
      }
    }
    if (!targetCart?.discountCode && source.discountCode)
      await repository.setDiscountCode(conn, target, source.discountCode, deps.now());
    await repository.deleteCart(conn, cartId);
    return target;
  };
  // The customer's cart changed (or at least was touched by the merge): bump it.
  return editCart(deps, locate, () => Promise.resolve('changed'));
}
