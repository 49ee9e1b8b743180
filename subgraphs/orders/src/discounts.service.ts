import { requireAdmin, type Viewer } from '@shop/auth';
import {
  decodeCursor,
  encodeCursor,
  pageSize,
  toConnection,
  type Connection,
  type Money,
} from '@shop/graphql';
import { ServiceUnavailableError } from '@shop/messaging';
import type { Logger } from '@shop/server';
import type { CartResult, CartsService } from './carts.service';
import {
  newDiscountCode,
  normalizeCode,
  type CreateDiscountCodeInput,
  type CreateDiscountCodeResult,
} from './discounts.admin';
import type { DiscountConn, DiscountsRepository } from './discounts.repository';
import type { CartModel, DiscountCodeModel, PricedCart } from './models';

/**
 * The rules of discount codes: their shape, who may create and list them (admins), whether a code
 * applies to a subtotal now, and taking / giving back a use. A use is taken only inside the order's
 * transaction with the code's row locked (use), so the last use of a code goes to exactly one
 * order however many checkouts race for it; cancelled and expired orders give theirs back
 * (giveBack, in the cancel's transaction).
 */

/** Why a code does not apply; the members of the result unions. */
export type DiscountRefusal =
  | { __typename: 'DiscountCodeNotFoundError'; message: string; code: string }
  | {
      __typename: 'DiscountCodeNotActiveError';
      message: string;
      code: string;
      startsAt: Date | null;
      endsAt: Date | null;
    }
  | { __typename: 'DiscountCodeMinimumNotMetError'; message: string; code: string; minimumSubtotal: Money }
  | { __typename: 'DiscountCodeUsedUpError'; message: string; code: string }
  | { __typename: 'DiscountCodeAlreadyUsedError'; message: string; code: string };

/** A code that applies, and what it takes off. */
export interface DiscountApplies {
  ok: true;
  code: DiscountCodeModel;
  discount: Money;
}
export type DiscountCheck = DiscountApplies | { ok: false; refusal: DiscountRefusal };

export type ApplyDiscountCodeResult =
  | (CartModel & { __typename: 'Cart' })
  | { __typename: 'CartNotFoundError'; message: string; cartId: string }
  | { __typename: 'InvalidInputError'; message: string; field: string }
  | { __typename: 'ProductsUnavailableError'; message: string }
  | DiscountRefusal;

/** Cart.discount and Cart.discountProblem: what the cart's code takes off now, or why it would not. */
export interface CartDiscount {
  discount: Money;
  problem: string | null;
}

export interface DiscountsServiceDeps {
  repository: DiscountsRepository;
  /** The carts codes are put on (applyToCart, removeFromCart). */
  carts: CartsService;
  log: Logger;
  /** The shop's currency (that of the shipping methods): minimum subtotals and fixed amounts are in it. */
  currency: string;
  /** Largest order total (MAX_ORDER_TOTAL): the bound of fixed amounts and minimum subtotals. */
  maxOrderTotal?: number;
  now?: () => Date;
}

export { normalizeCode };
export type { CreateDiscountCodeInput, CreateDiscountCodeResult };

/** What a code takes off a subtotal: floor(subtotal × percent / 100), or the fixed amount capped at it. */
export function discountOf(code: Pick<DiscountCodeModel, 'kind' | 'value'>, subtotal: number): number {
  if (code.kind === 'PERCENTAGE') return Math.floor((subtotal * code.value) / 100);
  return Math.min(code.value, subtotal);
}

export class DiscountsService {
  readonly currency: string;
  private readonly repository: DiscountsRepository;
  private readonly carts: CartsService;
  private readonly log: Logger;
  private readonly maxOrderTotal: number;
  private readonly now: () => Date;

  constructor(deps: DiscountsServiceDeps) {
    this.repository = deps.repository;
    this.carts = deps.carts;
    this.log = deps.log;
    this.currency = deps.currency;
    this.maxOrderTotal = deps.maxOrderTotal ?? 10_000_000;
    this.now = deps.now ?? (() => new Date());
  }

  // ---- whether a code applies ---------------------------------------------------------------

