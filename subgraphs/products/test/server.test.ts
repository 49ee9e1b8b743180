import { createTokenVerifier } from '@shop/auth';
import { createLogger } from '@shop/server';
import { createTestIssuer, memoryLog } from '@shop/testing';
import type { ProductsService } from '../src/products.service';

const { createServer } = await import('../src/server');

const SECRET = 'unit-test-router-secret-123';

async function serverWith(products: Partial<ProductsService>) {
  const logs = memoryLog();
  const issuer = await createTestIssuer();
  const app = createServer({
    service: products as ProductsService,
    verifyToken: createTokenVerifier({ jwks: issuer.jwks }),
    routerSecret: SECRET,
    log: createLogger({ name: 'products-unit', level: 'info' }, logs.stream),
    ready: async () => false,
  });
  const { url } = await app.listen(0, '127.0.0.1');
  const base = url.replace(/\/graphql$/, '');
  const send = (path: string, init: RequestInit = {}) => fetch(`${base}${path}`, init);
  const post = (body: string) =>
    send('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-router-secret': SECRET },
      body,
    });
  return { app, logs, send, post };
}

describe('products server (fake service)', () => {
  it('masks an unexpected error as INTERNAL_SERVER_ERROR with the request id, and logs it in full', async () => {
    const { app, logs, post } = await serverWith({
      listProducts: async () => {
        throw new Error('connect ECONNREFUSED mongodb://admin:hunter2@db:27017');
      },
    });
    const res = await post(JSON.stringify({ query: '{ products { edges { cursor } } }' }));
    const text = await res.text();
    const body = JSON.parse(text) as { errors: { message: string; extensions: Record<string, unknown> }[] };
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0]!.message).toBe('Internal server error');
    expect(body.errors[0]!.extensions).toEqual({
      code: 'INTERNAL_SERVER_ERROR',
      requestId: res.headers.get('x-request-id'),
    });
    expect(text).not.toMatch(/hunter2|ECONNREFUSED|stack/);
    expect(logs.lines.some((l) => l.includes('unexpected error') && l.includes('ECONNREFUSED'))).toBe(true);
    await app.close();
  });

  it('reports readiness from its dependencies', async () => {
    const { app, send } = await serverWith({});
    expect((await send('/readyz')).status).toBe(503);
    expect((await send('/healthz')).status).toBe(200);
    await app.close();
  });

  it('refuses a body that is not JSON with a coded client error', async () => {
    const { app, post } = await serverWith({});
    const res = await post('{not json');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('BAD_REQUEST');
    await app.close();
  });
});
