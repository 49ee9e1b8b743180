import type { Viewer } from '@shop/auth';
import { badUserInput, serviceUnavailable } from '@shop/errors';
import { isUserId, ServiceUnavailableError, type LookedUpProduct } from '@shop/messaging';
import {
  addToCart,
  clearCart,
  mergeCart,
  removeCartLine,
  updateCartLine,
  type AddToCartInput,
  type CartResult,
  type RemoveCartLineInput,
  type UpdateCartLineInput,
} from './carts.editing';
import type { CartConn, CartsRepository } from './carts.repository';
import {
  isCartId,
  lookupProducts,
  mayUse,
  priceCart,
  type CartProducts,
  type CartsDeps,
  type CartsServiceDeps,
} from './carts.rules';
import type { CartModel, PricedCart, UserRef } from './models';

export { isCartId, priceChanged } from './carts.rules';
export type {
  AddToCartInput,
  CartProducts,
  CartResult,
  CartsServiceDeps,
  RemoveCartLineInput,
  UpdateCartLineInput,
};

/**
 * The rules of carts: who may use which cart, the editing rules (carts.editing.ts), live pricing
 * through products.lookup and expiry. Every change runs under the cart's row lock.
 */
export class CartsService {
  readonly deps: CartsDeps;

  constructor(deps: CartsServiceDeps) {
    this.deps = {
      ...deps,
      maxOrderTotal: deps.maxOrderTotal ?? 10_000_000,
      now: deps.now ?? (() => new Date()),
    };
  }

  // ---- reading ------------------------------------------------------------------------------

  /**
   * Query.cart: with an id, that cart when the viewer may use it; without, the signed-in customer's
   * own cart (null for an anonymous request or a customer without one). Null for anything else:
   * unknown, expired, merged, someone else's, or an id not in the issued form.
   */
  async cartFor(viewer: Viewer | null, id: string | null | undefined): Promise<CartModel | null> {
    if (id !== null && id !== undefined) return this.usableCart(viewer, id);
    if (!viewer || !isUserId(viewer.id)) return null;
    const cart = await this.deps.repository.findByUser(viewer.id);
    return cart && mayUse(this.deps, viewer, cart) ? cart : null;
  }

  /** The cart with this id when the viewer may use it now (checkout's entry), else null. */
  async usableCart(viewer: Viewer | null, cartId: string): Promise<CartModel | null> {
    if (!isCartId(cartId)) return null;
    const cart = await this.deps.repository.findById(cartId);
    return cart && mayUse(this.deps, viewer, cart) ? cart : null;
  }

  /** Cart.customer: a User stub for a customer's cart, null for an anonymous one. */
  customerOf(cart: CartModel): UserRef | null {
    return cart.userId === null ? null : { id: cart.userId };
  }

  /** Cart.expiresAt: CART_IDLE_SECONDS after the last change. */
  expiresAt(cart: CartModel): Date {
    return new Date(cart.updatedAt.getTime() + this.deps.idleSeconds * 1000);
  }

  // ---- editing (carts.editing.ts) ---------------------------------------------------------

  addToCart(viewer: Viewer | null, input: AddToCartInput): Promise<CartResult> {
    return addToCart(this.deps, viewer, input);
  }

  updateCartLine(viewer: Viewer | null, input: UpdateCartLineInput): Promise<CartResult> {
    return updateCartLine(this.deps, viewer, input);
  }

  removeCartLine(viewer: Viewer | null, input: RemoveCartLineInput): Promise<CartResult> {
    return removeCartLine(this.deps, viewer, input);
  }

  clearCart(viewer: Viewer | null, cartId: string): Promise<CartResult> {
    return clearCart(this.deps, viewer, cartId);
  }

  mergeCart(viewer: Viewer | null, cartId: string): Promise<CartResult> {
    return mergeCart(this.deps, viewer, cartId);
  }

