import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { CLIENT_ADDRESS_HEADER, ROUTER_SECRET_HEADER } from '@shop/auth';
import { serviceUnavailable, unauthenticated } from '@shop/errors';
import type { Logger } from '@shop/server';
import type { RouterContext } from './context';
import {
  dedupeRepresentations,
  fanOutEntities,
  subgraphRequestBody,
  type GatewayGraphQLResponse,
} from './representations';
import { InflightRequests } from './sharing';
import type { SubgraphClient, SubgraphResponse } from './subgraph-client';

/** Failures (errors, or HTTP responses) already logged. */
const reported = new WeakSet<object>();

const isJson = (contentType: string) =>
  contentType.startsWith('application/json') || contentType.startsWith('application/graphql-response+json');

export interface FetchOptions {
  /** Headers to add (Apollo's executor passes some). */
  extraHeaders?: Iterable<[string, string]> | undefined;
  /** Share the answer of an identical request in flight (queries only). */
  share?: boolean;
}

export interface ShopDataSourceOptions {
  name: string;
  url: string;
  client: SubgraphClient;
  routerSecret: string;
  log: Logger;
}

/**
 * The subgraph data source: forwards the client's Authorization and the request id, adds the
 * router's shared secret and the client's address (x-client-address; a shared fetch, which answers
 * several clients, carries none) and asks for an uncompressed response (compression costs CPU on a
 * private network). A subgraph that cannot be reached becomes a SERVICE_UNAVAILABLE error naming
 * the subgraph, never its URL.
 *
 * `process()` (Apollo's executor) replaces RemoteGraphQLDataSource's: the body is serialized once
 * (no Headers/Request objects), sent with the subgraph client (subgraph-client.ts), parsed once; an
 * `_entities` fetch sends each distinct representation once and fans the answers (and errors, with
 * their paths) back out (representations.ts). `fetch()` (the plan executor) sends a body it built.
 * Either way, an answer the request already received is replayed (RouterContext's `replay`), and
 * a shared fetch waits for an identical one in flight (sharing.ts).
 */
export class ShopDataSource extends RemoteGraphQLDataSource<RouterContext> {
  readonly subgraph: string;
  private readonly client: SubgraphClient;
  private readonly routerSecret: string;
  private readonly log: Logger;
  private readonly inflight = new InflightRequests();

  constructor(options: ShopDataSourceOptions) {
    super({ url: options.url });
    this.subgraph = options.name;
    this.client = options.client;
    this.routerSecret = options.routerSecret;
    this.log = options.log;
  }

  /**
   * The headers of one subgraph request. x-client-address is the router's own (context.clientAddress),
   * never one that came in with the request; `shared` leaves it out (see post()).
   */
  headersFor(
    context: RouterContext | undefined,
    extra?: Iterable<[string, string]>,
    shared = false,
  ): Record<string, string> {
    const headers: Record<string, string> = {};
    if (extra) for (const [name, value] of extra) headers[name.toLowerCase()] = value;
    headers['content-type'] = 'application/json';
    headers.accept = 'application/json';
    headers['accept-encoding'] = 'identity';
    headers[ROUTER_SECRET_HEADER] = this.routerSecret;
    if (context?.requestId) headers['x-request-id'] = context.requestId;
    if (context?.authorization) headers.authorization = context.authorization;
    delete headers[CLIENT_ADDRESS_HEADER];
    if (context?.clientAddress && !shared) headers[CLIENT_ADDRESS_HEADER] = context.clientAddress;
    return headers;
  }

  override async process(
    options: GraphQLDataSourceProcessOptions<RouterContext>,
  ): Promise<GatewayGraphQLResponse> {
    const { request, context } = options;
    if (!request.query) throw new Error('Missing query');
    const representations = request.variables?.representations;
    const deduped =
      Array.isArray(representations) && representations.length > 0
        ? dedupeRepresentations(representations)
        : undefined;
    const body = subgraphRequestBody(request.query, request.operationName, request.variables, deduped?.json);
    const response = await this.fetch(body, context as RouterContext | undefined, {
      extraHeaders: request.http?.headers,
    });
    return deduped && deduped.json.length < deduped.slots.length
      ? fanOutEntities(response, deduped)
      : response;
  }

  /**
   * Sends one request body (subgraphRequestBody) and parses the answer. Errors as process(): a
   * subgraph that cannot be reached or answers with an HTTP error or no JSON object throws.
   */
  async fetch(
    body: string,
    context: RouterContext | undefined,
    options: FetchOptions = {},
  ): Promise<GatewayGraphQLResponse> {
    let res: SubgraphResponse;
    try {
      res = await this.post(body, context, options);
    } catch (error) {
      this.didEncounterError(error as Error, undefined);
    }
    if (res.status < 200 || res.status >= 300) {
      this.didEncounterError(new Error(`HTTP ${res.status}: ${res.body.slice(0, 200)}`), undefined, res);
    }
    let parsed: unknown;
    try {
      parsed = isJson(res.contentType) ? JSON.parse(res.body) : undefined;
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      this.didEncounterError(
        new Error(`Expected a JSON object in the subgraph response (HTTP ${res.status}, ${res.contentType})`),
        undefined,
      );
    }
    return parsed as GatewayGraphQLResponse;
  }

  /**
   * The raw answer to a body: replayed from this request's answers (context.replay); or shared with
   * an identical request in flight (`share`); or sent.
   *
   * A shared fetch answers every client that sent the same body with the same Authorization, so it
   * carries no client address and the key stays body + Authorization: its answer cannot depend on
   * an address it never sees. Only queries are shared (PlanExecutor); a mutation (users' login, whose
   * limits count per address) and every fetch Apollo's executor sends carry the address.
   */
  private post(
    body: string,
    context: RouterContext | undefined,
    options: FetchOptions,
  ): Promise<SubgraphResponse> {
    const send = options.share
      ? () =>
          this.inflight.share(body, context?.authorization, () =>
            this.client.post(this.url ?? '', body, this.headersFor(context, undefined, true)),
          )
      : () => this.client.post(this.url ?? '', body, this.headersFor(context, options.extraHeaders));
    const replay = context?.replay;
    return replay ? replay.answer(this.subgraph, body, send) : send();
  }

  override didEncounterError(error: Error, _request: unknown, response?: { status: number }): never {
    // a failure replayed to Apollo's executor (RouterContext's replay) is logged once
    const cause = response ?? error;
    if (!reported.has(cause)) {
      reported.add(cause);
      this.log.warn(
        { subgraph: this.subgraph, status: response?.status, err: error },
        'subgraph request failed',
      );
    }
    if (response?.status === 401) throw unauthenticated('Invalid or expired token');
    const reason = response ? ` (HTTP ${response.status})` : '';
    throw serviceUnavailable(`The ${this.subgraph} service is unavailable${reason}`);
  }
}
