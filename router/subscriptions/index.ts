import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import type { TokenVerifier } from '@shop/auth';
import { ErrorCode } from '@shop/errors';
import { requestIdFrom, type Logger } from '@shop/server';
import { getOperationAST, GraphQLError, parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import { clientAddressOf } from '../client-address';
import type { Config } from '../config';
import type { RouterContext } from '../context';
import { authenticate, subscriberOf, type ConnectionAuth } from './auth';
import { EventSource, type EventSourceStats } from './events';
import { SubscriptionHub, type Connection, type HubStats } from './hub';
import { acceptsMultipartSubscriptions, sendRefusal, streamMultipart } from './multipart';
import { prepareSubscription, type SubscribeRequest } from './operation';
import { EventResolver } from './resolve';
import { hasSubscriptions } from './schema';
import { LiveSubscription } from './subscription';
import { refuseUpgrade, webSocketTransport } from './ws';

export interface SubscriptionStats extends HubStats {
  /** Open WebSocket connections (the rest of `connections` are multipart requests). */
  webSockets: number;
  /** Events resolved and sent, and events dropped for slow subscribers, by subscriptions still running. */
  source: EventSourceStats;
}

/** What createGraphQLApollo needs of the subscriptions (graphql.ts). */
export interface HttpSubscriptions {
  /** Each API schema Apollo Server serves, already extended (subscribe requests are validated against it). */
  onSchema(schema: GraphQLSchema): void;
  /**
   * Serves the request when it is a subscription asking for multipart (Accept:
   * multipart/mixed;subscriptionSpec=1.0): the stream, or a refusal. False when it is not one: Apollo
   * Server answers it (a subscription without that Accept is refused there, 400 BAD_REQUEST).
   */
  serveHttp(
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    query: string | undefined,
    context: RouterContext,
  ): Promise<boolean>;
}

export interface SubscriptionsOptions {
  log: Logger;
  verifyToken: TokenVerifier;
  /** The router's /graphql Apollo Server (events are resolved through it); read when the first event comes. */
  apollo(): ApolloServer<RouterContext>;
  /** Paths taking WebSocket upgrades (default /graphql). */
  paths?: string[];
}

export interface Subscriptions {
  http: HttpSubscriptions;
  /**
   * Takes WebSocket upgrades of the subscription paths on this server (others get 404); `accepts`
   * refuses the rest with 403 (the router's CORS origins).
   */
  attach(server: Server, accepts?: (req: IncomingMessage) => boolean): void;
  /** Starts the event source (NATS, in the background). */
  start(): void;
  /** Ends every subscription (WebSockets closed with 1001, multipart streams ended), then the event source. */
  stop(): Promise<void>;
  stats(): SubscriptionStats;
}

const errorOf = (message: string, code: string) => new GraphQLError(message, { extensions: { code } });

/** The subscription operation of a request, when it is one (parse errors are Apollo Server's to report). */
function subscriptionDocument(query: string | undefined, operationName: unknown, maxTokens: number) {
  if (typeof query !== 'string' || !query.includes('subscription')) return undefined;
  let document: DocumentNode;
  try {
    document = parse(query, { maxTokens });
  } catch {
    return undefined;
  }
  const operation = getOperationAST(document, typeof operationName === 'string' ? operationName : undefined);
  return operation?.operation === 'subscription' ? document : undefined;
}

/**
 * Subscriptions on the router (docs/subscriptions.md): the router-level schema extension, the
 * event source (one ordered JetStream consumer per stream), the in-memory fan-out, resolution of
 * each event through the supergraph with the subscriber's token, and the two transports (graphql-ws
 * over WebSocket, multipart HTTP), with authentication on connect, expiry, limits and heartbeats.
 */
export function createSubscriptions(config: Config, options: SubscriptionsOptions): Subscriptions {
  const { log } = options;
  const enabled = config.SUBSCRIPTIONS === 'true';
  const hub = new SubscriptionHub({
    perConnection: config.SUBSCRIPTIONS_PER_CONNECTION,
    perUser: config.SUBSCRIPTIONS_PER_USER,
    connections: config.SUBSCRIPTION_CONNECTIONS_MAX,
  });
  let schema: GraphQLSchema | undefined;
  let stopping = false;
  let stopped: Promise<void> | undefined;
  const resolver = new EventResolver({ apollo: () => options.apollo(), schema: () => schema, log });
  const source = new EventSource({
    natsUrl: config.NATS_URL,
    natsPrefix: config.NATS_PREFIX,
    log,
    onEvent: (event) => hub.dispatch(event),
  });
  const limits = {
    maxDepth: config.MAX_DEPTH,
    maxAliases: config.MAX_ALIASES,
    maxCost: config.MAX_COST,
    maxQueryBytes: config.MAX_QUERY_BYTES,
    maxTokens: config.MAX_TOKENS,
  };
  const paths = new Set(options.paths ?? ['/graphql']);
  const auth = (authorization: string | undefined) => authenticate(authorization, options.verifyToken);

  /** A subscribe request on a connection: the running subscription, or why not. */
  const subscribe = (
    connection: Connection,
    connectionAuth: ConnectionAuth,
    request: SubscribeRequest,
    clientAddress: string | undefined,
  ): LiveSubscription | GraphQLError[] => {
    if (stopping)
      return [errorOf('The router is shutting down; subscribe again', ErrorCode.SERVICE_UNAVAILABLE)];
    if (!enabled || !hasSubscriptions(schema)) {
      return [errorOf('Subscriptions are not available on this router', ErrorCode.BAD_REQUEST)];
    }
    const subscriber = subscriberOf(connectionAuth);
    if (subscriber instanceof GraphQLError) return [subscriber];
    const prepared = prepareSubscription(schema, request, limits);
    if (Array.isArray(prepared)) return prepared;
    const refusal = hub.refusal(connection, subscriber.viewer.id);
    if (refusal) return [refusal];
    const live = new LiveSubscription({
      prepared,
      subscriber,
      ...(clientAddress ? { clientAddress } : {}),
      resolver,
      queueMax: config.SUBSCRIPTION_QUEUE_MAX,
      log,
      onEnd: (s) => hub.remove(connection, s),
    });
    hub.add(connection, live);
    if (live.isEnded) hub.remove(connection, live);
    return live;
  };

  const ws = webSocketTransport({
    hub,
    log,
    heartbeatMs: config.SUBSCRIPTION_HEARTBEAT_MS,
    maxPayload: config.MAX_BODY_BYTES,
    authenticate: auth,
    subscribe,
    clientAddress: (req) => clientAddressOf(req, config.TRUST_PROXY_HOPS),
    requestId: (req) => requestIdFrom(req.headers['x-request-id']),
  });

  const http: HttpSubscriptions = {
    onSchema(next) {
      schema = next;
    },
    async serveHttp(req, res, body, query, context) {
      if (!enabled || !acceptsMultipartSubscriptions(req.headers.accept)) return false;
      const operationName = (body as { operationName?: unknown } | undefined)?.operationName;
      if (!subscriptionDocument(query, operationName, config.MAX_TOKENS)) return false;
      const { requestId } = context;
      if (req.method !== 'POST') {
        sendRefusal(
          req,
          res,
          [errorOf('Subscriptions over HTTP are POST requests', ErrorCode.BAD_REQUEST)],
          requestId,
        );
        return true;
      }
      const connection = stopping
        ? errorOf('The router is shutting down; subscribe again', ErrorCode.SERVICE_UNAVAILABLE)
        : hub.open('multipart');
      if (connection instanceof GraphQLError) {
        sendRefusal(req, res, [connection], requestId);
        return true;
      }
      try {
        // the header itself: the edge passes an expired or invalid token on as anonymous, a
        // subscription is refused with what was wrong with it
        const connectionAuth = await auth(req.headers.authorization);
        const variables = (body as { variables?: unknown }).variables;
        if (
          variables !== undefined &&
          variables !== null &&
          (typeof variables !== 'object' || Array.isArray(variables))
        ) {
          sendRefusal(req, res, [errorOf('variables must be an object', ErrorCode.BAD_REQUEST)], requestId);
          return true;
        }
        const outcome = subscribe(
          connection,
          connectionAuth,
          {
            query: query!,
            variables: (variables ?? null) as Record<string, unknown> | null,
            operationName: typeof operationName === 'string' ? operationName : null,
          },
          context.clientAddress,
        );
        if (Array.isArray(outcome)) {
          sendRefusal(req, res, outcome, requestId);
          return true;
        }
        await streamMultipart(res, outcome, config.SUBSCRIPTION_HEARTBEAT_MS, requestId);
        return true;
      } finally {
        hub.close(connection);
      }
    },
  };

  return {
    http,
    attach(server, accepts) {
      if (!enabled) return;
      server.on('upgrade', (req, socket, head: Buffer) => {
        const path = (req.url ?? '/').split('?')[0] ?? '/';
        if (!paths.has(path)) return refuseUpgrade(socket, 404, 'not found');
        if (accepts && !accepts(req)) return refuseUpgrade(socket, 403, 'origin not allowed');
        ws.upgrade(req, socket, head);
      });
    },
    start() {
      if (enabled) source.start();
    },
    stop() {
      stopped ??= stopAll();
      return stopped;
    },
    stats: () => ({ ...hub.stats(), webSockets: ws.size(), source: source.stats() }),
  };

  async function stopAll() {
    stopping = true;
    // multipart streams end (the final boundary) as their subscriptions end; WebSockets are closed
    // with 1001 without completing theirs, so that graphql-ws clients reconnect and subscribe again
    for (const connection of hub.all('multipart')) hub.close(connection);
    await ws.stop(config.SHUTDOWN_TIMEOUT_MS);
    await source.stop();
  }
}
