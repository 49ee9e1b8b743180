/** The router's /graphql endpoint and its operation (health, a subgraph down, the router secret). */
import { SUBGRAPH_NAMES } from '@shop/config';
import { gql, runId } from '@shop/testing';
import { FAKE_TOKEN } from './fake-subgraphs';
import { startTestRouter, type TestRouter } from './test-router';

const JOIN_ALL = /* GraphQL */ `
  query JoinAll {
    me {
      name
      orders {
        id
        status
        items {
          quantity
          product {
            name
            sku
          }
        }
        payment {
          status
        }
        notifications {
          subject
        }
      }
      notifications {
        subject
      }
    }
  }
`;

let t: TestRouter;
let url: string;

beforeAll(async () => {
  t = await startTestRouter('router-test');
  ({ url } = t);
});

afterAll(async () => {
  await t?.stop();
});

describe('/graphql', () => {
  it('answers a query that joins all five subgraphs, forwarding the token and the request id', async () => {
    const requestId = runId('req');
    const res = await gql(url, JOIN_ALL, undefined, { authorization: FAKE_TOKEN, 'x-request-id': requestId });
    expect(res.errors).toBeUndefined();
    // answered by the router's plan executor, not handed to Apollo's (executor/)
    expect(t.logs.lines.filter((l) => l.includes('Apollo’s executor'))).toEqual([]);
    expect(res.data).toEqual({
      me: {
        name: 'Ada',
        orders: [
          {
            id: 'o1',
            status: 'PAID',
            items: [{ quantity: 2, product: { name: 'GraphQL in Action', sku: 'BOOK-1' } }],
            payment: { status: 'SUCCEEDED' },
            notifications: [{ subject: 'Order o1 paid' }],
          },
        ],
        notifications: [{ subject: 'Welcome' }],
      },
    });
    for (const name of SUBGRAPH_NAMES) {
      const headers = t.fakes[name].lastHeaders!;
      expect(headers['x-request-id']).toBe(requestId);
      expect(headers['accept-encoding']).toBe('identity');
    }
    expect(t.fakes.users!.lastHeaders!.authorization).toBe(FAKE_TOKEN);
  });

  it('serves the anonymous viewer when no token is sent (the subgraphs decide)', async () => {
    const res = await gql(url, '{ me { name } }');
    expect(res.data).toEqual({ me: null });
    expect(t.fakes.users!.lastHeaders!.authorization).toBeUndefined();
  });

  it('serves a request with an invalid token anonymously and says so (plugins/authentication.ts)', async () => {
    for (const authorization of ['Bearer forged.token.value', 'Basic YWRhOnB3', `${FAKE_TOKEN}x`]) {
      const res = await gql<{ me: null }>(url, '{ me { id } }', undefined, { authorization });
      expect(res.status).toBe(200);
      expect(res.data).toEqual({ me: null });
      expect((res as { extensions?: unknown }).extensions).toEqual({ authentication: 'INVALID' });
      expect(res.headers.get('www-authenticate')).toBe(
        'Bearer error="invalid_token", error_description="The access token is invalid"',
      );
      // the subgraph saw an anonymous request: the token never left the router
      expect(t.fakes.users!.lastHeaders!.authorization).toBeUndefined();
    }
    // a valid token: no extension, no header
    const ok = await gql(url, '{ me { id } }', undefined, { authorization: FAKE_TOKEN });
    expect((ok as { extensions?: unknown }).extensions).toBeUndefined();
    expect(ok.headers.get('www-authenticate')).toBeNull();
  });

  it('masks an internal subgraph error: no internal address reaches the client', async () => {
    const res = await gql(url, '{ product(id: "boom") { name } }');
    expect(res.data).toEqual({ product: null });
    expect(res.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(JSON.stringify(res.errors)).not.toMatch(/mongodb|10\.0\.0\.7|stacktrace/);
  });

  it('has introspection off outside development', async () => {
    const res = await gql(url, '{ __schema { types { name } } }');
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.message).toMatch(/introspection/i);
  });

  it('refuses a GET mutation and a form post (CSRF prevention)', async () => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{"query":"{ me { name } }"}',
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/CSRF/i);
  });

  it('refuses batched requests', async () => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ me { name } }' }, { query: '{ me { name } }' }]),
    });
    expect(res.status).toBe(400);
  });
});

describe('operations', () => {
  it('answers /healthz and /readyz', async () => {
    const base = url.replace(/\/graphql$/, '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { subgraphs: Record<string, string> }).subgraphs).toEqual({
      users: 'ok',
      products: 'ok',
      orders: 'ok',
      payments: 'ok',
      notifications: 'ok',
    });
  });

  it('serves partial data with a named error while a subgraph is down, and recovers without a restart', async () => {
    const query = '{ me { name orders { id payment { status } notifications { subject } } } }';
    const headers = { authorization: FAKE_TOKEN };
    await t.fakes.payments!.stop();
    try {
      const res = await gql<{
        me: { name: string; orders: { id: string; payment: unknown; notifications: unknown[] }[] };
      }>(url, query, undefined, headers);
      expect(res.status).toBe(200);
      expect(res.data?.me.name).toBe('Ada');
      expect(res.data?.me.orders[0]).toEqual({
        id: 'o1',
        payment: null,
        notifications: [{ subject: 'Order o1 paid' }],
      });
      expect(res.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      expect(res.errors?.[0]?.message).toBe('The payments service is unavailable');
      expect(JSON.stringify(res.errors)).not.toMatch(/127\.0\.0\.1|http:/);
      const base = url.replace(/\/graphql$/, '');
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { subgraphs: Record<string, string> }).subgraphs.payments).toBe(
        'unreachable',
      );
    } finally {
      await t.fakes.payments!.restart();
    }
    const again = await gql(url, query, undefined, headers);
    expect(again.errors).toBeUndefined();
    expect(again.data).toEqual({
      me: {
        name: 'Ada',
        orders: [
          { id: 'o1', payment: { status: 'SUCCEEDED' }, notifications: [{ subject: 'Order o1 paid' }] },
        ],
      },
    });
  });

  it('a request straight to a subgraph without the router secret is refused', async () => {
    const direct = await gql(t.fakes.users!.url, '{ me { name } }', undefined, { authorization: FAKE_TOKEN });
    expect(direct.status).toBe(403);
    expect(direct.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const withSecret = await gql(t.fakes.users!.url, '{ me { name } }', undefined, {
      authorization: FAKE_TOKEN,
      'x-router-secret': t.secret,
    });
    expect(withSecret.data).toEqual({ me: { name: 'Ada' } });
  });
});
