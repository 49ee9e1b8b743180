/**
 * The GraphQL client of the harness and the data it prepares through the public API (never by writing
 * to a datastore): shoppers, paid orders, extra products and stock.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Graph } from './graph';
import { TEST_CARDS, tokenFor } from '../../e2e/psp';

export interface GqlResult<T> {
  status: number;
  data?: T | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

export async function gql<T>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GqlResult<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  try {
    return { status: res.status, ...(JSON.parse(text) as Omit<GqlResult<T>, 'status'>) };
  } catch {
    return { status: res.status, errors: [{ message: text.slice(0, 200) }] };
  }
}

/** Like gql, but any error (HTTP or GraphQL) throws; returns the data. */
export async function must<T>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<T> {
  const result = await gql<T>(url, query, variables, headers);
  if (result.status !== 200 || result.errors?.length || !result.data)
    throw new Error(`HTTP ${result.status}: ${JSON.stringify(result.errors ?? result.data)}`);
  return result.data;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export interface Shopper {
  id: string;
  email: string;
  token: string;
}

const REGISTER = `mutation Register($input: RegisterInput!) {
  register(input: $input) { __typename ... on AuthPayload { token user { id email } } ... on Error { message } }
}`;
const LOGIN = `mutation Login($input: LoginInput!) {
  login(input: $input) { __typename ... on AuthPayload { token user { id email } } ... on Error { message } }
}`;

type AuthResult = {
  __typename: string;
  token?: string;
  user?: { id: string; email: string };
  message?: string;
};

function shopper(result: AuthResult, what: string): Shopper {
  if (result.__typename !== 'AuthPayload' || !result.token || !result.user)
    throw new Error(`${what} refused: ${result.message ?? result.__typename}`);
  return { id: result.user.id, email: result.user.email, token: result.token };
}

export async function register(gateway: string, label: string, domain: string): Promise<Shopper> {
  const email = `${label}-${randomUUID().slice(0, 8)}@${domain}`;
  const data = await must<{ register: AuthResult }>(gateway, REGISTER, {
    input: { email, password: 'bench-password-123', name: `Bench ${label}` },
  });
  return shopper(data.register, 'register');
}

export async function login(gateway: string, email: string, password: string): Promise<Shopper> {
  const data = await must<{ login: AuthResult }>(gateway, LOGIN, { input: { email, password } });
  return shopper(data.login, 'login');
}

export const PLACE_ORDER = `mutation PlaceOrder($input: PlaceOrderInput!) {
  placeOrder(input: $input) { __typename ... on Order { id total { amount currency } } ... on Error { message } }
}`;
export const PAY_ORDER = `mutation PayOrder($input: PayOrderInput!) {
  payOrder(input: $input) { __typename ... on PaymentSucceeded { payment { id status createdAt } } ... on Error { message } }
}`;

/**
 * A fresh single-use token of the test card 4242… from the PSP, as the shopper's browser gets it
 * (the graph never sees the card): one per payOrder.
 */
export const cardToken = (pspUrl: string) => tokenFor(pspUrl, TEST_CARDS.visa, 'Bench Shopper');

export type PlaceResult = { __typename: string; id?: string; message?: string };
export type PayResult = {
  __typename: string;
  payment?: { id: string; status: string; createdAt: string };
  message?: string;
};

/** Runs a step again (up to 3 attempts) when a service did not answer in time, as on a loaded machine. */
async function retryUnavailable<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await step();
    } catch (error) {
      if (attempt >= 3 || !/Unavailable/.test(String(error))) throw error;
      await sleep(500);
    }
  }
}

/** Places and pays one order (each step retried if a service was unavailable); throws unless both succeed. */
export async function placeAndPay(
  gateway: string,
  pspUrl: string,
  who: Shopper,
  items: { productId: string; quantity: number }[],
): Promise<{ orderId: string; payment: NonNullable<PayResult['payment']> }> {
  const auth = bearer(who.token);
  const orderId = await retryUnavailable(async () => {
    const placed = await must<{ placeOrder: PlaceResult }>(
      gateway,
      PLACE_ORDER,
      { input: { items, idempotencyKey: randomUUID() } },
      auth,
    );
    if (placed.placeOrder.__typename !== 'Order' || !placed.placeOrder.id)
      throw new Error(`placeOrder: ${placed.placeOrder.__typename} ${placed.placeOrder.message ?? ''}`);
    return placed.placeOrder.id;
  });
  const paymentMethodToken = await cardToken(pspUrl);
  const idempotencyKey = randomUUID();
  const payment = await retryUnavailable(async () => {
    // A retry is the same request (key and token): an unavailable attempt charged nothing.
    const paid = await must<{ payOrder: PayResult }>(
      gateway,
      PAY_ORDER,
      { input: { orderId, idempotencyKey, paymentMethodToken } },
      auth,
    );
    if (paid.payOrder.__typename !== 'PaymentSucceeded' || !paid.payOrder.payment)
      throw new Error(`payOrder: ${paid.payOrder.__typename} ${paid.payOrder.message ?? ''}`);
    return paid.payOrder.payment;
  });
  return { orderId, payment };
}

