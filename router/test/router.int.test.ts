import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@shop/config';
import { createLogger } from '@shop/server';
import { gql, memoryLog, redisPrefix, runId } from '@shop/testing';
import { composeAll } from '../../schema/composition';
import { configSchema, createRouter, type Router } from '../index';
import {
  FAKE_TOKEN,
  fakeVerifyToken,
  fixtureSubgraphs,
  startFakeSubgraph,
  type FakeSubgraph,
} from './fake-subgraphs';

const secret = `secret-${runId('r')}`;
const partnerKey = `key-${runId('acme')}`;
const burstKey = `key-${runId('burst')}`;
/** The operation resolution tests' partner key (its own rate-limit window). */
const opsKey = `key-${runId('ops')}`;
const floodKey = `key-${runId('flood')}`;
const sha = (value: string) => createHash('sha256').update(value).digest('hex');
const logs = memoryLog();
const log = createLogger({ name: 'router-test', level: 'debug' }, logs.stream);
const rate = redisPrefix('router');
const dir = mkdtempSync(join(tmpdir(), 'router-test-'));

const fakes: Record<string, FakeSubgraph> = {};
let router: Router;
let url: string;
let publicUrl: string;
const totalRequests = () => Object.values(fakes).reduce((n, f) => n + f.requests, 0);

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

beforeAll(async () => {
  for (const { name } of fixtureSubgraphs()) fakes[name] = await startFakeSubgraph(name, secret, log);
  const { files } = composeAll(fixtureSubgraphs());
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  const config = loadConfig(configSchema, {
    NODE_ENV: 'test',
    PORT: '0',
    ROUTER_SECRET: secret,
    USERS_URL: fakes.users!.url,
    PRODUCTS_URL: fakes.products!.url,
    ORDERS_URL: fakes.orders!.url,
    PAYMENTS_URL: fakes.payments!.url,
    NOTIFICATIONS_URL: fakes.notifications!.url,
    SUPERGRAPH_PATH: join(dir, 'supergraph.graphql'),
    PUBLIC_SUPERGRAPH_PATH: join(dir, 'public.supergraph.graphql'),
    PARTNER_API_KEYS: `acme:${sha(partnerKey)},burst:${sha(burstKey)},ops:${sha(opsKey)},flood:${sha(floodKey)}`,
    PARTNER_RATE_LIMIT: '5',
    PARTNER_RATE_LIMIT_PREFIX: rate.prefix,
    MAX_DEPTH: '5',
    MAX_ALIASES: '3',
    MAX_COST: '1000',
    SUBGRAPH_TIMEOUT_MS: '3000',
  });
  router = createRouter(config, { log, verifyToken: fakeVerifyToken });
  ({ url, publicUrl } = await router.start());
});

