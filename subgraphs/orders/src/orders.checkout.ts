import { createHash } from 'node:crypto';
import { requireViewer, type Viewer } from '@shop/auth';
import { countryByCode, validateAddress, vatIncluded, type AddressInput } from '@shop/config';
import { serviceUnavailable } from '@shop/errors';
import { isAddressId, isProductId, ServiceUnavailableError, type PostalAddress } from '@shop/messaging';
import { isVariantOf } from './carts.rules';
import type { DiscountRefusal } from './discounts.service';
import { normalizeCode } from './discounts.service';
import { asResult, type CartModel, type OrderModel } from './models';
import {
  fingerprintOf,
  IDEMPOTENCY_KEY,
  invalid,
  placeLines,
  type Draft,
  type OrderParts,
  type PlaceOrderResult,
} from './orders.placing';
import type { OrdersTx } from './orders.repository';
import type { OrdersDeps } from './orders.service';
import { shippingCost, type ShippingMethodModel } from './shipping';

/**
 * checkout: a cart becomes an order waiting for payment. Shape checks, the replay of an idempotency
 * key, the cart, the address (inline, or users.address from the address book), the shipping method
 * for its country and a first look at the discount code; then the placing core of placeOrder
 * (placeLines: caps, products.reserve at current prices, release on every refusal) with one
 * transaction that locks the user, the cart (its version must be the one read at the start) and the
 * code (its use taken under that lock), prices shipping and VAT, stores the order with its address
 * snapshot and empties the cart. Any refusal leaves nothing behind: no order, no use, no hold, the
 * cart as it was.
 */

/** How orders reaches users: users.address (NATS in the app, a fake in unit tests). */
export interface UsersClient {
  /** An address of the user's address book; null when it has none with this id. Throws ServiceUnavailableError. */
  address(userId: string, addressId: string): Promise<PostalAddress | null>;
}

export interface CheckoutInput {
  cartId: string;
  addressId?: string | null;
  shippingAddress?: AddressInput | null;
  shippingMethodId: string;
  discountCode?: string | null;
  idempotencyKey: string;
}

export type CheckoutRefusal =
  | { __typename: 'CartNotFoundError'; message: string; cartId: string }
  | { __typename: 'AddressNotFoundError'; message: string; addressId: string }
  | { __typename: 'ShippingMethodNotFoundError'; message: string; shippingMethodId: string; country: string }
  | { __typename: 'CartChangedError'; message: string }
  | DiscountRefusal;

export type CheckoutResult = PlaceOrderResult | CheckoutRefusal;

