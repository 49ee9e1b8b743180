/**
 * What the cart-and-checkout suites send through the gateway: the operations as a storefront writes
 * them, the customers and the admin they act as, and direct readers of the stores (MySQL for orders,
 * carts and discount codes; MongoDB for stock) so the invariants are read where they live.
 */
import { randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import mysql from 'mysql2/promise';
import { gql, type GraphQLResponse } from '@shop/testing';
import type { TestEnvironment } from '../environment';
import { testCard, TEST_CARDS } from '../psp';

export { tokenize } from '../psp';

export const MONEY = `{ amount currency }`;

export const CART = `
  id customer { id } quantity discountCode discountProblem updatedAt expiresAt
  subtotal ${MONEY} discount ${MONEY}
  lines {
    product { id name } productName quantity unitPrice ${MONEY} addedUnitPrice ${MONEY}
    priceChanged lineTotal ${MONEY} available status
  }`;

const CART_RESULT = `
  __typename
  ... on Cart { ${CART} }
  ... on CartNotFoundError { cartId }
  ... on CartLineLimitError { maxLines maxQuantity }
  ... on UnknownProductError { productId }
  ... on InvalidInputError { field }
  ... on Error { message }`;

export const ORDER = `
  id number status createdAt paidAt fulfilledAt deliveredAt
  subtotal ${MONEY} shipping ${MONEY} discount ${MONEY} total ${MONEY} vat ${MONEY}
  vatRateBasisPoints discountCode
  shippingAddress { name company line1 line2 postalCode city region country phone }
  shippingMethod { id name }
  fulfilment { carrier trackingNumber trackingUrl }
  statusHistory { status at }
  items { product { id } productName quantity unitPrice ${MONEY} lineTotal ${MONEY} }`;

export const Q = {
  register: `mutation($i: RegisterInput!) { register(input: $i) { __typename ... on AuthPayload { token user { id } } } }`,
  login: `mutation($i: LoginInput!) { login(input: $i) { __typename ... on AuthPayload { token user { id } } } }`,
  products: `query { products(first: 100, filter: { inStock: true }) { edges { node { id name price ${MONEY} variants { id } } } } }`,
  cart: `query($id: ID) { cart(id: $id) { ${CART} } }`,
  addToCart: `mutation($i: AddToCartInput!) { addToCart(input: $i) { ${CART_RESULT} } }`,
  updateCartLine: `mutation($i: UpdateCartLineInput!) { updateCartLine(input: $i) { ${CART_RESULT} } }`,
  removeCartLine: `mutation($i: RemoveCartLineInput!) { removeCartLine(input: $i) { ${CART_RESULT} } }`,
  clearCart: `mutation($id: ID!) { clearCart(cartId: $id) { ${CART_RESULT} } }`,
  mergeCart: `mutation($id: ID!) { mergeCart(cartId: $id) { ${CART_RESULT} } }`,
  applyDiscountCode: `mutation($i: ApplyDiscountCodeInput!) {
    applyDiscountCode(input: $i) { __typename ... on Cart { ${CART} } ... on Error { message } } }`,
  shippingMethods: `query($c: String!) { shippingMethods(country: $c) { id name price ${MONEY} freeAbove ${MONEY} countries estimatedDays } }`,
  createAddress: `mutation($i: AddressInput!) {
    createAddress(input: $i) { __typename ... on Address { id isDefaultShipping } ... on InvalidInputError { field } ... on Error { message } } }`,
  createDiscountCode: `mutation($i: CreateDiscountCodeInput!) {
    createDiscountCode(input: $i) { __typename ... on DiscountCode { code timesUsed } ... on InvalidInputError { field } ... on Error { message } } }`,
  checkout: `mutation($i: CheckoutInput!) {
    checkout(input: $i) {
      __typename
      ... on Order { ${ORDER} }
      ... on InvalidInputError { field }
      ... on InsufficientStockError { productId requested available }
      ... on UnknownProductError { productId }
      ... on AddressNotFoundError { addressId }
      ... on ShippingMethodNotFoundError { shippingMethodId country }
      ... on DiscountCodeMinimumNotMetError { minimumSubtotal ${MONEY} }
      ... on IdempotencyKeyReusedError { orderId }
      ... on CartNotFoundError { cartId }
      ... on Error { message }
    } }`,
  pay: `mutation($i: PayOrderInput!) { payOrder(input: $i) { __typename ... on Error { message } } }`,
  order: `query($id: ID!) { order(id: $id) { ${ORDER} } }`,
  fulfill: `mutation($i: FulfillOrderInput!) {
    fulfillOrder(input: $i) { __typename ... on Order { ${ORDER} } ... on OrderStatusError { status } ... on InvalidInputError { field } ... on Error { message } } }`,
  deliver: `mutation($id: ID!) {
    markOrderDelivered(id: $id) { __typename ... on Order { ${ORDER} } ... on OrderStatusError { status } ... on Error { message } } }`,
};

/** The card the suites pay with: tokenised at the PSP (tokenize of e2e/psp.ts), never sent to the graph. */
export const CARD = testCard(TEST_CARDS.visa, { holderName: 'Ada Lovelace' });

export const BERLIN = {
  name: 'Ada Lovelace',
  line1: 'Invalidenstraße 117',
  postalCode: '10115',
  city: 'Berlin',
  country: 'DE',
  phone: '+49 30 1234567',
};

type Data = Record<string, unknown>;

/** A client of the gateway that keeps every response, so a suite can check none was an internal error. */
export function shopClient(env: TestEnvironment) {
  const responses: GraphQLResponse<unknown>[] = [];
  const send = async <T = Data>(
    query: string,
    variables: Data = {},
    headers: Record<string, string> = {},
  ) => {
    const res = await gql<T>(env.url, query, variables, headers);
    responses.push(res);
    return res;
  };
  /** The data of an answer without errors; throws with the whole answer otherwise. */
  const ok = async <T = Data>(query: string, variables: Data = {}, headers: Record<string, string> = {}) => {
    const res = await send<T>(query, variables, headers);
    if (res.errors?.length || !res.data)
      throw new Error(`${res.status}: ${JSON.stringify(res.errors ?? res)}`);
    return res.data;
  };
  const login = async (email: string, password: string) => {
    const res = await ok<{ login: { token?: string; user?: { id: string } } }>(Q.login, {
      i: { email, password },
    });
    if (!res.login.token) throw new Error(`login failed: ${JSON.stringify(res)}`);
    return { headers: { authorization: `Bearer ${res.login.token}` }, userId: res.login.user!.id };
  };
  const customer = async (label = 'shopper') => {
    const email = `${label}-${randomUUID().slice(0, 8)}@example.com`;
    const password = 'a-long-password-1';
    const res = await ok<{ register: { token?: string } }>(Q.register, {
      i: { email, password, name: 'Ada Lovelace' },
    });
    if (!res.register.token) throw new Error(`register failed: ${JSON.stringify(res)}`);
    return { email, password, ...(await login(email, password)) };
  };
  const admin = async () => (await login(env.admin.email, env.admin.password)).headers;
  /** A discount code made by the admin, named uniquely for the run. */
  const discountCode = async (adminHeaders: Record<string, string>, rules: Data) => {
    const code = `T${randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase()}`;
    const res = await ok<{ createDiscountCode: { __typename: string } }>(
      Q.createDiscountCode,
      { i: { code, ...rules } },
      adminHeaders,
    );
    if (res.createDiscountCode.__typename !== 'DiscountCode')
      throw new Error(`createDiscountCode: ${JSON.stringify(res)}`);
    return code;
  };
  /** The first n in-stock products without options (one variant: added and ordered by product id alone). */
  const products = async (n: number) => {
    type Node = { id: string; name: string; price: { amount: number }; variants: { id: string }[] };
    const page = await ok<{ products: { edges: { node: Node }[] } }>(Q.products, {});
    const simple = page.products.edges.map((e) => e.node).filter((p) => p.variants.length === 1);
    if (simple.length < n) throw new Error(`only ${simple.length} in-stock products without options`);
    return simple.slice(0, n).map(({ id, name, price }) => ({ id, name, price }));
  };
  return { send, ok, login, customer, admin, discountCode, products, responses };
}

/** Direct readers of the stores behind the gateway. */
export async function openStores(env: TestEnvironment) {
  const db = await mysql.createConnection(env.stores.mysqlUrl);
  const mongo = await mongoose.createConnection(env.stores.mongoUrl).asPromise();
  return {
    db,
    mongo,
    async rows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
      const [rows] = await db.query(sql, params);
      return rows as T[];
    },
    async close() {
      await db.end();
      await mongo.close();
    },
  };
}

/** No response of a suite was an internal error. */
export function expectNoInternalErrors(responses: GraphQLResponse<unknown>[]) {
  const internal = responses.filter((r) =>
    (r.errors ?? []).some((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR'),
  );
  expect(internal.map((r) => r.errors)).toEqual([]);
}