export interface CatalogueProduct {
  id: string;
  name: string;
  /** Units on hand: only administrators see them (null for anyone else). */
  stock: number | null;
  /** How many variants it has (1: ordered by the product id alone). */
  variants: number;
}

/** The first 100 products by name; pass the admin to read their stock. */
export async function allProducts(gateway: string, admin?: Shopper): Promise<CatalogueProduct[]> {
  const data = await must<{
    products: { edges: { node: Omit<CatalogueProduct, 'variants'> & { variants: unknown[] } }[] };
  }>(
    gateway,
    `query { products(first: 100, sort: NAME_ASC) { edges { node { id name stock variants { id } } } } }`,
    {},
    admin ? bearer(admin.token) : {},
  );
  return data.products.edges.map((e) => ({ ...e.node, variants: e.node.variants.length }));
}

/** Products with stock that an order names by their id alone (one variant), as the admin sees them. */
export const orderable = (products: CatalogueProduct[]) =>
  products.filter((p) => p.variants === 1 && (p.stock ?? 0) > 0);

/** Creates products until the catalogue has at least `count` (the seed has 64). */
export async function ensureProducts(gateway: string, admin: Shopper, count: number): Promise<void> {
  const existing = (await allProducts(gateway)).length;
  for (let i = existing; i < count; i += 1) {
    const data = await must<{ createProduct: { __typename: string; message?: string } }>(
      gateway,
      `mutation Create($input: CreateProductInput!) {
        createProduct(input: $input) { __typename ... on Error { message } }
      }`,
      {
        input: {
          sku: `BENCH-${String(i).padStart(4, '0')}`,
          name: `Bench Product ${i}`,
          description: 'A product created by the benchmark.',
          price: { amount: 1000 + i, currency: 'EUR' },
          stock: 1000,
          category: 'bench',
        },
      },
      bearer(admin.token),
    );
    if (data.createProduct.__typename !== 'Product')
      throw new Error(`createProduct: ${data.createProduct.message ?? data.createProduct.__typename}`);
  }
}

export async function addStock(gateway: string, admin: Shopper, productId: string, delta: number) {
  const data = await must<{ adjustStock: { __typename: string; message?: string } }>(
    gateway,
    `mutation Adjust($id: ID!, $delta: Int!) { adjustStock(id: $id, delta: $delta) { __typename ... on Error { message } } }`,
    { id: productId, delta },
    bearer(admin.token),
  );
  if (data.adjustStock.__typename !== 'Product')
    throw new Error(`adjustStock: ${data.adjustStock.message ?? data.adjustStock.__typename}`);
}

/** Headers for a request straight to a subgraph: the router's secret and the shopper's token. */
export const subgraphHeaders = (graph: Graph, token?: string): Record<string, string> => ({
  'x-router-secret': graph.routerSecret,
  ...(token ? bearer(token) : {}),
});

/** Waits until every one of a shopper's last `count` orders is PAID with its notifications SENT. */
export async function waitSettled(gateway: string, who: Shopper, count: number, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const data = await must<{
      me: { orders: { edges: { node: { status: string; notifications: { status: string }[] } }[] } };
    }>(
      gateway,
      `query Settled($n: Int!) { me { orders(first: $n) { edges { node { status notifications { status } } } } } }`,
      { n: count },
      bearer(who.token),
    );
    const nodes = data.me.orders.edges.map((e) => e.node);
    const settled = nodes.filter(
      (n) =>
        n.status === 'PAID' &&
        n.notifications.length > 0 &&
        n.notifications.every((x) => x.status === 'SENT'),
    ).length;
    if (nodes.length >= count && settled === nodes.length) return;
    last = `${settled}/${count} settled`;
    await sleep(250);
  }
  throw new Error(`orders did not settle within ${timeoutMs / 1000}s (${last})`);
}
