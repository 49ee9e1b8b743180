/**
 * The storefront's Apollo Client 4, set up the way any storefront should set it up for this API: the
 * README's "Apollo Client" section is this file; the web shop (src/main.tsx) uses it in the browser
 * and e2e/storefront/client.test.ts drives it through the gateway from Node (with `ws`).
 *
 * - possibleTypes from codegen (schema/possible-types.json): without them the cache cannot match
 *   `... on Error { message }` on a union member and drops those fields from every mutation result;
 * - type policies: Relay connections merged page after page, Money and PaymentCard (no id) merged
 *   into their parent instead of replaced with a warning;
 * - an auth link that sends the access token and, when the gateway answers
 *   `extensions.authentication: "EXPIRED"`, refreshes the session once (single flight: refresh
 *   tokens rotate and a reused one ends the session) and retries the operation;
 * - subscriptions over graphql-ws (WebSocket), everything else over HTTP.
 */
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition, relayStylePagination } from '@apollo/client/utilities';
import { createClient } from 'graphql-ws';
import { from, mergeMap } from 'rxjs';

/** The session's tokens; the web shop keeps them in localStorage (src/session.tsx). */
export interface Session {
  token?: string;
  refreshToken?: string;
}

const REFRESH = `mutation Refresh($t: String!) {
  refreshSession(refreshToken: $t) { __typename ... on AuthPayload { token refreshToken } }
}`;

export function createShopClient(options: {
  /** The gateway, e.g. http://localhost:4000/graphql. */
  uri: string;
  session: Session;
  possibleTypes: Record<string, string[]>;
  /** The WebSocket class (the browser's by default; `ws` in Node). */
  webSocketImpl?: unknown;
  /** Called after a refresh renewed or ended the session, so the caller can store it. */
  onSessionChange?: (session: Session) => void;
}) {
  const { uri, session } = options;

  // One refresh at a time: a second concurrent use of the same refresh token would count as reuse.
  let refreshing: Promise<boolean> | null = null;
  const refresh = () =>
    (refreshing ??= (async () => {
      if (!session.refreshToken) return false;
      const res = await fetch(uri, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: REFRESH, variables: { t: session.refreshToken } }),
      });
      const body = (await res.json()) as {
        data?: { refreshSession: { __typename: string; token?: string; refreshToken?: string } };
      };
      const result = body.data?.refreshSession;
      if (result?.__typename !== 'AuthPayload') {
        session.token = session.refreshToken = undefined; // signed out: the storefront shows login
        options.onSessionChange?.(session);
        return false;
      }
      session.token = result.token;
      session.refreshToken = result.refreshToken;
      options.onSessionChange?.(session);
      return true;
    })().finally(() => (refreshing = null)));

  const auth = new ApolloLink((operation, forward) => {
    const send = () => {
      operation.setContext({ headers: session.token ? { authorization: `Bearer ${session.token}` } : {} });
      return forward(operation);
    };
    return send().pipe(
      mergeMap((result) =>
        result.extensions?.authentication === 'EXPIRED'
          ? from(refresh()).pipe(mergeMap((renewed) => (renewed ? send() : [result])))
          : [result],
      ),
    );
  });

  const ws = new GraphQLWsLink(
    createClient({
      url: uri.replace(/^http/, 'ws'),
      ...(options.webSocketImpl ? { webSocketImpl: options.webSocketImpl } : {}),
      connectionParams: () => (session.token ? { authorization: `Bearer ${session.token}` } : {}),
      // A restarting gateway refuses connections for a moment: keep retrying.
      shouldRetry: () => true,
      lazy: true,
    }),
  );
  const isSubscription = ({ query }: ApolloLink.Operation) => {
    const definition = getMainDefinition(query);
    return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
  };

  return new ApolloClient({
    link: ApolloLink.split(isSubscription, ws, auth.concat(new HttpLink({ uri }))),
    cache: new InMemoryCache({
      possibleTypes: options.possibleTypes,
      typePolicies: {
        Query: {
          fields: {
            products: relayStylePagination(['filter', 'sort']),
            orders: relayStylePagination(['filter']),
            customers: relayStylePagination(['search']),
            discountCodes: relayStylePagination(),
          },
        },
        User: {
          fields: {
            orders: relayStylePagination(),
            addresses: relayStylePagination(),
            notifications: relayStylePagination(),
          },
        },
        Money: { merge: true },
        PaymentCard: { merge: true },
      },
    }),
  });
}
