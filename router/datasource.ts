import {
  RemoteGraphQLDataSource,
  type GraphQLDataSource,
  type GraphQLDataSourceProcessOptions,
} from '@apollo/gateway';
import { ROUTER_SECRET_HEADER } from '@shop/auth';
import { serviceUnavailable, unauthenticated } from '@shop/errors';
import type { Logger } from '@shop/server';
import type { GraphQLFormattedError } from 'graphql';
import { Pool } from 'undici';

/** A subgraph's GraphQL response as the gateway consumes it. */
export type GatewayGraphQLResponse = Awaited<ReturnType<GraphQLDataSource['process']>>;

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
  /** Keep-alive connections per subgraph origin (default 32). */
  connections?: number;
}

export interface SubgraphResponse {
  status: number;
  contentType: string;
  body: string;
}

export interface SubgraphClient {
  /** POSTs a JSON body to a subgraph URL; rejects on connection errors and timeouts only. */
  post(url: string, body: string, headers: Record<string, string>): Promise<SubgraphResponse>;
  close(): Promise<void>;
}

/**
 * The subgraph HTTP client: one undici `Pool` per subgraph origin (keep-alive, no pipelining,
 * `connections` sockets), connect, headers and body timeouts. `Pool.request` directly, not `fetch`:
 * no WHATWG Request/Response/Headers objects and streams per call, which cost more CPU than the
 * request itself on a private network.
 */
export function createSubgraphClient(options: SubgraphClientOptions): SubgraphClient {
  const pools = new Map<string, Pool>();
  const poolFor = (origin: string) => {
    let pool = pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: options.connections ?? 32,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 60_000,
        connect: { timeout: options.connectTimeoutMs },
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
      pools.set(origin, pool);
    }
    return pool;
  };
  const targets = new Map<string, { pool: Pool; path: string }>();
  return {
    async post(url, body, headers) {
      let target = targets.get(url);
      if (!target) {
        const parsed = new URL(url);
        target = { pool: poolFor(parsed.origin), path: `${parsed.pathname}${parsed.search}` };
        targets.set(url, target);
      }
      const res = await target.pool.request({ path: target.path, method: 'POST', headers, body });
      const contentType = res.headers['content-type'];
      return {
        status: res.statusCode,
        contentType: (Array.isArray(contentType) ? contentType[0] : contentType) ?? '',
        body: await res.body.text(),
      };
    },
    async close() {
      await Promise.all([...pools.values()].map((pool) => pool.close()));
      pools.clear();
      targets.clear();
    },
  };
}

/** One `_entities` fetch's representations, each distinct one once, and where each original went. */
export interface DedupedRepresentations {
  /** The distinct representations, serialized (JSON), in first-seen order. */
  json: string[];
  /** For every original representation, the index of its distinct one in `json`. */
  slots: number[];
}

/** Distinct strings in first-seen order (representations as JSON), with an index to find each. */
export class DistinctJson {
  readonly json: string[] = [];
  private readonly index = new Map<string, number>();

  /** The slot of `key`, added when new. */
  slotOf(key: string): number {
    let slot = this.index.get(key);
    if (slot === undefined) {
      slot = this.json.length;
      this.index.set(key, slot);
      this.json.push(key);
    }
    return slot;
  }
}

/**
 * Representations are compared by their JSON: the gateway builds each one from the same selection
 * set, so equal entities serialize to equal strings (key order included).
 */
export function dedupeRepresentations(representations: readonly unknown[]): DedupedRepresentations {
  const distinct = new DistinctJson();
  const slots = new Array<number>(representations.length);
  for (let i = 0; i < representations.length; i++)
    slots[i] = distinct.slotOf(JSON.stringify(representations[i]));
  return { json: distinct.json, slots };
}

/**
 * Fans a deduplicated `_entities` response back out to the original representations: entity i is
 * the answer for its distinct representation (the same object for duplicates: the gateway only
 * merges it into each entity, identically); an error at `_entities.<distinct>` is repeated for every
 * original representation with that one, with its own index. Errors without an entity index are
 * kept as they are. A response whose `_entities` has the wrong length is left untouched (the gateway
 * reports it).
 */
export function fanOutEntities(
  response: GatewayGraphQLResponse,
  deduped: DedupedRepresentations,
): GatewayGraphQLResponse {
  const { slots, json } = deduped;
  const data = response.data as Record<string, unknown> | null | undefined;
  const entities = data?._entities;
  let out = response;
  if (data && Array.isArray(entities) && entities.length === json.length) {
    const expanded = new Array<unknown>(slots.length);
    for (let i = 0; i < slots.length; i++) expanded[i] = entities[slots[i]!];
    out = { ...response, data: { ...data, _entities: expanded } };
  }
  if (response.errors?.length) {
    let originals: number[][] | undefined;
    const errors: GraphQLFormattedError[] = [];
    for (const error of response.errors) {
      const path = error.path;
      const slot = path?.[1];
      if (!path || path[0] !== '_entities' || typeof slot !== 'number') {
        errors.push(error);
        continue;
      }
      if (!originals) {
        originals = json.map(() => []);
        for (let i = 0; i < slots.length; i++) originals[slots[i]!]!.push(i);
      }
      const rest = path.slice(2);
      const targets = originals[slot];
      if (!targets || targets.length === 0) {
        errors.push(error); // an index the subgraph made up: the gateway will not map it either
        continue;
      }
      for (const i of targets) errors.push({ ...error, path: ['_entities', i, ...rest] });
    }
    out = { ...out, errors };
  }
  return out;
}

