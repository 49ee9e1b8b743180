import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { createLogger } from '@shop/server';
import { memoryLog } from '@shop/testing';
import type { RouterContext } from '../context';
import { ShopDataSource } from '../datasource';
import { dedupeRepresentations, fanOutEntities, subgraphRequestBody } from '../representations';
import { SubgraphReplay } from '../sharing';
import type { SubgraphClient, SubgraphResponse } from '../subgraph-client';

const logs = memoryLog();
const log = createLogger({ name: 'datasource-test', level: 'info' }, logs.stream);

interface Sent {
  url: string;
  body: Record<string, unknown> & { variables?: { representations?: unknown[] } };
  headers: Record<string, string>;
}

/** A subgraph client that records what is sent and answers with `reply(body)`. */
function fakeClient(reply: (body: Sent['body']) => SubgraphResponse | Error) {
  const sent: Sent[] = [];
  const client: SubgraphClient = {
    async post(url, body, headers) {
      const parsed = JSON.parse(body) as Sent['body'];
      sent.push({ url, body: parsed, headers });
      const answer = reply(parsed);
      if (answer instanceof Error) throw answer;
      return answer;
    },
    async close() {},
  };
  return { client, sent };
}

const json = (value: unknown, status = 200): SubgraphResponse => ({
  status,
  contentType: 'application/json; charset=utf-8',
  body: JSON.stringify(value),
});

const ENTITIES_QUERY =
  'query Q__products__1($representations:[_Any!]!){_entities(representations:$representations){...on Product{name}}}';

const source = (client: SubgraphClient) =>
  new ShopDataSource({
    name: 'products',
    url: 'http://127.0.0.1:1/graphql',
    client,
    routerSecret: 'the-router-secret',
    log,
  });

const processOptions = (
  query: string,
  variables: Record<string, unknown>,
  context: RouterContext = { requestId: 'req-1' },
) =>
  ({
    kind: 'incoming operation',
    request: { query, variables, operationName: 'Q__products__1' },
    context,
    incomingRequestContext: {},
  }) as unknown as GraphQLDataSourceProcessOptions<RouterContext>;

const rep = (sku: string) => ({ __typename: 'Product', sku });

describe('dedupeRepresentations', () => {
  it('keeps each distinct representation once, in first-seen order, and where every original went', () => {
    const result = dedupeRepresentations([rep('a'), rep('b'), rep('a'), rep('c'), rep('b')]);
    expect(result.json.map((s) => JSON.parse(s))).toEqual([rep('a'), rep('b'), rep('c')]);
    expect(result.slots).toEqual([0, 1, 0, 2, 1]);
  });

  it('treats representations with different field values as different', () => {
    const result = dedupeRepresentations([
      { __typename: 'Product', sku: 'a', weight: 1 },
      { __typename: 'Product', sku: 'a', weight: 2 },
    ]);
    expect(result.json).toHaveLength(2);
    expect(result.slots).toEqual([0, 1]);
  });
});

describe('subgraphRequestBody', () => {
  it('splices pre-serialized representations next to the other variables', () => {
    const body = subgraphRequestBody('query Q { x }', 'Q', { representations: [1], locale: 'de' }, [
      '{"a":1}',
      '{"a":2}',
    ]);
    expect(JSON.parse(body)).toEqual({
      query: 'query Q { x }',
      operationName: 'Q',
      variables: { locale: 'de', representations: [{ a: 1 }, { a: 2 }] },
    });
  });

  it('sends plain variables as they are, and none when there are none', () => {
    expect(JSON.parse(subgraphRequestBody('{ x }', undefined, { first: 3 }))).toEqual({
      query: '{ x }',
      variables: { first: 3 },
    });
    expect(JSON.parse(subgraphRequestBody('{ x }', undefined, {}))).toEqual({ query: '{ x }' });
  });
});

