import WebSocket from 'ws';
import { configSchema } from '../config';
import { startTestRouter, type TestRouter } from './test-router';

/**
 * CORS_ORIGINS (router/cors.ts): a browser app on an allowed origin may call /graphql and
 * /public/graphql (preflight 204, Access-Control-Allow-Origin on every answer); any other origin,
 * in any letter case or with a path, gets 403 and no CORS header; no credentials are ever allowed;
 * Apollo's CSRF prevention still refuses a simple (no preflight) cross-site request.
 */
const STOREFRONT = 'http://localhost:3000';
const PRODUCTS = JSON.stringify({ query: '{ products(first: 1) { edges { node { id } } } }' });

describe('CORS', () => {
  let t: TestRouter;
  const preflight = (path: string, origin: string) =>
    fetch(new URL(path, t.url), {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, authorization',
      },
    });

  beforeAll(async () => {
    t = await startTestRouter('router-cors', { CORS_ORIGINS: `${STOREFRONT},https://shop.example` });
  });
  afterAll(() => t.stop());

  it.each(['/graphql', '/public/graphql'])(
    'a preflight to %s from an allowed origin is 204 with its headers',
    async (path) => {
      const res = await preflight(path, STOREFRONT);
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(STOREFRONT);
      expect(res.headers.get('access-control-allow-methods')).toContain('POST');
      expect(res.headers.get('access-control-allow-headers')).toContain('authorization');
      expect(res.headers.get('access-control-allow-headers')).toContain('content-type');
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      expect(res.headers.get('vary')).toContain('Origin');
    },
  );

  it.each(['http://evil.example', 'http://localhost:3001', 'http://localhost:3000.evil.example', 'null'])(
    'a preflight from %s is refused with no CORS header',
    async (origin) => {
      const res = await preflight('/graphql', origin);
      expect(res.status).toBe(403);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    },
  );

  it('an allowed origin in another letter case is the same origin (browsers send it lower case)', async () => {
    const res = await preflight('/graphql', 'HTTPS://SHOP.EXAMPLE');
    expect(res.status).toBe(204);
  });

  it('the answer to an allowed origin carries Access-Control-Allow-Origin; to another none', async () => {
    const post = (origin: string) =>
      fetch(new URL('/graphql', t.url), {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json' },
        body: PRODUCTS,
      });
    const ok = await post(STOREFRONT);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(STOREFRONT);
    expect(ok.headers.get('access-control-expose-headers')).toContain('x-request-id');
    const other = await post('http://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('CSRF prevention stays on: a simple cross-site GET without a preflight header is refused', async () => {
    const url = new URL('/graphql', t.url);
    url.searchParams.set('query', '{ products(first: 1) { edges { node { id } } } }');
    const res = await fetch(url, { headers: { origin: STOREFRONT } });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/CSRF/i);
  });

  it('a WebSocket upgrade from an origin not allowed is refused; from the storefront it is taken', async () => {
    const open = (origin: string) =>
      new Promise<number | 'open'>((resolve) => {
        const ws = new WebSocket(t.url.replace(/^http/, 'ws'), 'graphql-transport-ws', { origin });
        ws.once('open', () => {
          ws.close();
          resolve('open');
        });
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('error', () => undefined);
      });
    expect(await open('http://evil.example')).toBe(403);
    expect(await open(STOREFRONT)).toBe('open');
  });
});

describe('CORS_ORIGINS', () => {
  const parse = (CORS_ORIGINS: string) => configSchema.safeParse({ CORS_ORIGINS });
  it('takes exact origins, comma-separated', () => {
    expect(parse(' https://shop.example , http://localhost:3000 ').data?.CORS_ORIGINS).toEqual([
      'https://shop.example',
      'http://localhost:3000',
    ]);
  });
  it.each(['*', 'https://shop.example/', 'https://shop.example/path', 'ftp://shop.example', 'shop.example'])(
    'refuses %s',
    (value) => {
      expect(parse(value).success).toBe(false);
    },
  );
});