/** The JSON body of a subgraph request; representations, when given, are spliced in pre-serialized. */
export function subgraphRequestBody(
  query: string,
  operationName: string | undefined,
  variables: Record<string, unknown> | undefined,
  representationsJson?: string[],
): string {
  let body = `{"query":${JSON.stringify(query)}`;
  if (operationName) body += `,"operationName":${JSON.stringify(operationName)}`;
  if (representationsJson) {
    const { representations: _ignored, ...rest } = variables ?? {};
    const others = JSON.stringify(rest);
    body += `,"variables":{${others.length > 2 ? `${others.slice(1, -1)},` : ''}"representations":[${representationsJson.join(',')}]}`;
  } else if (variables && Object.keys(variables).length > 0) {
    body += `,"variables":${JSON.stringify(variables)}`;
  }
  return `${body}}`;
}

/** Per request: subgraph name -> request body -> the raw answer (see recordSubgraphResponses). */
const recordings = new WeakMap<RouterContext, Map<string, Map<string, Promise<SubgraphResponse>>>>();

/**
 * From now on, every subgraph answer this request receives is kept with the request, and a request
 * body sent again to the same subgraph gets the kept answer (or failure) instead of a new request.
 * The plan executor records before it runs a query, so that when it hands the query to Apollo's
 * executor (an error to report, say), Apollo's executor replays the fetches already made.
 */
export function recordSubgraphResponses(context: RouterContext): void {
  if (!recordings.has(context)) recordings.set(context, new Map());
}

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
 * router's shared secret and asks for an uncompressed response (compression costs CPU on a
 * private network). A subgraph that cannot be reached becomes a SERVICE_UNAVAILABLE error naming
 * the subgraph, never its URL.
 *
 * `process()` replaces RemoteGraphQLDataSource's: the body is serialized once (no Headers/Request
 * objects), sent with the undici pool, parsed once; an `_entities` fetch sends each distinct
 * representation once and fans the answers (and errors, with their paths) back out.
 */
export class ShopDataSource extends RemoteGraphQLDataSource<RouterContext> {
  readonly subgraph: string;
  private readonly client: SubgraphClient;
  private readonly routerSecret: string;
  private readonly log: Logger;
  /** Requests in flight that identical ones share (see shared()), by Authorization and body. */
  private readonly inflight = new Map<string, Promise<SubgraphResponse>>();

  constructor(options: ShopDataSourceOptions) {
    super({ url: options.url });
    this.subgraph = options.name;
    this.client = options.client;
    this.routerSecret = options.routerSecret;
    this.log = options.log;
  }

  /** The headers of one subgraph request. */
  headersFor(context: RouterContext | undefined, extra?: Iterable<[string, string]>): Record<string, string> {
    const headers: Record<string, string> = {};
    if (extra) for (const [name, value] of extra) headers[name.toLowerCase()] = value;
    headers['content-type'] = 'application/json';
    headers.accept = 'application/json';
    headers['accept-encoding'] = 'identity';
    headers[ROUTER_SECRET_HEADER] = this.routerSecret;
    if (context?.requestId) headers['x-request-id'] = context.requestId;
    if (context?.authorization) headers.authorization = context.authorization;
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
   * The raw answer to a body: sent; or shared with an identical request in flight (`share`); or
   * replayed from this request's recorded answers.
   */
  private post(
    body: string,
    context: RouterContext | undefined,
    options: FetchOptions,
  ): Promise<SubgraphResponse> {
    const send = options.share
      ? () => this.shared(body, context)
      : () => this.client.post(this.url ?? '', body, this.headersFor(context, options.extraHeaders));
    const recorded = context && recordings.get(context);
    if (!recorded) return send();
    let bodies = recorded.get(this.subgraph);
    if (!bodies) recorded.set(this.subgraph, (bodies = new Map()));
    let response = bodies.get(body);
    if (!response) {
      response = send();
      response.catch(() => {}); // whoever awaits it handles the failure
      bodies.set(body, response);
    }
    return response;
  }

  /**
   * One request for every identical one in flight: same body, same Authorization (the subgraph sees
   * the first request's id). Only for queries, whose answer does not depend on who else asks.
   */
  private shared(body: string, context: RouterContext | undefined): Promise<SubgraphResponse> {
    const key = context?.authorization ? `${context.authorization}\n${body}` : body;
    let response = this.inflight.get(key);
    if (!response) {
      response = this.client.post(this.url ?? '', body, this.headersFor(context));
      this.inflight.set(key, response);
      const done = () => this.inflight.delete(key);
      response.then(done, done);
    }
    return response;
  }

  override didEncounterError(error: Error, _request: unknown, response?: { status: number }): never {
    // a failure replayed to Apollo's executor (recordSubgraphResponses) is logged once
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
