import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { hasRouterSecret, ROUTER_SECRET_HEADER } from '@shop/auth';
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
  /** Extra GET routes, e.g. '/.well-known/jwks.json'. */
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

class BodyTooLargeError extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLargeError());
        // Discard (rather than destroy) a moderately oversized body, so that the client, still
        // uploading, receives the 413 instead of a connection reset; give up on absurd sizes.
        chunks.length = 0;
        if (size > limit * 16) req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
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
    const { req, res } = ctx;
    if (options.routerSecret && !hasRouterSecret(req.headers[ROUTER_SECRET_HEADER], options.routerSecret)) {
      sendJson(res, 403, {
        errors: [
          { message: 'Forbidden: requests must come through the router', extensions: { code: 'FORBIDDEN' } },
        ],
      });
      return;
    }
    let body: unknown;
    if (req.method === 'POST') {
      let raw: string;
      try {
        raw = await readBody(req, maxBody);
      } catch (error) {
        if (error instanceof BodyTooLargeError) {
          sendJson(
            res,
            413,
            {
              errors: [{ message: 'Request body too large', extensions: { code: 'BAD_REQUEST' } }],
            },
            { connection: 'close' },
          );
          return;
        }
        throw error;
      }
      const parsed = parseGraphQLBody(raw, req.headers['content-type']);
      if (!parsed.ok) {
        sendJson(res, 400, {
          errors: [{ message: 'Request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }],
        });
        return;
      }
      body = parsed.body;
    }
    await executeApollo(options.apollo, req, res, body, () => options.context(ctx));
  };

  const server: Server = createServer((req, res) => {
    const requestId = requestIdFrom(req.headers['x-request-id']);
    res.setHeader('x-request-id', requestId);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const ctx: RouteContext = { req, res, requestId };
    requestContext.run({ requestId }, () => {
      const route = req.method === 'GET' ? routes[path] : undefined;
      const handler = route ?? (path === '/graphql' || path === '/' ? handleGraphQL : undefined);
      if (!handler) {
        sendJson(res, 404, { error: 'not found' });
        return;
      }
      Promise.resolve(handler(ctx)).catch((error: unknown) => {
        options.log.error({ err: error }, 'request failed');
        if (!res.headersSent)
          sendJson(res, 500, {
            errors: [
              { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } },
            ],
          });
        else res.end();
      });
    });
  });
  server.keepAliveTimeout = 65_000;

  return {
    server,
    /** Listens and resolves with the URL (port 0 picks a free port). */
    async listen(port: number, host = '127.0.0.1'): Promise<{ url: string; port: number }> {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      const address = server.address() as AddressInfo;
      return { url: `http://${host}:${address.port}/graphql`, port: address.port };
    },
    /** Stops accepting connections and waits for in-flight requests to finish. */
    async close(): Promise<void> {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
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
