import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { hasRouterSecret, ROUTER_SECRET_HEADER } from '@shop/auth';
import { ErrorCode, errorResponse } from '@shop/errors';
import { requestContext, requestIdFrom, type Logger } from './logger';

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
}

export type Route = (ctx: RouteContext) => Promise<void> | void;

export interface GraphQLHttpOptions<TContext extends BaseContext> {
  apollo: ApolloServer<TContext>;
  /** Builds the per-request GraphQL context. */
  context: (ctx: RouteContext) => Promise<TContext>;
  /** When set, /graphql refuses requests without this value in x-router-secret. */
  routerSecret?: string;
  /** Readiness: resolves true when every dependency answers. */
  ready?: () => Promise<boolean>;
  /**
   * Extra routes: a bare path is a GET route ('/.well-known/jwks.json'), a path after a method is
   * that method's ('POST /webhooks/provider'; the route reads its own body, e.g. with readRawBody).
   */
  routes?: Record<string, Route>;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes?: number;
  log: Logger;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(payload);
}

/** A GraphQL-over-HTTP error response (errorResponse of @shop/errors), shaped like Apollo's own. */
export function sendGraphQLError(
  res: ServerResponse,
  status: number,
  message: string,
  code: ErrorCode,
  extensions: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) {
  sendJson(res, status, errorResponse(message, code, extensions), headers);
}

export class BodyTooLargeError extends Error {}

/** The client closed the connection before its request was complete. */
export class ClientGoneError extends Error {}

/**
 * Reads a request body, refusing one over `limit` bytes. The one rule, for the router and the
 * subgraphs alike: an oversized body is drained (read and discarded, nothing kept), never destroyed,
 * so that the client, still uploading, receives the 413 and keeps its keep-alive connection (a socket
 * cut mid-upload fails the client's next request on it: the security suite's 2 MB document followed
 * by a 50 kB one showed it). What an absurd body costs is bandwidth, bounded by the server's
 * requestTimeout; the subgraphs' former "destroy at 16× the limit" is gone with it.
 * A client gone before its body was read rejects with ClientGoneError (no 'end' would ever come).
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return (await readRawBody(req, limit)).toString('utf8');
}

/**
 * readBody's bytes, as they came (a signature over the raw body needs them untouched): the same
 * rules, BodyTooLargeError over `limit` (drained), ClientGoneError for a client gone mid-body.
 */
export function readRawBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLargeError());
        chunks.length = 0;
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    // after 'end' these change nothing (the promise is settled)
    if (req.destroyed) reject(new ClientGoneError());
    req.on('close', () => reject(new ClientGoneError()));
  });
}

/** The body of a GraphQL POST: JSON for the JSON content types, else the raw text (Apollo refuses it). */
export function parseGraphQLBody(
  raw: string,
  contentType: string | undefined,
): { ok: true; body: unknown } | { ok: false } {
  const type = contentType ?? '';
  if (!type.startsWith('application/json') && !type.startsWith('application/graphql-response+json')) {
    return { ok: true, body: raw };
  }
  try {
    return { ok: true, body: raw.length ? JSON.parse(raw) : undefined };
  } catch {
    return { ok: false };
  }
}

/**
 * The body of a GraphQL request, read and parsed (undefined for a GET), for the router and the
 * subgraphs alike. A refused body gets its answer here, 413 over `maxBodyBytes` and 400 when it is
 * not JSON (code BAD_REQUEST, with the request id), and `undefined` comes back: nothing more to do.
 */
export async function readGraphQLBody(
  req: IncomingMessage,
  res: ServerResponse,
  maxBodyBytes: number,
  requestId: string,
): Promise<{ body: unknown } | undefined> {
  if (req.method !== 'POST') return { body: undefined };
  let raw: string;
  try {
    raw = await readBody(req, maxBodyBytes);
  } catch (error) {
    if (!(error instanceof BodyTooLargeError)) throw error;
    sendGraphQLError(res, 413, 'Request body too large', ErrorCode.BAD_REQUEST, { requestId });
    return undefined;
  }
  const parsed = parseGraphQLBody(raw, req.headers['content-type']);
  if (!parsed.ok) {
    sendGraphQLError(res, 400, 'Request body is not valid JSON', ErrorCode.BAD_REQUEST, { requestId });
    return undefined;
  }
  return { body: parsed.body };
}

/**
 * The one wrapper of every HTTP request the router and the subgraphs serve: the request id (the
 * client's when it is a safe one, echoed in x-request-id) in the logger's request context, and a
 * handler that fails answered here: a client gone before its request was read is only logged at
 * debug; anything else is logged and answered 500 INTERNAL_SERVER_ERROR with the request id (or the
 * response is ended, when its head was already sent).
 */