afterAll(async () => {
  await router?.stop();
  for (const fake of Object.values(fakes)) await fake.close();
  await rate.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('/graphql', () => {
  it('answers a query that joins all five subgraphs, forwarding the token and the request id', async () => {
    const requestId = runId('req');
    const res = await gql(url, JOIN_ALL, undefined, { authorization: FAKE_TOKEN, 'x-request-id': requestId });
    expect(res.errors).toBeUndefined();
    // answered by the router's plan executor, not handed to Apollo's (executor.ts)
    expect(logs.lines.filter((l) => l.includes('Apollo’s executor'))).toEqual([]);
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
    for (const name of ['users', 'products', 'orders', 'payments', 'notifications']) {
      const headers = fakes[name]!.lastHeaders!;
      expect(headers['x-request-id']).toBe(requestId);
      expect(headers['accept-encoding']).toBe('identity');
    }
    expect(fakes.users!.lastHeaders!.authorization).toBe(FAKE_TOKEN);
  });

  it('serves the anonymous viewer when no token is sent (the subgraphs decide)', async () => {
    const res = await gql(url, '{ me { name } }');
    expect(res.data).toEqual({ me: null });
    expect(fakes.users!.lastHeaders!.authorization).toBeUndefined();
  });

  it('answers 401 UNAUTHENTICATED at the edge for an invalid token, before any subgraph is called', async () => {
    const before = totalRequests();
    for (const authorization of ['Bearer forged.token.value', 'Basic YWRhOnB3']) {
      const res = await gql(url, '{ me { id } }', undefined, { authorization });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    expect(totalRequests()).toBe(before);
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

describe('limits', () => {
  const refusedBeforeSubgraphs = async (query: string, limit: string) => {
    const before = totalRequests();
    const res = await gql(url, query);
    expect(res.status).toBe(400);
    expect(res.data ?? null).toBeNull();
    expect(res.errors?.[0]?.extensions?.limit).toBe(limit);
    expect(totalRequests()).toBe(before);
    return res;
  };

  it('refuses a query over the depth limit before any subgraph is called', async () => {
    const res = await refusedBeforeSubgraphs(
      '{ me { orders { items { product { price { amount } } } } } }',
      'depth',
    );
    // the walk stops at the first field over the limit: the depth it reports is a lower bound
    expect(res.errors?.[0]?.message).toBe('Query depth 6 or more exceeds the limit of 5');
  });

  it('refuses a query over the alias limit before any subgraph is called', async () => {
    await refusedBeforeSubgraphs(
      '{ a: product(id: "p1") { name } b: product(id: "p1") { name } c: product(id: "p2") { name } d: product(id: "p2") { name } }',
      'aliases',
    );
  });

  it('refuses a query over the cost limit before any subgraph is called (first multiplies)', async () => {
    const query = 'query ($n: Int) { me { orders(first: $n) { items { product { name sku } } } } }';
    const before = totalRequests();
    const res = await gql(url, query, { n: 50 });
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions?.limit).toBe('cost');
    expect(totalRequests()).toBe(before);
    // the same shape with a small page is within the limit and runs
    const small = await gql(url, query, { n: 1 }, { authorization: FAKE_TOKEN });
    expect(small.errors).toBeUndefined();
  });

  it('refuses a fragment bomb (2^40 fields from 41 small fragments) before any subgraph is called', async () => {
    let fragments = 'fragment F0 on Product { name sku }';
    for (let i = 1; i <= 40; i++) fragments += ` fragment F${i} on Product { ...F${i - 1} ...F${i - 1} }`;
    const res = await refusedBeforeSubgraphs(
      `{ products(first: 1) { edges { node { ...F40 } } } } ${fragments}`,
      'cost',
    );
    expect(res.errors?.[0]?.message).toMatch(/^Query cost \d+ or more exceeds the limit of 1000$/);
  });

  it('refuses a query document over MAX_QUERY_BYTES before parsing it', async () => {
    const before = totalRequests();
    const res = await gql(url, `{ products(first: 1) { edges { node { name } } } ${' '.repeat(20_001)} }`);
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'size' });
    expect(totalRequests()).toBe(before);
  });

  it('refuses a document over the token limit', async () => {
    const before = totalRequests();
    // 2,102 tokens in 4.2 kB: under MAX_QUERY_BYTES, over MAX_TOKENS
    const res = await gql(url, `{ ${'a '.repeat(2100)}}`);
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(res.errors?.[0]?.message).toMatch(/tokens/);
    expect(totalRequests()).toBe(before);
  });
});

describe('operation resolution', () => {
  const PRODUCTS = 'products(first: 1) { edges { node { name } } }';
  const refused = async (
    endpoint: 'main' | 'public',
    body: { query: string; operationName?: string },
    code: string,
    message: string,
  ) => {
    const before = totalRequests();
    const res = await fetch(endpoint === 'main' ? url : publicUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(endpoint === 'public' ? { 'x-api-key': opsKey } : {}),
      },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as {
      data?: unknown;
      errors?: { message: string; extensions?: { code?: string } }[];
    };
    expect({ status: res.status, data: json.data ?? null, error: json.errors?.[0] }).toEqual({
      status: 400,
      data: null,
      error: expect.objectContaining({ message, extensions: expect.objectContaining({ code }) }),
    });
    expect(totalRequests()).toBe(before);
  };

  it.each(['main', 'public'] as const)(
    '%s: an unknown operationName is 400 OPERATION_RESOLUTION_FAILURE',
    (endpoint) =>
      refused(
        endpoint,
        { query: `query A { ${PRODUCTS} }`, operationName: 'B' },
        'OPERATION_RESOLUTION_FAILURE',
        'Unknown operation named "B".',
      ),
  );

  it.each(['main', 'public'] as const)('%s: two operations without an operationName are 400', (endpoint) =>
    refused(
      endpoint,
      { query: `query A { ${PRODUCTS} } query B { ${PRODUCTS} }` },
      'OPERATION_RESOLUTION_FAILURE',
      'Must provide operation name if query contains multiple operations.',
    ),
  );

  it.each(['main', 'public'] as const)(
    '%s: a subscription (no Subscription type) is a validation error',
    (endpoint) =>
      refused(
        endpoint,
        { query: 'subscription { products { edges { cursor } } }' },
        'GRAPHQL_VALIDATION_FAILED',
        'The subscription operation is not supported by the schema.',
      ),
  );

  it('a mutation on the partner contract (no Mutation type) is a validation error', () =>
    refused(
      'public',
      { query: 'mutation { register(input: { email: "a@b.c" }) { __typename } }' },
      'GRAPHQL_VALIDATION_FAILED',
      'The mutation operation is not supported by the schema.',
    ));

  it('checks the limits first: an alias flood of mutations on the contract is an alias refusal', async () => {
    const mutations = Array.from(
      { length: 4 },
      (_, i) => `r${i}: register(input: { email: "a@b.c" }) { __typename }`,
    );
    const res = await fetch(publicUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': floodKey },
      body: JSON.stringify({ query: `mutation { ${mutations.join(' ')} }` }),
    });
    const json = (await res.json()) as { errors?: { extensions?: { code?: string; limit?: string } }[] };
    expect({ status: res.status, extensions: json.errors?.[0]?.extensions }).toMatchObject({
      status: 400,
      extensions: { code: 'BAD_USER_INPUT', limit: 'aliases' },
    });
  });

  it('still runs the named operation of a document with several', async () => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: `query A { ${PRODUCTS} } query B { product(id: "p1") { name } }`,
        operationName: 'B',
      }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { product: { name: 'GraphQL in Action' } } });
  });
});

