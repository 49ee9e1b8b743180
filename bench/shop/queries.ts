/**
 * Part 2, shop queries: each one through the gateway and straight to the subgraph that owns it
 * (with the router's secret and the shopper's token), every response body validated.
 */
import { subgraphHeaders, bearer, type Shopper } from './client';
import type { Graph } from './graph';
import type { LoadSpec } from './load';

type Json = Record<string, unknown>;

function fail(message: string): never {
  throw new Error(message);
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The `data` of a response without `errors`. */
export function dataOf(response: unknown): Json {
  if (!isObject(response)) fail('not a JSON object');
  if (response.errors !== undefined) fail(`has errors: ${JSON.stringify(response.errors).slice(0, 500)}`);
  if (!isObject(response.data)) fail('no data');
  return response.data;
}

function field(obj: unknown, name: string): unknown {
  if (!isObject(obj)) fail(`expected an object holding ${name}`);
  return obj[name];
}

function list(value: unknown, what: string, length?: number): unknown[] {
  if (!Array.isArray(value)) fail(`${what} is not a list`);
  if (length !== undefined && value.length !== length)
    fail(`${what}: ${value.length} items, expected ${length}`);
  return value;
}

function str(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0) fail(`${what} is not a non-empty string`);
  return value;
}

function money(value: unknown, what: string) {
  if (!Number.isInteger(field(value, 'amount'))) fail(`${what}.amount is not an integer`);
  str(field(value, 'currency'), `${what}.currency`);
}

const nodes = (connection: unknown, what: string, length: number) =>
  list(field(connection, 'edges'), `${what}.edges`, length).map((e) => field(e, 'node'));

export const CATALOGUE_QUERY = `query CataloguePage {
  products(first: 20) { edges { node { id name price { amount currency } inStock } } }
}`;

function validateCatalogue(response: unknown) {
  for (const node of nodes(field(dataOf(response), 'products'), 'products', 20)) {
    str(field(node, 'id'), 'id');
    str(field(node, 'name'), 'name');
    money(field(node, 'price'), 'price');
    if (typeof field(node, 'inStock') !== 'boolean') fail('inStock is not a boolean');
  }
}

export const PRODUCT_QUERY = `query ProductPage($id: ID!) {
  product(id: $id) { id sku name description price { amount currency } inStock category createdAt }
}`;

const validateProduct = (id: string) => (response: unknown) => {
  const product = field(dataOf(response), 'product');
  if (field(product, 'id') !== id) fail(`product ${id} not returned`);
  for (const name of ['sku', 'name', 'description', 'category', 'createdAt']) str(field(product, name), name);
  money(field(product, 'price'), 'price');
};

export const DEEP_QUERY = `query MyOrdersDeep {
  me { orders(first: 10) { edges { node {
    items { product { name } }
    payment { status }
    notifications { channel status }
  } } } }
}`;

/** Every order of the shopper: paid, confirmed, each item with its product's name. */
const validateDeep = (orders: number) => (response: unknown) => {
  for (const order of nodes(field(field(dataOf(response), 'me'), 'orders'), 'orders', orders)) {
    for (const item of list(field(order, 'items'), 'items'))
      str(field(field(item, 'product'), 'name'), 'name');
    if (field(field(order, 'payment'), 'status') !== 'SUCCEEDED') fail('payment is not SUCCEEDED');
    const notifications = list(field(order, 'notifications'), 'notifications');
    if (notifications.length === 0) fail('no notification');
    for (const n of notifications) {
      if (field(n, 'status') !== 'SENT') fail('notification not SENT');
      str(field(n, 'channel'), 'channel');
    }
  }
};

/** The orders subgraph's share of the deep query: what the gateway asks of it. */
export const DEEP_ORDERS_QUERY = `query MyOrdersDeep__orders($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on User { orders(first: 10) { edges { node { __typename id items { product { __typename id } } } } } }
  }
}`;

const validateDeepOrders = (orders: number) => (response: unknown) => {
  const [user] = list(field(dataOf(response), '_entities'), '_entities', 1);
  for (const order of nodes(field(user, 'orders'), 'orders', orders)) {
    str(field(order, 'id'), 'id');
    for (const item of list(field(order, 'items'), 'items'))
      str(field(field(item, 'product'), 'id'), 'product.id');
  }
};

export interface Scenario {
  name: string;
  /** Which subgraph serves the direct variant. */
  subgraph: string;
  gateway: LoadSpec;
  direct: LoadSpec;
}

export function shopScenarios(graph: Graph, shopper: Shopper, productId: string, orders: number): Scenario[] {
  const gatewayHeaders = bearer(shopper.token);
  const direct = subgraphHeaders(graph, shopper.token);
  return [
    {
      name: 'catalogue page: products(first: 20)',
      subgraph: 'products',
      gateway: {
        url: graph.gatewayUrl,
        headers: gatewayHeaders,
        query: CATALOGUE_QUERY,
        validate: validateCatalogue,
      },
      direct: {
        url: graph.subgraphUrls.products,
        headers: direct,
        query: CATALOGUE_QUERY,
        validate: validateCatalogue,
      },
    },
    {
      name: 'product page: product(id)',
      subgraph: 'products',
      gateway: {
        url: graph.gatewayUrl,
        headers: gatewayHeaders,
        query: PRODUCT_QUERY,
        variables: { id: productId },
        validate: validateProduct(productId),
      },
      direct: {
        url: graph.subgraphUrls.products,
        headers: direct,
        query: PRODUCT_QUERY,
        variables: { id: productId },
        validate: validateProduct(productId),
      },
    },
    {
      name: `deep: me { orders(first: 10) { items { product } payment notifications } }`,
      subgraph: 'orders (its part only)',
      gateway: {
        url: graph.gatewayUrl,
        headers: gatewayHeaders,
        query: DEEP_QUERY,
        validate: validateDeep(orders),
      },
      direct: {
        url: graph.subgraphUrls.orders,
        headers: direct,
        query: DEEP_ORDERS_QUERY,
        variables: { representations: [{ __typename: 'User', id: shopper.id }] },
        validate: validateDeepOrders(orders),
      },
    },
  ];
}