export function requestListener(
  log: Logger,
  handle: (req: IncomingMessage, res: ServerResponse, requestId: string) => Promise<void>,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const requestId = requestIdFrom(req.headers['x-request-id']);
    res.setHeader('x-request-id', requestId);
    requestContext.run({ requestId }, () => {
      handle(req, res, requestId).catch((err: unknown) => {
        if (err instanceof ClientGoneError) return log.debug('client gone before its request was read');
        log.error({ err }, 'request failed');
        if (!res.headersSent)
          sendGraphQLError(res, 500, 'Internal server error', ErrorCode.INTERNAL_SERVER_ERROR, { requestId });
        else res.end();
      });
    });
  };
}

/**
 * Hands one parsed HTTP request to an Apollo Server and writes its answer (what
 * `startStandaloneServer` does, without its server). Shared by the subgraphs and the router.
 */
export async function executeApollo<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
  context: () => Promise<TContext>,
): Promise<void> {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const response = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
    context,
  });
  for (const [key, value] of response.headers) res.setHeader(key, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    // the string goes to the socket as it is (encoded by the stream in C++): a Buffer.from copy of a
    // large response costs more (an external allocation per response the GC must account for)
    const text = response.body.string;
    res.setHeader('content-length', Buffer.byteLength(text, 'utf8'));
    res.end(text);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

/**
 * A small node:http integration for Apollo Server (the same thing `startStandaloneServer` does,
 * plus health routes, the router-secret check and request ids). `/graphql` and `/` serve GraphQL.
 */
export function createGraphQLHttpServer<TContext extends BaseContext>(options: GraphQLHttpOptions<TContext>) {
  const maxBody = options.maxBodyBytes ?? 1_000_000;
  const routes: Record<string, Route> = {
    '/healthz': ({ res }) => sendJson(res, 200, { status: 'ok' }),
    '/readyz': async ({ res }) => {
      const ok = options.ready ? await options.ready().catch(() => false) : true;
      sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'not ready' });
    },
    ...options.routes,
  };

  const handleGraphQL = async (ctx: RouteContext) => {
    const { req, res, requestId } = ctx;
    if (options.routerSecret && !hasRouterSecret(req.headers[ROUTER_SECRET_HEADER], options.routerSecret)) {
      sendGraphQLError(res, 403, 'Forbidden: requests must come through the router', ErrorCode.FORBIDDEN, {
        requestId,
      });
      return;
    }
    const read = await readGraphQLBody(req, res, maxBody, requestId);
    if (read) await executeApollo(options.apollo, req, res, read.body, () => options.context(ctx));
  };

  const server: Server = createServer(
    requestListener(options.log, async (req, res, requestId) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const route = req.method === 'GET' ? routes[path] : routes[`${req.method ?? ''} ${path}`];
      const handler = route ?? (path === '/graphql' || path === '/' ? handleGraphQL : undefined);
      if (!handler) return sendJson(res, 404, { error: 'not found' });
      await handler({ req, res, requestId });
    }),
  );
  server.keepAliveTimeout = 65_000;

  return { server, ...listening(server, '/graphql') };
}

/**
 * listen() and close() of a node:http server, the same for every process: listen resolves with the
 * base URL + `path` (port 0 picks a free port); close stops accepting connections, waits for
 * requests in flight and closes keep-alive connections as they go idle.
 */
export function listening(server: Server, path = '') {
  return {
    async listen(port: number, host = '127.0.0.1'): Promise<{ url: string; port: number }> {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      const address = server.address() as AddressInfo;
      return { url: `http://${host}:${address.port}${path}`, port: address.port };
    },
    async close(): Promise<void> {
      // A keep-alive connection busy when close() is called goes idle once its request is answered
      // and would then hold close() until keepAliveTimeout (a PSP's webhook delivery, a client
      // still connected): idle connections are closed as they appear until the server is closed.
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      try {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
      } finally {
        clearInterval(sweep);
      }
    },
  };
}

export type GraphQLHttpServer = ReturnType<typeof createGraphQLHttpServer>;

/** What every subgraph's createServer returns, whatever serves GraphQL behind it. */
export interface GraphQLServer {
  /** Listens and resolves with the URL of /graphql (port 0 picks a free port). */
  listen(port: number, host?: string): Promise<{ url: string; port: number }>;
  /** Stops accepting connections, waits for requests in flight, releases the GraphQL engine. */
  close(): Promise<void>;
}
