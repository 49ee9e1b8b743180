/**
 * Apollo Client 4 as a storefront wires it for subscriptions: GraphQLWsLink (graphql-ws) for
 * subscriptions, HttpLink for the rest, or HttpLink alone (Apollo's multipart subscription protocol),
 * plus the shop steps the suites need (register, place, pay with the test card).
 */
import { randomUUID } from 'node:crypto';
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, type DocumentNode } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { createTokenSigner, type SigningKey, type Viewer } from '@shop/auth';
import { createClient, type Client, type ClientOptions } from 'graphql-ws';
import { Kind, OperationTypeNode } from 'graphql';
import WebSocket from 'ws';
import { firstSimpleProducts } from '../catalogue';
import { bearer, data } from '../client';
import type { TestEnvironment } from '../environment';
import { TEST_CARDS, tokenFor } from '../psp';
import { PayOrderDocument, PlaceOrderDocument, RegisterDocument } from '../__generated__/graphql';

// Apollo's GraphQLWsLink tells socket errors apart with the global WebSocket (Node 20 has none)
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

export interface Shopper {
  id: string;
  name: string;
  token: string;
  headers: { authorization: string };
}

export async function registerShopper(env: TestEnvironment, name: string): Promise<Shopper> {
  const email = `${name.toLowerCase()}-${randomUUID().slice(0, 8)}@example.com`;
  const registered = await data(env.url, RegisterDocument, {
    input: { email, password: 'correct-horse-battery', name, phone: '+4915112345678' },
  });
  if (registered.register.__typename !== 'AuthPayload') throw new Error('register failed');
  const { token, user } = registered.register;
  return { id: user.id, name, token, headers: bearer(token) };
}

/** A token users' own key signs for the shopper, valid for `ttlSeconds` only. */
export async function shortLivedToken(env: TestEnvironment, shopper: Shopper, ttlSeconds: number) {
  const keys = (JSON.parse(env.jwtPrivateKeys) as SigningKey['privateJwk'][]).map((jwk) => ({
    kid: jwk.kid!,
    privateJwk: jwk,
  }));
  const viewer: Viewer = { id: shopper.id, role: 'CUSTOMER', email: `${shopper.id}@example.com` };
  const { token, expiresAt } = await (await createTokenSigner(keys, ttlSeconds)).sign(viewer);
  return { token, expiresAt };
}

export async function placeOrder(env: TestEnvironment, shopper: Shopper) {
  const product = (await firstSimpleProducts(env.url, 1))[0]!;
  const placed = await data(
    env.url,
    PlaceOrderDocument,
    { input: { idempotencyKey: randomUUID(), items: [{ productId: product.id, quantity: 1 }] } },
    shopper.headers,
  );
  if (placed.placeOrder.__typename !== 'Order')
    throw new Error(`placeOrder: ${placed.placeOrder.__typename}`);
  return placed.placeOrder;
}

export async function payOrder(env: TestEnvironment, shopper: Shopper, orderId: string) {
  const paid = await data(
    env.url,
    PayOrderDocument,
    {
      input: {
        orderId,
        idempotencyKey: randomUUID(),
        paymentMethodToken: await tokenFor(env.pspUrl, TEST_CARDS.visa, shopper.name),
      },
    },
    shopper.headers,
  );
  if (paid.payOrder.__typename !== 'PaymentSucceeded')
    throw new Error(`payOrder: ${paid.payOrder.__typename}`);
  return paid.payOrder.payment;
}

export const wsUrl = (env: TestEnvironment) => env.url.replace(/^http/, 'ws');

/** A graphql-ws client with the token in connectionParams (a function: read again on every reconnect). */
export function wsClient(
  env: TestEnvironment,
  token: (() => string | undefined) | undefined,
  options: Partial<ClientOptions> = {},
): Client {
  return createClient({
    url: wsUrl(env),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: () => {
      const t = token?.();
      return t ? { authorization: `Bearer ${t}` } : {};
    },
    ...options,
  });
}

const isSubscription = (query: DocumentNode) => {
  const definition = getMainDefinition(query);
  return (
    definition.kind === Kind.OPERATION_DEFINITION && definition.operation === OperationTypeNode.SUBSCRIPTION
  );
};

/**
 * A storefront's Apollo Client: the token on every HTTP request, subscriptions over GraphQLWsLink
 * (`ws`) or over HttpLink's multipart protocol (`multipart`).
 */
export function storefront(
  env: TestEnvironment,
  token: string | undefined,
  transport: 'ws' | 'multipart',
  ws?: Client,
) {
  const http = new HttpLink({ uri: env.url, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const link =
    transport === 'ws'
      ? ApolloLink.split(
          ({ query }) => isSubscription(query),
          new GraphQLWsLink(ws ?? wsClient(env, () => token)),
          http,
        )
      : http;
  return new ApolloClient({ link, cache: new InMemoryCache() });
}

/** What one Apollo Client subscription delivered. */
export interface Seen<T> {
  values: T[];
  errors: unknown[];
  completed: boolean;
  stop(): void;
}

/** Subscribes through Apollo Client and records every result (data or error) until it completes. */
export function follow<T>(
  client: ApolloClient,
  query: DocumentNode,
  variables: Record<string, unknown> = {},
): Seen<T> {
  const seen: Seen<T> = { values: [], errors: [], completed: false, stop: () => undefined };
  const subscription = client
    // every call its own subscription (Apollo Client shares identical ones by default)
    .subscribe({ query, variables, fetchPolicy: 'no-cache', context: { queryDeduplication: false } })
    .subscribe({
      next: (result) => {
        if (result.error) seen.errors.push(result.error);
        else if (result.data) seen.values.push(result.data as T);
      },
      error: (error: unknown) => void seen.errors.push(error),
      complete: () => void (seen.completed = true),
    });
  seen.stop = () => subscription.unsubscribe();
  return seen;
}

/** The extensions.code of an Apollo Client error (CombinedGraphQLErrors, CombinedProtocolErrors). */
export function codeOf(error: unknown): unknown {
  const errors = (error as { errors?: { extensions?: { code?: unknown } }[] })?.errors;
  return errors?.[0]?.extensions?.code;
}