describe('/public/graphql', () => {
  it('refuses a request without an API key, or with an unknown one', async () => {
    const none = await gql(publicUrl, '{ products { edges { node { name } } } }');
    expect(none.status).toBe(401);
    expect(none.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const wrong = await gql(publicUrl, '{ products { edges { node { name } } } }', undefined, {
      'x-api-key': 'not-a-key',
    });
    expect(wrong.status).toBe(401);
  });

  it('serves the catalogue to a partner, without forwarding an Authorization header', async () => {
    const res = await gql<{ products: { edges: { node: { name: string; price: { amount: number } } }[] } }>(
      publicUrl,
      '{ products(first: 5) { edges { node { name price { amount currency } category } } } }',
      undefined,
      { 'x-api-key': partnerKey, authorization: FAKE_TOKEN },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.products.edges.map((e) => e.node.name)).toEqual([
      'GraphQL in Action',
      'Federation Blues',
    ]);
    expect(fakes.products!.lastHeaders!.authorization).toBeUndefined();
    expect(res.headers.get('x-ratelimit-limit')).toBe('5');
  });

  it('exposes no user, order, payment or notification type and no stock (introspection)', async () => {
    const res = await gql<{
      __schema: { types: { name: string; fields: { name: string }[] | null }[]; mutationType: unknown };
    }>(publicUrl, '{ __schema { mutationType { name } types { name fields { name } } } }', undefined, {
      'x-api-key': partnerKey,
    });
    expect(res.errors).toBeUndefined();
    const names = res.data!.__schema.types.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['Product', 'Money', 'Query']));
    for (const hidden of [
      'User',
      'Order',
      'OrderItem',
      'Payment',
      'Notification',
      'RegisterInput',
      'OrderStatus',
    ]) {
      expect(names).not.toContain(hidden);
    }
    expect(res.data!.__schema.mutationType).toBeNull();
    const product = res.data!.__schema.types.find((t) => t.name === 'Product')!;
    expect(product.fields!.map((f) => f.name)).not.toContain('stock');
    const query = res.data!.__schema.types.find((t) => t.name === 'Query')!;
    expect(query.fields!.map((f) => f.name).sort()).toEqual(['product', 'products']);
  });

  it('rejects hidden fields like any unknown field', async () => {
    const res = await gql(publicUrl, '{ product(id: "p1") { stock } }', undefined, {
      'x-api-key': partnerKey,
    });
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.errors?.[0]?.message).not.toMatch(/Did you mean/);
  });

  it('answers RATE_LIMITED (429) once a key is over its limit per minute', async () => {
    // stay inside one fixed window
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 50_000) await new Promise((r) => setTimeout(r, 60_000 - intoMinute + 100));
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 6; i += 1) {
      last = await gql(publicUrl, '{ product(id: "p1") { name } }', undefined, { 'x-api-key': burstKey });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(last!.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    // another partner is not affected
    const other = await gql(publicUrl, '{ product(id: "p1") { name } }', undefined, {
      'x-api-key': partnerKey,
    });
    expect(other.status).toBe(200);
  }, 30_000);
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
    await fakes.payments!.stop();
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
      await fakes.payments!.restart();
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
    const direct = await gql(fakes.users!.url, '{ me { name } }', undefined, { authorization: FAKE_TOKEN });
    expect(direct.status).toBe(403);
    expect(direct.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const withSecret = await gql(fakes.users!.url, '{ me { name } }', undefined, {
      authorization: FAKE_TOKEN,
      'x-router-secret': secret,
    });
    expect(withSecret.data).toEqual({ me: { name: 'Ada' } });
  });
});