describe('ShopDataSource.process', () => {
  it('sends a representation that occurs twice once and answers both, in the original order', async () => {
    const { client, sent } = fakeClient((body) =>
      json({
        data: {
          _entities: (body.variables!.representations as { sku: string }[]).map((r) => ({
            name: `name of ${r.sku}`,
          })),
        },
      }),
    );
    const response = await source(client).process(
      processOptions(ENTITIES_QUERY, { representations: [rep('a'), rep('b'), rep('a'), rep('a'), rep('c')] }),
    );
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body.variables!.representations).toEqual([rep('a'), rep('b'), rep('c')]);
    expect(response.data?._entities).toEqual([
      { name: 'name of a' },
      { name: 'name of b' },
      { name: 'name of a' },
      { name: 'name of a' },
      { name: 'name of c' },
    ]);
    expect(response.errors).toBeUndefined();
  });

  it("maps an entity error back to every duplicate's path and keeps errors without an entity index", async () => {
    const { client } = fakeClient(() =>
      json({
        data: { _entities: [{ name: null }, { name: 'B' }] },
        errors: [
          { message: 'a is broken', path: ['_entities', 0, 'name'], extensions: { code: 'X' } },
          { message: 'whole fetch', path: ['_entities'] },
          { message: 'no path' },
        ],
      }),
    );
    const response = await source(client).process(
      processOptions(ENTITIES_QUERY, { representations: [rep('a'), rep('b'), rep('a')] }),
    );
    expect(response.data?._entities).toEqual([{ name: null }, { name: 'B' }, { name: null }]);
    expect(response.errors).toEqual([
      { message: 'a is broken', path: ['_entities', 0, 'name'], extensions: { code: 'X' } },
      { message: 'a is broken', path: ['_entities', 2, 'name'], extensions: { code: 'X' } },
      { message: 'whole fetch', path: ['_entities'] },
      { message: 'no path' },
    ]);
  });

  it('leaves a response with the wrong number of entities for the gateway to reject', async () => {
    const { client } = fakeClient(() => json({ data: { _entities: [{ name: 'only one' }] } }));
    const response = await source(client).process(
      processOptions(ENTITIES_QUERY, { representations: [rep('a'), rep('b'), rep('a')] }),
    );
    expect(response.data?._entities).toEqual([{ name: 'only one' }]);
  });

  it('sends the router secret, request id, Authorization and accept-encoding identity', async () => {
    const { client, sent } = fakeClient(() => json({ data: { x: 1 } }));
    const response = await source(client).process(
      processOptions('{ x }', {}, { requestId: 'req-42', authorization: 'Bearer abc' }),
    );
    expect(response.data).toEqual({ x: 1 });
    expect(sent[0]!.url).toBe('http://127.0.0.1:1/graphql');
    expect(sent[0]!.headers).toMatchObject({
      'content-type': 'application/json',
      'accept-encoding': 'identity',
      'x-router-secret': 'the-router-secret',
      'x-request-id': 'req-42',
      authorization: 'Bearer abc',
    });
  });

  it('turns an unreachable subgraph or an HTTP error into SERVICE_UNAVAILABLE, a 401 into UNAUTHENTICATED', async () => {
    const down = fakeClient(() => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {}));
    await expect(source(down.client).process(processOptions('{ x }', {}))).rejects.toMatchObject({
      message: 'The products service is unavailable',
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    });
    const failing = fakeClient(() => json({ error: 'boom' }, 502));
    await expect(source(failing.client).process(processOptions('{ x }', {}))).rejects.toMatchObject({
      message: 'The products service is unavailable (HTTP 502)',
    });
    const unauthorized = fakeClient(() => json({ errors: [{ message: 'no' }] }, 401));
    await expect(source(unauthorized.client).process(processOptions('{ x }', {}))).rejects.toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
    });
    const notJson = fakeClient(() => ({ status: 200, contentType: 'text/html', body: '<html>' }));
    await expect(source(notJson.client).process(processOptions('{ x }', {}))).rejects.toMatchObject({
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    });
    expect(logs.lines.join('\n')).toContain('subgraph request failed');
  });
});

describe('fanOutEntities', () => {
  it('returns the response unchanged in shape when nothing is duplicated', () => {
    const deduped = dedupeRepresentations([rep('a'), rep('b')]);
    const response = { data: { _entities: [{ n: 1 }, { n: 2 }] } };
    expect(fanOutEntities(response, deduped)).toEqual(response);
  });
});

