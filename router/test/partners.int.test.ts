import { setTimeout as sleep } from 'node:timers/promises';
/** /public/graphql: the partner contract behind an API key and a rate limit. */
import { gql } from '@shop/testing';
import { FAKE_TOKEN } from './fake-subgraphs';
import { startTestRouter, type TestRouter } from './test-router';

let t: TestRouter;
let publicUrl: string;
let keys: TestRouter['keys'];

beforeAll(async () => {
  t = await startTestRouter('router-partners');
  ({ publicUrl, keys } = t);
});

afterAll(async () => {
  await t?.stop();
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
      { 'x-api-key': keys.partner, authorization: FAKE_TOKEN },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.products.edges.map((e) => e.node.name)).toEqual([
      'GraphQL in Action',
      'Federation Blues',
    ]);
    expect(t.fakes.products!.lastHeaders!.authorization).toBeUndefined();
    expect(res.headers.get('x-ratelimit-limit')).toBe('5');
  });

  it('exposes no user, order, payment or notification type and no stock (introspection)', async () => {
    const res = await gql<{
      __schema: { types: { name: string; fields: { name: string }[] | null }[]; mutationType: unknown };
    }>(publicUrl, '{ __schema { mutationType { name } types { name fields { name } } } }', undefined, {
      'x-api-key': keys.partner,
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
      'x-api-key': keys.partner,
    });
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.errors?.[0]?.message).not.toMatch(/Did you mean/);
  });

  it('answers RATE_LIMITED (429) once a key is over its limit per minute', async () => {
    // stay inside one fixed window
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 50_000) await sleep(60_000 - intoMinute + 100);
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 6; i += 1) {
      last = await gql(publicUrl, '{ product(id: "p1") { name } }', undefined, { 'x-api-key': keys.burst });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(last!.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    // another partner is not affected
    const other = await gql(publicUrl, '{ product(id: "p1") { name } }', undefined, {
      'x-api-key': keys.partner,
    });
    expect(other.status).toBe(200);
  }, 30_000);
});