  /**
   * Whether a code applies to `subtotal` now, in the order of the refusals: not found, not active
   * (before startsAt, from endsAt on), minimum not met, used up, already used by this customer
   * (`customerUses`: the customer's orders that use it; null when there is no customer).
   */
  evaluate(
    code: DiscountCodeModel | null,
    given: string,
    subtotal: Money,
    customerUses: number | null,
  ): DiscountCheck {
    if (!code)
      return refuse({
        __typename: 'DiscountCodeNotFoundError',
        message: `No discount code ${given}.`,
        code: given,
      });
    const now = this.now().getTime();
    if ((code.startsAt && now < code.startsAt.getTime()) || (code.endsAt && now >= code.endsAt.getTime())) {
      return refuse({
        __typename: 'DiscountCodeNotActiveError',
        message: `The code ${code.code} is not valid now.`,
        code: code.code,
        startsAt: code.startsAt,
        endsAt: code.endsAt,
      });
    }
    if (code.minimumSubtotal !== null && subtotal.amount < code.minimumSubtotal) {
      return refuse({
        __typename: 'DiscountCodeMinimumNotMetError',
        message: `The code ${code.code} applies from a subtotal of ${code.minimumSubtotal} (minor units).`,
        code: code.code,
        minimumSubtotal: { amount: code.minimumSubtotal, currency: this.currency },
      });
    }
    if (code.usageLimit !== null && code.timesUsed >= code.usageLimit) {
      return refuse({
        __typename: 'DiscountCodeUsedUpError',
        message: `Every use of the code ${code.code} is taken.`,
        code: code.code,
      });
    }
    if (
      code.usageLimitPerCustomer !== null &&
      customerUses !== null &&
      customerUses >= code.usageLimitPerCustomer
    ) {
      return refuse({
        __typename: 'DiscountCodeAlreadyUsedError',
        message: `You have used the code ${code.code} as often as one customer may.`,
        code: code.code,
      });
    }
    return {
      ok: true,
      code,
      discount: { amount: discountOf(code, subtotal.amount), currency: subtotal.currency },
    };
  }

  /**
   * Whether a normalised code applies to a cart's subtotal now, without a lock (applyDiscountCode,
   * Cart.discount): a hint, checkout decides under the code's lock. `userId`: the cart's customer
   * (per-customer limits count for signed-in customers' carts only).
   */
  async check(code: string, subtotal: Money, userId: string | null): Promise<DiscountCheck> {
    const found = await this.repository.findByCode(code);
    const uses =
      found && userId !== null && found.usageLimitPerCustomer !== null
        ? await this.repository.usesBy(code, userId)
        : null;
    return this.evaluate(found, code, subtotal, uses);
  }

  /** The codes among these (normalised), by code: one query (the loader's batch). */
  async byCodes(codes: readonly string[]): Promise<Map<string, DiscountCodeModel>> {
    const rows = await this.repository.findByCodes([...new Set(codes)]);
    return new Map(rows.map((c) => [c.code, c]));
  }

  /** How many orders of the customer use the code now (no lock). */
  usesBy(code: string, userId: string): Promise<number> {
    return this.repository.usesBy(code, userId);
  }

  // ---- on a cart ----------------------------------------------------------------------------

