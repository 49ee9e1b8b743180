import { randomUUID } from 'node:crypto';
import type { Viewer } from '@shop/auth';
import {
  AddressRequest,
  endpoint,
  natsNames,
  serveEndpoints,
  type AddressReply,
  type NatsConnection,
  type PostalAddress,
} from '@shop/messaging';
import { waitFor } from '@shop/testing';
import type { AppOverrides } from '../src/app';
import type { CartModel } from '../src/models';
import { customer, type Harness } from './helpers';
import { bootWithProducts } from './with-products';

/**
 * The checkout and discount tests' world: orders with the real products subgraph (MongoDB) over one
 * NATS prefix, and a users.address responder with an in-memory address book (exact ids, like users).
 */

/** users.address over NATS from an address book in memory; `down` makes it stop answering. */
export function fakeUsers(nc: NatsConnection, prefix: string) {
  const names = natsNames(prefix);
  const book = new Map<string, PostalAddress>();
  const calls: { userId: string; addressId: string }[] = [];
  const state = { down: false };
  const key = (userId: string, addressId: string) => `${userId}/${addressId}`;
  const service = serveEndpoints(
    nc,
    names.services.users,
    [
      endpoint({
        name: 'address',
        subject: names.commands.usersAddress,
        schema: AddressRequest,
        handler: async ({ userId, addressId }): Promise<AddressReply> => {
          calls.push({ userId, addressId });
          if (state.down) await new Promise(() => undefined); // never answers
          const address = book.get(key(userId, addressId));
          return address
            ? { ok: true, addressId, address }
            : { ok: false, code: 'NOT_FOUND', message: 'no such address' };
        },
      }),
    ],
    { info: () => undefined, warn: () => undefined, error: () => undefined },
  );
  return {
    calls,
    state,
    /** Stores an address for the user; returns its id (a lower-case UUID, as users issues them). */
    add(userId: string, address: PostalAddress, addressId: string = randomUUID()) {
      book.set(key(userId, addressId), address);
      return addressId;
    },
    stop: () => service.stop(),
  };
}

export const BERLIN: PostalAddress = {
  name: 'Erika Mustermann',
  company: null,
  line1: 'Unter den Linden 1',
  line2: null,
  postalCode: '10117',
  city: 'Berlin',
  region: null,
  country: 'DE',
  phone: null,
};

/** An inline address of a country (valid for validateAddress). */
export const addressIn = (country: 'AT' | 'DE' | 'FR' | 'GB' | 'NL' | 'US') =>
  ({
    AT: { name: 'A', line1: 'Ring 1', postalCode: '1010', city: 'Wien', country: 'AT' },
    DE: { name: 'D', line1: 'Allee 2', postalCode: '10115', city: 'Berlin', country: 'DE' },
    FR: { name: 'F', line1: 'Rue 3', postalCode: '75001', city: 'Paris', country: 'FR' },
    GB: { name: 'G', line1: 'Road 4', postalCode: 'SW1A 1AA', city: 'London', country: 'GB' },
    NL: { name: 'N', line1: 'Gracht 5', postalCode: '1012 AB', city: 'Amsterdam', country: 'NL' },
    US: { name: 'U', line1: 'Street 6', postalCode: '10001', city: 'New York', region: 'NY', country: 'US' },
  })[country];