describe('ShopDataSource.fetch: replay and sharing', () => {
  const body = subgraphRequestBody('{ x }', undefined, undefined);

  it('replays the answers a request already received when its context has a replay (the plan executor sets it)', async () => {
    const { client, sent } = fakeClient(() => json({ data: { x: 1 } }));
    const products = source(client);
    const plain: RouterContext = { requestId: 'req-1' };
    await products.fetch(body, plain);
    await products.fetch(body, plain);
    expect(sent).toHaveLength(2); // no replay: every fetch is sent
    const recorded: RouterContext = { requestId: 'req-2', replay: new SubgraphReplay() };
    expect(await products.fetch(body, recorded)).toEqual({ data: { x: 1 } });
    expect(await products.fetch(body, recorded)).toEqual({ data: { x: 1 } });
    expect(sent).toHaveLength(3);
  });

  it('replays a failure as a failure, without asking again', async () => {
    const { client, sent } = fakeClient(() => new Error('connect ECONNREFUSED 127.0.0.1:1'));
    const products = source(client);
    const context: RouterContext = { requestId: 'req-3', replay: new SubgraphReplay() };
    for (let i = 0; i < 2; i++)
      await expect(products.fetch(body, context)).rejects.toMatchObject({
        extensions: { code: 'SERVICE_UNAVAILABLE' },
      });
    expect(sent).toHaveLength(1);
  });

  it('shares one request among identical ones in flight, per Authorization', async () => {
    const { client, sent } = fakeClient(() => json({ data: { x: 1 } }));
    const products = source(client);
    const as = (authorization: string, requestId: string): RouterContext => ({ requestId, authorization });
    const answers = await Promise.all([
      products.fetch(body, as('Bearer a', 'r1'), { share: true }),
      products.fetch(body, as('Bearer a', 'r2'), { share: true }),
      products.fetch(body, as('Bearer b', 'r3'), { share: true }),
    ]);
    expect(answers).toEqual([{ data: { x: 1 } }, { data: { x: 1 } }, { data: { x: 1 } }]);
    expect(sent.map((s) => s.headers['x-request-id'])).toEqual(['r1', 'r3']);
    // settled: the next one is sent again
    await products.fetch(body, as('Bearer a', 'r4'), { share: true });
    expect(sent).toHaveLength(3);
  });
});

describe('ShopDataSource: the client address (x-client-address)', () => {
  const body = subgraphRequestBody('{ x }', undefined, undefined);
  const from = (clientAddress: string, requestId: string): RouterContext => ({ requestId, clientAddress });

  it("sends the router's own address on every unshared request, never one that came with it", async () => {
    const { client, sent } = fakeClient(() => json({ data: { x: 1 } }));
    const products = source(client);
    // Apollo's executor: extra headers with a forged address are replaced by the router's
    await products.process({
      ...processOptions('{ x }', {}, from('203.0.113.7', 'r1')),
      request: {
        query: '{ x }',
        http: { headers: [['X-Client-Address', '6.6.6.6']] as unknown as Headers },
      },
    } as unknown as GraphQLDataSourceProcessOptions<RouterContext>);
    await products.fetch(body, from('198.51.100.2', 'r2'));
    expect(sent.map((s) => s.headers['x-client-address'])).toEqual(['203.0.113.7', '198.51.100.2']);
    // without an address in the context, none is sent (and never a forged one)
    await products.process({
      ...processOptions('{ x }', {}),
      request: { query: '{ x }', http: { headers: [['x-client-address', '6.6.6.6']] as unknown as Headers } },
    } as unknown as GraphQLDataSourceProcessOptions<RouterContext>);
    expect(sent[2]!.headers).not.toHaveProperty('x-client-address');
  });

  it('a shared fetch carries no address, so clients of different addresses share it as before', async () => {
    const { client, sent } = fakeClient(() => json({ data: { x: 1 } }));
    const products = source(client);
    const answers = await Promise.all([
      products.fetch(body, from('203.0.113.7', 'r1'), { share: true }),
      products.fetch(body, from('198.51.100.2', 'r2'), { share: true }),
    ]);
    expect(answers).toEqual([{ data: { x: 1 } }, { data: { x: 1 } }]);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.headers).not.toHaveProperty('x-client-address');
    // unshared, each is sent with its own address
    await Promise.all([
      products.fetch(body, from('203.0.113.7', 'r3')),
      products.fetch(body, from('198.51.100.2', 'r4')),
    ]);
    expect(sent.slice(1).map((s) => s.headers['x-client-address'])).toEqual(['203.0.113.7', '198.51.100.2']);
  });
});