export async function checkout(
  deps: OrdersDeps,
  viewerOrNull: Viewer | null,
  input: CheckoutInput,
): Promise<CheckoutResult> {
  const viewer = requireViewer(viewerOrNull);
  const { carts, discounts, shipping } = deps;

  // ---- shape: nothing is read before the input is well-formed ----
  if (typeof input.idempotencyKey !== 'string' || !IDEMPOTENCY_KEY.test(input.idempotencyKey))
    return invalid('idempotencyKey must be 1-128 letters, digits or - _ . :', 'idempotencyKey');
  const hasId = input.addressId !== null && input.addressId !== undefined;
  const hasInline = input.shippingAddress !== null && input.shippingAddress !== undefined;
  if (hasId === hasInline)
    return invalid(
      'Give exactly one of addressId and shippingAddress.',
      hasId ? 'shippingAddress' : 'addressId',
    );
  let inline: PostalAddress | null = null;
  if (input.shippingAddress) {
    const checked = validateAddress(input.shippingAddress);
    if (!checked.ok) return invalid(checked.message, `shippingAddress.${checked.field}`);
    inline = checked.address;
  }
  let givenCode: string | null = null;
  if (input.discountCode !== null && input.discountCode !== undefined) {
    givenCode = normalizeCode(input.discountCode);
    if (!givenCode) return invalid('discountCode must be 3 to 32 letters, digits, - or _', 'discountCode');
  }

  // ---- a repeated key answers the first order (the cart is empty by then, or refilled) ----
  const fingerprint = checkoutFingerprint({
    cartId: input.cartId,
    addressId: input.addressId ?? null,
    address: inline,
    shippingMethodId: input.shippingMethodId,
    discountCode: givenCode,
  });
  const existing = await deps.repository.findByIdempotencyKey(viewer.id, input.idempotencyKey);
  if (existing) return replay(existing, fingerprint);

  // ---- the cart, read once: its version must still be the same in the placing transaction ----
  const cart = await carts.usableCart(viewer, input.cartId);
  if (!cart) return cartNotFound(input.cartId);
  if (cart.lines.length === 0)
    return { __typename: 'EmptyCartError', message: 'The cart is empty; add something first.' };
  // One line per variant, as the cart holds them.
  const lines = cart.lines.map((l) => ({
    productId: l.productId,
    variantId: l.variantId,
    quantity: l.quantity,
  }));
  // The cart keeps the same caps as an order; a cart that does not is refused, not trimmed.
  if (
    lines.length > deps.maxCartLines ||
    lines.some(
      (l) =>
        !isProductId(l.productId) ||
        !isVariantOf(l.variantId, l.productId) ||
        !Number.isInteger(l.quantity) ||
        l.quantity < 1 ||
        l.quantity > deps.maxQuantity,
    )
  )
    return invalid('The cart holds more than an order may.', 'cartId');

  // ---- where to, and how ----
  let address = inline;
  if (!address) {
    const addressId = input.addressId!;
    address = isAddressId(addressId) ? await addressOf(deps, viewer.id, addressId) : null;
    if (!address)
      return {
        __typename: 'AddressNotFoundError',
        message: `No address ${addressId} in your address book.`,
        addressId,
      };
  }
  const method = shipping.find(input.shippingMethodId, address.country);
  const country = countryByCode(address.country);
  if (!method || !country) {
    return {
      __typename: 'ShippingMethodNotFoundError',
      message: `No shipping method ${input.shippingMethodId} delivers to ${address.country}.`,
      shippingMethodId: input.shippingMethodId,
      country: address.country,
    };
  }

  // ---- the code: a first look without a lock (a code that cannot apply reserves nothing) ----
  const code =
    givenCode ??
    (cart.discountCode === null ? null : (normalizeCode(cart.discountCode) ?? cart.discountCode));
  if (code !== null) {
    // The minimum waits for the reserved prices; the rest is decided again under the code's lock.
    const first = await discounts.check(
      code,
      { amount: Number.MAX_SAFE_INTEGER, currency: shipping.currency },
      viewer.id,
    );
    if (!first.ok) return first.refusal;
  }

  const snapshot: Snapshot = { cart, method, address, vatRateBasisPoints: country.vatRateBasisPoints, code };
  return placeLines<CheckoutResult>(deps, {
    viewer,
    lines,
    idempotencyKey: input.idempotencyKey,
    fingerprint,
    replay: (first) => replay(first, fingerprint),
    complete: (tx, draft) => complete(deps, viewer, tx, draft, snapshot),
  });
}

/** What checkout decided before the reserve, for the placing transaction. */
interface Snapshot {
  cart: CartModel;
  method: ShippingMethodModel;
  address: PostalAddress;
  vatRateBasisPoints: number;
  code: string | null;
}

/**
 * Inside the placing transaction (the user's lock held): the cart's lock and version, the code's
 * lock and use, shipping, VAT, and the emptied cart. A refusal rolls all of it back.
 */
