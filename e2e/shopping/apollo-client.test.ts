/**
 * Issue 17 driven by the client storefronts use: Apollo Client with its normalized cache
 * (InMemoryCache, the possibleTypes codegen generates) against the gateway. A mutation's
 * answer updates the cart every watching query shows, the cart and the order normalise by id, the
 * result unions read through `... on Error`, and the cache never warns that it loses data.
 */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import {
  ApolloClient,
  ApolloLink,
  HttpLink,
  InMemoryCache,
  gql,
  type TypedDocumentNode,
} from '@apollo/client';
import { jest } from '@jest/globals';
import { createTestEnvironment, type TestEnvironment } from '../environment';
import { BERLIN, CARD, shopClient, tokenize } from './support';

let env: TestEnvironment;
const warnings: unknown[][] = [];

/** possibleTypes as codegen writes them for storefronts (schema/possible-types.json, npm run codegen). */
function possibleTypes(): Record<string, string[]> {
  const file = new URL('../../schema/possible-types.json', import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { possibleTypes: Record<string, string[]> })
    .possibleTypes;
}

function storefront(token?: () => string | undefined) {
  const auth = new ApolloLink((operation, forward) => {
    const t = token?.();
    if (t) operation.setContext({ headers: { authorization: `Bearer ${t}` } });
    return forward(operation);
  });
  return new ApolloClient({
    link: auth.concat(new HttpLink({ uri: env.url })),
    cache: new InMemoryCache({ possibleTypes: possibleTypes() }),
  });
}

beforeAll(async () => {
  env = await createTestEnvironment();
  for (const level of ['warn', 'error'] as const)
    jest.spyOn(console, level).mockImplementation((...args: unknown[]) => void warnings.push(args));
}, 120_000);

afterAll(async () => {
  jest.restoreAllMocks();
  await env?.stop();
});

const LINE = gql`
  fragment CartView on Cart {
    id
    quantity
    subtotal {
      amount
      currency
    }
    lines {
      product {
        id
        name
      }
      quantity
      unitPrice {
        amount
        currency
      }
      status
    }
  }
`;
type CartView = {
  __typename: 'Cart';
  id: string;
  quantity: number;
  subtotal: { amount: number; currency: string };
  lines: {
    product: { id: string; name: string };
    quantity: number;
    unitPrice: { amount: number } | null;
    status: string;
  }[];
};
type Result = { __typename: string; message?: string } & Partial<CartView>;

const ADD: TypedDocumentNode<{ addToCart: Result }, { i: Record<string, unknown> }> = gql`
  mutation Add($i: AddToCartInput!) {
    addToCart(input: $i) {
      __typename
      ...CartView
      ... on Error {
        message
      }
    }
  }
  ${LINE}
`;
const UPDATE: TypedDocumentNode<{ updateCartLine: Result }, { i: Record<string, unknown> }> = gql`
  mutation Update($i: UpdateCartLineInput!) {
    updateCartLine(input: $i) {
      __typename
      ...CartView
      ... on Error {
        message
      }
    }
  }
  ${LINE}
`;
const CART: TypedDocumentNode<{ cart: CartView | null }, { id?: string }> = gql`
  query Cart($id: ID) {
    cart(id: $id) {
      ...CartView
    }
  }
  ${LINE}
`;
const MERGE: TypedDocumentNode<{ mergeCart: Result }, { id: string }> = gql`
  mutation Merge($id: ID!) {
    mergeCart(cartId: $id) {
      __typename
      ...CartView
      ... on Error {
        message
      }
    }
  }
  ${LINE}
`;
const CHECKOUT: TypedDocumentNode<
  {
    checkout: {
      __typename: string;
      id?: string;
      status?: string;
      total?: { amount: number };
      message?: string;
    };
  },
  { i: Record<string, unknown> }
> = gql`
  mutation Checkout($i: CheckoutInput!) {
    checkout(input: $i) {
      __typename
      ... on Order {
        id
        status
        total {
          amount
          currency
        }
      }
      ... on Error {
        message
      }
    }
  }
`;
const ORDER: TypedDocumentNode<
  { order: { id: string; status: string; total: { amount: number } } | null },
  { id: string }
> = gql`
  query Order($id: ID!) {
    order(id: $id) {
      id
      status
      total {
        amount
        currency
      }
    }
  }
`;

