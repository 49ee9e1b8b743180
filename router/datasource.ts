import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ROUTER_SECRET_HEADER } from '@shop/auth';
import { serviceUnavailable, unauthenticated } from '@shop/errors';
import type { Logger } from '@shop/observability';
import { Agent, fetch as undiciFetch } from 'undici';

type Fetcher = RemoteGraphQLDataSource['fetcher'];

/** What the router knows about a request, passed to every subgraph fetch. */
export interface RouterContext {
  requestId: string;
  /** The client's Authorization header (storefront endpoint only; partners never forward one). */
  authorization?: string;
  /** The partner an API key belongs to (partner endpoint only). */
  partner?: string;
}

export interface SubgraphClientOptions {
  connectTimeoutMs: number;
  /** Headers and body timeout of one subgraph request. */
  timeoutMs: number;
}

/**
 * A keep-alive HTTP client for subgraph requests (undici Agent: pooled connections, connect,
 * headers and body timeouts). Returns the fetcher and a close function for shutdown.
 */
export function createSubgraphClient(options: SubgraphClientOptions) {
  const agent = new Agent({
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 60_000,
    connect: { timeout: options.connectTimeoutMs },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connections: 64,
  });
  const fetcher = ((url, init) => undiciFetch(url, { ...init, dispatcher: agent })) as Fetcher;
  return { fetcher, close: () => agent.close() };
}

export interface ShopDataSourceOptions {
  name: string;
  url: string;
  fetcher: Fetcher;
  routerSecret: string;
  log: Logger;
}

/**
 * The subgraph data source: forwards the client's Authorization and the request id, adds the
 * router's shared secret and asks for an uncompressed response (compression costs CPU on a
 * private network). A subgraph that cannot be reached becomes a SERVICE_UNAVAILABLE error naming
 * the subgraph, never its URL.
 */
export class ShopDataSource extends RemoteGraphQLDataSource<RouterContext> {
  readonly subgraph: string;
  private readonly routerSecret: string;
  private readonly log: Logger;

  constructor(options: ShopDataSourceOptions) {
    super({ url: options.url, fetcher: options.fetcher });
    this.subgraph = options.name;
    this.routerSecret = options.routerSecret;
    this.log = options.log;
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RouterContext>): void {
    const headers = request.http?.headers;
    if (!headers) return;
    headers.set(ROUTER_SECRET_HEADER, this.routerSecret);
    headers.set('accept-encoding', 'identity');
    if (context.requestId) headers.set('x-request-id', context.requestId);
    if (context.authorization) headers.set('authorization', context.authorization);
  }

  override didEncounterError(error: Error, _request: unknown, response?: { status: number }): void {
    this.log.warn(
      { subgraph: this.subgraph, status: response?.status, err: error },
      'subgraph request failed',
    );
    if (response?.status === 401) throw unauthenticated('Invalid or expired token');
    const reason = response ? ` (HTTP ${response.status})` : '';
    throw serviceUnavailable(`The ${this.subgraph} service is unavailable${reason}`);
  }
}