async function complete(
  deps: OrdersDeps,
  viewer: Viewer,
  tx: OrdersTx,
  draft: Draft,
  s: Snapshot,
): Promise<{ parts: OrderParts } | { refusal: CheckoutResult }> {
  const { subtotal } = draft;
  if (subtotal.currency !== deps.shipping.currency) {
    return {
      refusal: invalid(
        `The cart is priced in ${subtotal.currency}; the shop ships in ${deps.shipping.currency}.`,
        'cartId',
      ),
    };
  }
  // Under the cart's lock (edits of the cart wait for this transaction): still usable by the
  // viewer, and at the version whose lines were reserved.
  const locked = await deps.carts.lockUsable(tx, viewer, s.cart.id);
  if (!locked) return { refusal: cartNotFound(s.cart.id) };
  if (locked.version !== s.cart.version || fingerprintOf(locked.lines) !== fingerprintOf(s.cart.lines)) {
    deps.log.info(
      { cartId: s.cart.id, orderId: draft.orderId },
      'checkout refused: the cart changed meanwhile',
    );
    return {
      refusal: {
        __typename: 'CartChangedError',
        message:
          'The cart changed while it was being checked out; nothing was ordered. Look at it and check out again.',
      },
    };
  }
  let discount = { amount: 0, currency: subtotal.currency };
  if (s.code !== null) {
    const used = await deps.discounts.use(tx, {
      code: s.code,
      orderId: draft.orderId,
      userId: viewer.id,
      subtotal,
      at: draft.at,
    });
    if (!used.ok) return { refusal: used.refusal };
    discount = used.discount;
  }
  const afterDiscount = subtotal.amount - discount.amount;
  const shippingAmount = shippingCost(s.method, afterDiscount);
  const total = afterDiscount + shippingAmount;
  await deps.carts.emptyCart(tx, s.cart.id);
  return {
    parts: {
      shipping: { amount: shippingAmount, currency: subtotal.currency },
      discount,
      vat: { amount: vatIncluded(total, s.vatRateBasisPoints), currency: subtotal.currency },
      vatRateBasisPoints: s.vatRateBasisPoints,
      discountCode: s.code,
      shippingMethod: { id: s.method.id, name: s.method.name },
      shippingAddress: s.address,
      cartId: s.cart.id,
    },
  };
}

/** users.address; users not answering is SERVICE_UNAVAILABLE (nothing was reserved yet). */
async function addressOf(deps: OrdersDeps, userId: string, addressId: string): Promise<PostalAddress | null> {
  try {
    return await deps.users.address(userId, addressId);
  } catch (error) {
    if (!(error instanceof ServiceUnavailableError)) throw error;
    deps.log.warn({ err: error }, 'users did not answer users.address');
    throw serviceUnavailable('The users service did not answer; nothing was ordered. Try again.');
  }
}

/**
 * The order first placed with this key: answered again for the same request (the same cart,
 * address, method and code asked for, whatever the cart holds now: checkout emptied it); another
 * request with the key (or a placeOrder's key) is IdempotencyKeyReusedError.
 */
function replay(existing: OrderModel, fingerprint: string): CheckoutResult {
  if (existing.fingerprint === fingerprint) return asResult(existing);
  return {
    __typename: 'IdempotencyKeyReusedError',
    message: 'This idempotency key was already used for another order.',
    orderId: existing.id,
  };
}

/**
 * The fingerprint of a checkout request: the cart, the address (its id, or the inline address as
 * validated), the method and the code given (normalised), under a prefix of its own, so a key
 * never names both a checkout and a placeOrder.
 */
export function checkoutFingerprint(request: {
  cartId: string;
  addressId: string | null;
  address: PostalAddress | null;
  shippingMethodId: string;
  discountCode: string | null;
}): string {
  const a = request.address;
  const address = a && [
    a.name,
    a.company,
    a.line1,
    a.line2,
    a.postalCode,
    a.city,
    a.region,
    a.country,
    a.phone,
  ];
  return createHash('sha256')
    .update(
      `checkout:${JSON.stringify([request.cartId, request.addressId, address, request.shippingMethodId, request.discountCode])}`,
    )
    .digest('hex');
}

const cartNotFound = (cartId: string): CheckoutRefusal => ({
  __typename: 'CartNotFoundError',
  message: 'No such cart (it may have expired or been merged).',
  cartId,
});