it('a storefront on Apollo Client: the cart stays consistent in the normalized cache through add, update, merge and checkout', async () => {
  const [a, b] = await shopClient(env).products(2);
  const session: { token?: string } = {};
  const client = storefront(() => session.token);

  const added = await client.mutate({ mutation: ADD, variables: { i: { productId: a!.id, quantity: 1 } } });
  const cartId = added.data!.addToCart.id!;
  expect(added.data!.addToCart.__typename).toBe('Cart');

  // A watching query of the cart, answered from the cache the mutation filled.
  const seen: number[] = [];
  const watch = client.watchQuery({ query: CART, variables: { id: cartId }, fetchPolicy: 'cache-first' });
  const subscription = watch.subscribe({
    next: (r) => {
      const quantity = r.data?.cart?.quantity;
      if (quantity !== undefined) seen.push(quantity);
    },
  });
  await waitUntil(() => seen.length > 0);
  expect(seen.at(-1)).toBe(1);

  // The update's answer is the same Cart:<id>: the watching query shows it without a refetch.
  const updated = await client.mutate({
    mutation: UPDATE,
    variables: { i: { cartId, productId: a!.id, quantity: 4 } },
  });
  expect(updated.data!.updateCartLine.quantity).toBe(4);
  await waitUntil(() => seen.at(-1) === 4);
  await client.mutate({ mutation: ADD, variables: { i: { cartId, productId: b!.id, quantity: 1 } } });
  await waitUntil(() => seen.at(-1) === 5);
  const cached = client.cache.extract() as Record<string, { __typename?: string }>;
  expect(cached[`Cart:${cartId}`]?.__typename).toBe('Cart');
  expect(cached[`Product:${a!.id}`]).toBeDefined();

  // A refusal reads through the Error interface (possibleTypes) and leaves the cart as it was.
  const refused = await client.mutate({
    mutation: UPDATE,
    variables: { i: { cartId, productId: a!.id, quantity: 1000 } },
  });
  expect(refused.data!.updateCartLine.__typename).not.toBe('Cart');
  expect(refused.data!.updateCartLine.message).toEqual(expect.any(String));
  expect(seen.at(-1)).toBe(5);
  subscription.unsubscribe();

  // Sign in (the storefront keeps its anonymous cart), merge, check out, read the order.
  const shopper = await shopClient(env).customer('apollo');
  session.token = shopper.headers.authorization.slice('Bearer '.length);
  const merged = await client.mutate({ mutation: MERGE, variables: { id: cartId } });
  expect(merged.data!.mergeCart).toMatchObject({ __typename: 'Cart', quantity: 5 });
  const customerCartId = merged.data!.mergeCart.id!;
  const checkout = await client.mutate({
    mutation: CHECKOUT,
    variables: {
      i: {
        cartId: customerCartId,
        shippingAddress: BERLIN,
        shippingMethodId: 'standard-eu',
        idempotencyKey: randomUUID(),
      },
    },
  });
  expect(checkout.data!.checkout.__typename).toBe('Order');
  const orderId = checkout.data!.checkout.id!;
  // The order's own query is answered from Order:<id> in the cache, then from the network the same.
  const fromCache = await client.query({
    query: ORDER,
    variables: { id: orderId },
    fetchPolicy: 'cache-first',
  });
  expect(fromCache.data!.order).toMatchObject({ id: orderId, status: 'PENDING_PAYMENT' });
  const paid = await shopClient(env).ok<{ payOrder: { __typename: string } }>(
    `mutation($i: PayOrderInput!) { payOrder(input: $i) { __typename } }`,
    { i: { orderId, idempotencyKey: randomUUID(), paymentMethodToken: await tokenize(env.pspUrl, CARD) } },
    shopper.headers,
  );
  expect(paid.payOrder.__typename).toBe('PaymentSucceeded');
  // The emptied cart, refetched: the storefront refetches the cart after checkout.
  const after = await client.query({ query: CART, variables: {}, fetchPolicy: 'network-only' });
  expect(after.data!.cart).toMatchObject({ id: customerCartId, quantity: 0, lines: [] });

  // Apollo warned about nothing (no lost cache data, no missing possibleTypes, no missing fields).
  expect(warnings).toEqual([]);
});

async function waitUntil(check: () => boolean, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