  /**
   * Puts a code on the cart (null removes it), bumping version and updated_at, under the cart's row
   * lock. The code is stored as given (the caller normalises and checks it; at most 32 characters).
   * Null when the viewer may not use the cart (the same for unknown, expired and other people's).
   */
  async setDiscountCode(
    viewer: Viewer | null,
    cartId: string,
    code: string | null,
  ): Promise<CartModel | null> {
    if (code !== null && (code.length < 1 || code.length > 32))
      throw badUserInput('A discount code has 1 to 32 characters', 'code');
    if (!isCartId(cartId)) return null;
    const { repository } = this.deps;
    return repository.transaction(async (conn) => {
      const row = await repository.lockRow(conn, cartId);
      if (!row || !mayUse(this.deps, viewer, row)) return null;
      await repository.setDiscountCode(conn, cartId, code, this.deps.now());
      return repository.findById(cartId, conn);
    });
  }

  /** The repository, for statements inside another transaction (checkout: lockCart, emptyCart). */
  get repository(): CartsRepository {
    return this.deps.repository;
  }

  /** Locks the cart inside the caller's transaction (see CartsRepository.lockCart). */
  lockCart(conn: CartConn, cartId: string) {
    return this.deps.repository.lockCart(conn, cartId);
  }

  /**
   * Inside the caller's transaction: locks the cart's row and answers the cart (lines read under
   * the lock) when the viewer may use it now; null otherwise (unknown, expired, someone else's, an
   * id not in the issued form).
   */
  async lockUsable(conn: CartConn, viewer: Viewer | null, cartId: string): Promise<CartModel | null> {
    if (!isCartId(cartId)) return null;
    const row = await this.deps.repository.lockRow(conn, cartId);
    if (!row || !mayUse(this.deps, viewer, row)) return null;
    return this.deps.repository.findById(cartId, conn);
  }

  /** Inside the caller's transaction, the cart locked: every line and the code go (checkout). */
  emptyCart(conn: CartConn, cartId: string): Promise<void> {
    return this.deps.repository.emptyCart(conn, cartId, this.deps.now());
  }

  // ---- pricing -----------------------------------------------------------------------------

  /**
   * The cart at today's prices and stock: one products.lookup (per 100 products). Throws
   * ServiceUnavailableError when products does not answer: no price is ever made up.
   */
  async price(cart: CartModel): Promise<PricedCart> {
    const [priced] = await this.priceMany([cart]);
    return priced!;
  }

  /** Several carts with one lookup of all their products (the loader's batch). */
  async priceMany(carts: readonly CartModel[]): Promise<PricedCart[]> {
    const ids = [...new Set(carts.flatMap((c) => c.lines.map((l) => l.productId)))];
    const products = await this.lookup(ids);
    return carts.map((cart) => priceCart(cart, products));
  }

  /** priceMany for GraphQL reads: products not answering is the SERVICE_UNAVAILABLE error. */
  async priceForRead(carts: readonly CartModel[]): Promise<PricedCart[]> {
    try {
      return await this.priceMany(carts);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableError)) throw error;
      this.deps.log.warn({ err: error }, 'products did not answer a cart lookup');
      throw serviceUnavailable(
        'The products service did not answer; the cart cannot be priced now. Try again.',
      );
    }
  }

  /** products.lookup of these ids (in requests of at most 100), by id; missing ids are gone. */
  lookup(ids: readonly string[]): Promise<Map<string, LookedUpProduct>> {
    return lookupProducts(this.deps, ids);
  }

  // ---- expiry ------------------------------------------------------------------------------

  /** Deletes at most `batch` carts idle for longer than CART_IDLE_SECONDS; returns how many. */
  async expireIdle(batch = 500): Promise<number> {
    const before = new Date(this.deps.now().getTime() - this.deps.idleSeconds * 1000);
    const deleted = await this.deps.repository.deleteIdle(before, batch);
    if (deleted > 0) this.deps.log.info({ deleted }, 'idle carts deleted');
    return deleted;
  }
}
