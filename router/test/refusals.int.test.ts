/** Limits and operation resolution on both endpoints: refused before any subgraph request. */
import { gql } from '@shop/testing';
import { FAKE_TOKEN } from './fake-subgraphs';
import { startTestRouter, type TestRouter } from './test-router';

let t: TestRouter;
let url: string;
let publicUrl: string;
let keys: TestRouter['keys'];
const totalRequests = () => t.totalRequests();

beforeAll(async () => {
  t = await startTestRouter('router-limits');
  ({ url, publicUrl, keys } = t);
});

afterAll(async () => {
  await t?.stop();
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
        ...(endpoint === 'public' ? { 'x-api-key': keys.ops } : {}),
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

  it('public: a subscription (no Subscription type) is a validation error', () =>
    refused(
      'public',
      { query: 'subscription { products { edges { cursor } } }' },
      'GRAPHQL_VALIDATION_FAILED',
      'The subscription operation is not supported by the schema.',
    ));

  it('main: a subscription sent as a plain request (not WebSocket, not multipart) is 400 BAD_REQUEST', () =>
    refused(
      'main',
      { query: 'subscription { myOrderEvents { kind order { id } } }' },
      'BAD_REQUEST',
      'Subscriptions are served over WebSocket (graphql-ws, subprotocol graphql-transport-ws) or multipart HTTP (a POST with Accept: multipart/mixed;subscriptionSpec=1.0), not as a plain request.',
    ));

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
      headers: { 'content-type': 'application/json', 'x-api-key': keys.flood },
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