export async function bootCheckout(env: Record<string, string> = {}, overrides: AppOverrides = {}) {
  const world = await bootWithProducts(env, overrides);
  const { h } = world;
  const users = fakeUsers(h.nc, h.prefix);
  const service = h.app.service;

  /** A cart (the customer's, or a new anonymous one for null) holding these lines. */
  const cartWith = async (
    viewer: Viewer | null,
    lines: { productId: string; variantId?: string; quantity: number }[],
  ) => {
    let cartId: string | null = null;
    for (const line of lines) {
      const res = await service.carts.addToCart(viewer, { cartId, ...line });
      if (res.__typename !== 'Cart') throw new Error(`addToCart refused: ${JSON.stringify(res)}`);
      cartId = res.id;
    }
    if (!cartId) throw new Error('a cart needs a line');
    return (await service.carts.usableCart(viewer, cartId)) as CartModel;
  };

  /** A product with stock and price (minor units, EUR). */
  const product = async (stock: number, amount: number, name = `P-${randomUUID().slice(0, 6)}`) =>
    (await world.addProduct(name, stock, amount)).id;

  /** Creates a discount code as an admin (expects it created). */
  const createCode = async (input: Record<string, unknown>) => {
    const run = await h.as({ id: randomUUID(), role: 'ADMIN', email: 'admin@example.test' });
    const res = await run<{ createDiscountCode: { __typename: string; code: string } }>(CREATE_CODE, {
      input,
    });
    if (res.data?.createDiscountCode.__typename !== 'DiscountCode')
      throw new Error(`createDiscountCode: ${JSON.stringify(res)}`);
    return res.data.createDiscountCode.code;
  };

  /** Runs checkout through GraphQL as `viewer`. */
  const checkout = async (viewer: Viewer | null, input: Record<string, unknown>) => {
    const res = await (
      await h.as(viewer)
    )<{ checkout: CheckoutView }>(CHECKOUT, {
      input: { idempotencyKey: randomUUID(), ...input },
    });
    if (res.errors) {
      const logged = h.logs.lines.filter((l) => l.includes(String(res.errors?.[0]?.extensions?.requestId)));
      return { __typename: 'GraphQLError', errors: res.errors, logged } as unknown as CheckoutView;
    }
    return res.data!.checkout;
  };

  /** The code's times_used and its redemption rows in MySQL. */
  const uses = async (code: string) => {
    const [row] = await h.app.db.rows<{ n: number }>(
      'SELECT times_used AS n FROM discount_codes WHERE code = ?',
      [code],
    );
    const [red] = await h.app.db.rows<{ n: number }>(
      'SELECT COUNT(*) AS n FROM discount_redemptions WHERE code = ?',
      [code],
    );
    return { timesUsed: Number(row?.n), redemptions: Number(red?.n) };
  };

  /** The order ids products holds stock for (each once, sorted), on these products or any. */
  const holds = async (productIds?: readonly string[]) => {
    const products = await world.productsApp.reservationsRepository.productsWithHolds();
    return [
      ...new Set(
        products
          .filter((p) => !productIds || productIds.includes(p.productId))
          .flatMap((p) => p.holds.map((h) => h.orderId)),
      ),
    ].sort();
  };

  /** The user's orders in MySQL (any status). */
  const ordersOf = async (userId: string) =>
    (
      await h.app.db.rows<{ id: string }>('SELECT id FROM orders WHERE user_id = ? ORDER BY seq', [userId])
    ).map((r) => r.id);

  /**
   * What a refused checkout must leave as it was: the customer's orders, the holds on the cart's
   * products, the cart (lines, code and version) and the code's uses.
   */
  const snapshot = async (viewer: Viewer, cartId: string, code?: string) => {
    const cart = await service.carts.repository.findById(cartId);
    return {
      orders: await ordersOf(viewer.id),
      holds: await holds(cart?.lines.map((l) => l.productId) ?? []),
      cart: cart && { lines: cart.lines, discountCode: cart.discountCode, version: cart.version },
      uses: code ? await uses(code) : null,
    };
  };

  /**
   * Waits until the world is as `before` again (a refused checkout's hold goes back through the
   * outbox and products), then asserts it; fails with the difference after 10 s.
   */
  const expectUnchanged = async (
    before: Awaited<ReturnType<typeof snapshot>>,
    viewer: Viewer,
    cartId: string,
    code?: string,
  ) => {
    const same = async () => JSON.stringify(await snapshot(viewer, cartId, code)) === JSON.stringify(before);
    await waitFor(same).catch(() => undefined);
    expect(await snapshot(viewer, cartId, code)).toEqual(before);
  };

  return {
    ...world,
    h,
    expectUnchanged,
    users,
    service,
    cartWith,
    product,
    createCode,
    checkout,
    uses,
    holds,
    ordersOf,
    snapshot,
    customer,
    async stop() {
      await users.stop();
      await world.stop();
    },
  };
}
export type CheckoutWorld = Awaited<ReturnType<typeof bootCheckout>>;
export type { Harness };

export const ORDER_VIEW = `
  id status discountCode vatRateBasisPoints
  subtotal { amount currency } shipping { amount currency } discount { amount currency }
  total { amount currency } vat { amount currency }
  shippingMethod { id name }
  shippingAddress { name company line1 line2 postalCode city region country phone }
  items { product { id } quantity unitPrice { amount } }
`;

export const CHECKOUT = `mutation Checkout($input: CheckoutInput!) {
  checkout(input: $input) {
    __typename
    ... on Order { ${ORDER_VIEW} }
    ... on Error { message }
    ... on InvalidInputError { field }
    ... on CartNotFoundError { cartId }
    ... on AddressNotFoundError { addressId }
    ... on ShippingMethodNotFoundError { shippingMethodId country }
    ... on DiscountCodeNotFoundError { code }
    ... on DiscountCodeNotActiveError { code startsAt endsAt }
    ... on DiscountCodeMinimumNotMetError { code minimumSubtotal { amount currency } }
    ... on DiscountCodeUsedUpError { code }
    ... on DiscountCodeAlreadyUsedError { code }
    ... on IdempotencyKeyReusedError { orderId }
    ... on InsufficientStockError { productId requested available }
    ... on UnknownProductError { productId }
    ... on OrderTotalLimitError { maxTotal { amount currency } }
    ... on TooManyUnpaidOrdersError { max }
  }
}`;

export const CREATE_CODE = `mutation Create($input: CreateDiscountCodeInput!) {
  createDiscountCode(input: $input) {
    __typename
    ... on DiscountCode {
      code kind value minimumSubtotal { amount currency } startsAt endsAt usageLimit usageLimitPerCustomer
      timesUsed createdAt
    }
    ... on Error { message }
    ... on InvalidInputError { field }
    ... on DiscountCodeTakenError { code }
  }
}`;

export const APPLY = `mutation Apply($input: ApplyDiscountCodeInput!) {
  applyDiscountCode(input: $input) {
    __typename
    ... on Cart { id discountCode discount { amount currency } discountProblem }
    ... on Error { message }
    ... on InvalidInputError { field }
    ... on CartNotFoundError { cartId }
    ... on DiscountCodeNotFoundError { code }
    ... on DiscountCodeNotActiveError { code startsAt endsAt }
    ... on DiscountCodeMinimumNotMetError { code minimumSubtotal { amount currency } }
    ... on DiscountCodeUsedUpError { code }
    ... on DiscountCodeAlreadyUsedError { code }
  }
}`;

/** What CHECKOUT returns: an order or an error type, told apart by __typename. */
export type CheckoutView = { __typename: string } & Record<string, unknown> & {
    id?: string;
    total?: { amount: number; currency: string };
    subtotal?: { amount: number };
    shipping?: { amount: number };
    discount?: { amount: number };
    vat?: { amount: number };
    items?: { product: { id: string }; quantity: number; unitPrice: { amount: number } }[];
    shippingAddress?: Record<string, unknown> | null;
  };