  /**
   * applyDiscountCode: the code is checked against the cart as it is now (its subtotal at today's
   * prices; the per-customer limit for a customer's cart) and put on it, replacing any other.
   */
  async applyToCart(
    viewer: Viewer | null,
    input: { cartId: string; code: string },
  ): Promise<ApplyDiscountCodeResult> {
    const code = normalizeCode(input.code);
    if (!code) return invalid('code must be 3 to 32 letters, digits, - or _', 'code');
    const cart = await this.carts.usableCart(viewer, input.cartId);
    if (!cart) return cartNotFound(input.cartId);
    let priced: PricedCart;
    try {
      priced = await this.carts.price(cart);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableError)) throw error;
      return {
        __typename: 'ProductsUnavailableError',
        message: 'The products service did not answer; the code was not applied. Try again.',
      };
    }
    const checked = await this.check(code, priced.subtotal, cart.userId);
    if (!checked.ok) return checked.refusal;
    const updated = await this.carts.setDiscountCode(viewer, input.cartId, code);
    return updated ? { ...updated, __typename: 'Cart' } : cartNotFound(input.cartId);
  }

  /** removeDiscountCode: takes the code off the cart (a cart without one stays as it is, newly touched). */
  async removeFromCart(viewer: Viewer | null, cartId: string): Promise<CartResult> {
    const updated = await this.carts.setDiscountCode(viewer, cartId, null);
    return updated ? { ...updated, __typename: 'Cart' } : cartNotFound(cartId);
  }

  /**
   * Cart.discount / Cart.discountProblem of priced carts (the viewer may use them: the carts
   * service gave them out), in their order: one query for the codes, one count per customer cart
   * whose code limits uses per customer.
   */
  async forCarts(priced: readonly PricedCart[]): Promise<CartDiscount[]> {
    const codeOf = (p: PricedCart) =>
      p.cart.discountCode === null ? null : normalizeCode(p.cart.discountCode);
    const codes = await this.byCodes(priced.map(codeOf).filter((c): c is string => c !== null));
    return Promise.all(
      priced.map(async (p): Promise<CartDiscount> => {
        const none = { amount: 0, currency: p.subtotal.currency };
        if (p.cart.discountCode === null) return { discount: none, problem: null };
        const code = codeOf(p);
        const found = code === null ? null : (codes.get(code) ?? null);
        const uses =
          found && p.cart.userId !== null && found.usageLimitPerCustomer !== null
            ? await this.repository.usesBy(found.code, p.cart.userId)
            : null;
        const checked = this.evaluate(found, code ?? p.cart.discountCode, p.subtotal, uses);
        return checked.ok
          ? { discount: checked.discount, problem: null }
          : { discount: none, problem: checked.refusal.message };
      }),
    );
  }

  // ---- uses (inside the order's transaction) ------------------------------------------------

  /**
   * Locks the code, checks it against the order's subtotal and the customer's uses (counted under
   * the lock) and, when it applies, takes one use for the order. Inside the caller's transaction:
   * a rollback gives the use back with everything else.
   */
  async use(
    conn: DiscountConn,
    use: { code: string; orderId: string; userId: string; subtotal: Money; at: Date },
  ): Promise<DiscountCheck> {
    const locked = await this.repository.lock(conn, use.code);
    const uses =
      locked && locked.usageLimitPerCustomer !== null
        ? await this.repository.usesBy(use.code, use.userId, conn)
        : null;
    const checked = this.evaluate(locked, use.code, use.subtotal, uses);
    if (checked.ok) {
      await this.repository.redeem(conn, {
        code: checked.code.code,
        orderId: use.orderId,
        userId: use.userId,
        createdAt: use.at,
      });
    }
    return checked;
  }

  /**
   * Gives back the uses of cancelled or expired orders, in the cancel's transaction (the caller holds
   * the orders' row locks, so each order gives its use back once).
   */
  async giveBack(conn: DiscountConn, orderIds: readonly string[]): Promise<void> {
    const given = await this.repository.giveBack(conn, orderIds);
    if (given.length > 0) this.log.info({ given }, 'discount code uses given back');
  }

  // ---- administration (bounds in discounts.admin.ts) ----------------------------------------

  /** createDiscountCode: admins only; every bound checked; a code spelled like an existing one is taken. */
  async create(viewer: Viewer | null, input: CreateDiscountCodeInput): Promise<CreateDiscountCodeResult> {
    requireAdmin(viewer);
    const checked = newDiscountCode(input, this.now(), this.maxOrderTotal);
    if ('__typename' in checked) return checked;
    const { code } = checked;
    // The primary key decides between concurrent creates of one code (in any letter case).
    const created = await this.repository.insert(checked);
    if (created === 'TAKEN') {
      return {
        __typename: 'DiscountCodeTakenError',
        message: `A discount code ${code} exists already.`,
        code,
      };
    }
    const stored = await this.repository.findByCode(code);
    if (!stored) throw new Error(`discount code ${code} vanished after insert`);
    this.log.info({ code, kind: stored.kind, value: stored.value }, 'discount code created');
    return { ...stored, __typename: 'DiscountCode' };
  }

  /**
   * The demo's codes (SEED_DEMO_DATA, set by `npm start`): WELCOME10, 10 % off from 20.00, once per
   * customer. Stored only when missing; never run in production (the config refuses it there).
   */
  async seedDemoCodes(): Promise<string[]> {
    const checked = newDiscountCode(
      { code: 'WELCOME10', kind: 'PERCENTAGE', value: 10, minimumSubtotal: 2000, usageLimitPerCustomer: 1 },
      this.now(),
      this.maxOrderTotal,
    );
    if ('__typename' in checked) throw new Error(`demo code refused: ${checked.message}`);
    return (await this.repository.insert(checked)) === 'CREATED' ? [checked.code] : [];
  }

  /** Query.discountCodes: admins only; newest first. */
  async list(
    viewer: Viewer | null,
    first: number | null | undefined,
    after: string | null | undefined,
  ): Promise<Connection<DiscountCodeModel>> {
    requireAdmin(viewer);
    const limit = pageSize(first);
    const beforeSeq = after ? decodeCursor(after, isCursor)[0] : null;
    const rows = await this.repository.list(limit + 1, beforeSeq);
    return toConnection(rows, limit, (c) => encodeCursor([c.seq]), beforeSeq !== null);
  }

  /** DiscountCode.minimumSubtotal: in the shop's currency. */
  minimumSubtotalOf(code: DiscountCodeModel): Money | null {
    return code.minimumSubtotal === null ? null : { amount: code.minimumSubtotal, currency: this.currency };
  }
}

const refuse = (refusal: DiscountRefusal): DiscountCheck => ({ ok: false, refusal });

const cartNotFound = (cartId: string) => ({
  __typename: 'CartNotFoundError' as const,
  message: 'No such cart (it may have expired or been merged).',
  cartId,
});

const invalid = (message: string, field: string) => ({
  __typename: 'InvalidInputError' as const,
  message,
  field,
});

const isCursor = (v: unknown): v is [number] =>
  Array.isArray(v) && v.length === 1 && Number.isSafeInteger(v[0]);
