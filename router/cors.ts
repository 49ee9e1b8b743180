/**
 * CORS for browser apps on other origins (the storefront on http://localhost:3000, say): only the
 * origins of CORS_ORIGINS get `Access-Control-Allow-Origin`, on `/graphql` and `/public/graphql`.
 * A preflight from an allowed origin is answered 204 with the methods and headers a GraphQL client
 * sends; from any other origin 403, without CORS headers, so the browser refuses the call. The
 * session is a bearer token in `Authorization`, not a cookie, so no credentials are allowed
 * (`Access-Control-Allow-Credentials` is never sent) and Apollo's CSRF prevention stays on.
 * WebSocket upgrades (subscriptions) from a page of an origin not listed are refused too
 * (browsers do not apply CORS to WebSockets).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

const ALLOW_METHODS = 'GET, POST, OPTIONS';
const ALLOW_HEADERS = [
  'authorization',
  'content-type',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'x-api-key',
  'x-request-id',
].join(', ');
const EXPOSE_HEADERS =
  'x-request-id, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset, retry-after';
const MAX_AGE_SECONDS = '600';

export interface Cors {
  /** Whether a request's Origin may call the graph (no Origin: not a browser's cross-origin call). */
  allows(req: IncomingMessage): boolean;
  /**
   * Sets the CORS headers of an allowed origin; answers a preflight (OPTIONS) itself and returns
   * true when the request is done.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
}

/** `origins`: exact origins as the browser sends them (scheme://host[:port], no path). */
export function createCors(origins: readonly string[]): Cors {
  const allowed = new Set(origins.map((o) => o.toLowerCase()));
  const originOf = (req: IncomingMessage) => {
    const origin = req.headers.origin;
    return typeof origin === 'string' ? origin : undefined;
  };
  const allows = (req: IncomingMessage) => {
    const origin = originOf(req);
    return origin === undefined || allowed.has(origin.toLowerCase());
  };
  return {
    allows,
    handle(req, res) {
      const origin = originOf(req);
      const preflight = req.method === 'OPTIONS';
      if (origin !== undefined) res.setHeader('vary', 'Origin');
      if (origin === undefined || !allowed.has(origin.toLowerCase())) {
        if (!preflight) return false;
        res.writeHead(origin === undefined ? 204 : 403, { allow: ALLOW_METHODS, 'content-length': '0' });
        res.end();
        return true;
      }
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-expose-headers', EXPOSE_HEADERS);
      if (!preflight) return false;
      res.writeHead(204, {
        'access-control-allow-methods': ALLOW_METHODS,
        'access-control-allow-headers': ALLOW_HEADERS,
        'access-control-max-age': MAX_AGE_SECONDS,
        'content-length': '0',
      });
      res.end();
      return true;
    },
  };
}
