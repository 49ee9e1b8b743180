import { randomUUID } from 'node:crypto';
import { waitFor } from '@shop/testing';
import WebSocket from 'ws';
import { startSubscriptionGraph, type SubscriptionGraph } from './subscriptions-graph';
import { codeOf, multipart, watch, wsClient, type Watched } from './subscription-clients';

/**
 * The limits of subscriptions (per connection, per user, connections), the token's expiry, and how
 * they end when the router stops: WebSockets closed with 1001 (graphql-ws clients reconnect and
 * subscribe again), multipart streams ended with the final boundary.
 */

let graph: SubscriptionGraph;
beforeAll(async () => {
  graph = await startSubscriptionGraph('sublimits', { SUBSCRIPTIONS_PER_USER: '12' });
}, 30_000);
afterAll(async () => {
  await graph?.stop();
});

const EVENTS = 'subscription { myOrderEvents { kind } }';
const ORDER = 'subscription($id: ID!) { orderUpdated(id: $id) { status } }';
const limitOf = (error: unknown) =>
  Array.isArray(error) ? (error[0] as { extensions?: { limit?: unknown } }).extensions?.limit : undefined;

async function client(userId: string, ttlSeconds?: number) {
  const authorization = await graph.bearer(userId, ttlSeconds ? { ttlSeconds } : {});
  return wsClient(graph.wsUrl, { connectionParams: { authorization } });
}

const settled = async (watched: Watched[]) => {
  await waitFor(() => graph.router.subscriptionStats().subscriptions >= watched.length, { timeoutMs: 5000 });
};

describe('limits', () => {
  it('refuses the 11th subscription of a connection (RATE_LIMITED, SUBSCRIPTIONS_PER_CONNECTION) and takes one again once one ends', async () => {
    const ada = randomUUID();
    const connection = await client(ada);
    const ten = Array.from({ length: 10 }, () => watch(connection, EVENTS));
    await settled(ten);
    const eleventh = watch(connection, EVENTS);
    await eleventh.ended;
    expect(codeOf(eleventh.error)).toBe('RATE_LIMITED');
    expect(limitOf(eleventh.error)).toBe('SUBSCRIPTIONS_PER_CONNECTION');
    expect(ten.every((w) => w.error === undefined && !w.completed)).toBe(true);
    ten[0]!.stop();
    await waitFor(() => graph.router.subscriptionStats().subscriptions === 9);
    const again = watch(connection, EVENTS);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(again.error).toBeUndefined();
    await connection.dispose();
    await waitFor(() => graph.router.subscriptionStats().subscriptions === 0);
  });

  it('refuses a user’s 13th subscription over all connections (SUBSCRIPTIONS_PER_USER=12), not another user’s', async () => {
    const ada = randomUUID();
    const first = await client(ada);
    const second = await client(ada);
    const held = [
      ...Array.from({ length: 10 }, () => watch(first, EVENTS)),
      ...Array.from({ length: 2 }, () => watch(second, EVENTS)),
    ];
    await settled(held);
    const refused = watch(second, EVENTS);
    await refused.ended;
    expect(limitOf(refused.error)).toBe('SUBSCRIPTIONS_PER_USER');
    // multipart counts too
    const viaHttp = await multipart(graph.url, { query: EVENTS }, { authorization: await graph.bearer(ada) });
    await viaHttp.ended;
    expect(viaHttp.status).toBe(429);
    expect(viaHttp.parts[0]).toMatchObject({ errors: [{ extensions: { code: 'RATE_LIMITED' } }] });
    const bob = await client(randomUUID());
    const bobs = watch(bob, EVENTS);
    await waitFor(() => graph.router.subscriptionStats().subscriptions === 13);
    expect(bobs.error).toBeUndefined();
    for (const c of [first, second, bob]) await c.dispose();
    await waitFor(() => graph.router.subscriptionStats().subscriptions === 0);
  });

  it('refuses connections beyond SUBSCRIPTION_CONNECTIONS_MAX: the upgrade with 503, a multipart request with 429', async () => {
    const { router, url } = await graph.startRouter({ SUBSCRIPTION_CONNECTIONS_MAX: '2' });
    const wsUrl = url.replace(/^http/, 'ws');
    const open = () =>
      new Promise<WebSocket>((resolve) => {
        const ws = new WebSocket(wsUrl, 'graphql-transport-ws');
        ws.once('open', () => resolve(ws));
        ws.once('unexpected-response', (_req, res) => {
          (ws as WebSocket & { refusedStatus?: number }).refusedStatus = res.statusCode;
          resolve(ws);
        });
      });
    const a = await open();
    const b = await open();
    const c = (await open()) as WebSocket & { refusedStatus?: number };
    expect(c.refusedStatus).toBe(503);
    const read = await multipart(url, { query: EVENTS }, { authorization: await graph.bearer(randomUUID()) });
    await read.ended;
    expect(read.status).toBe(429);
    a.close();
    await waitFor(() => router.subscriptionStats().connections === 1);
    const d = await open();
    expect(d.readyState).toBe(WebSocket.OPEN);
    b.close();
    d.close();
    await router.stop();
  });

  it('refuses documents over the operation limits (size, tokens, aliases) and variables of the wrong type', async () => {
    const connection = await client(randomUUID());
    const refusal = async (query: string, variables: Record<string, unknown> = {}) => {
      const seen = watch(connection, query, variables);
      await seen.ended;
      const [error] = seen.error as { extensions: { code: string; limit?: string } }[];
      return error!.extensions;
    };
    expect(await refusal(`subscription { myOrderEvents { ${'kind '.repeat(5000)} } }`)).toMatchObject({
      code: 'BAD_USER_INPUT',
      limit: 'size',
    });
    expect((await refusal(`subscription { myOrderEvents { ${'kind '.repeat(2500)} } }`)).code).toBe(
      'GRAPHQL_PARSE_FAILED',
    );
    const aliases = Array.from({ length: 16 }, (_, i) => `a${i}: kind`).join(' ');
    expect(await refusal(`subscription { myOrderEvents { ${aliases} } }`)).toMatchObject({
      code: 'BAD_USER_INPUT',
      limit: 'aliases',
    });
    expect((await refusal(ORDER, { id: { nested: true } })).code).toBe('BAD_USER_INPUT');
    expect((await refusal(ORDER, {})).code).toBe('BAD_USER_INPUT');
    expect(graph.router.subscriptionStats().subscriptions).toBe(0);
    await connection.dispose();
  });
});

describe('token expiry', () => {
  it('ends every subscription with UNAUTHENTICATED at the token’s exp, and refuses new ones on that connection', async () => {
    const ada = randomUUID();
    const order = graph.order(ada);
    const connection = await client(ada, 2);
    const live = watch(connection, ORDER, { id: order.id });
    const events = watch(connection, EVENTS);
    await waitFor(() => live.results.length === 1);
    const started = Date.now();
    await Promise.all([live.ended, events.ended]);
    // exp has a resolution of one second: it ends within 2 s of the token being signed
    expect(Date.now() - started).toBeLessThan(2500);
    expect(codeOf(live.error)).toBe('UNAUTHENTICATED');
    expect(codeOf(events.error)).toBe('UNAUTHENTICATED');
    const after = watch(connection, EVENTS);
    await after.ended;
    expect(codeOf(after.error)).toBe('UNAUTHENTICATED');
    await connection.dispose();
  });

  it('ends a multipart stream with an errors part and the final boundary at the token’s exp; an expired token is refused', async () => {
    const ada = randomUUID();
    const authorization = await graph.bearer(ada, { ttlSeconds: 2 });
    const read = await multipart(graph.url, { query: EVENTS }, { authorization });
    await read.ended;
    expect(read.status).toBe(200);
    const last = read.parts.at(-1) as { payload: unknown; errors: { extensions: { code: string } }[] };
    expect(last.payload).toBeNull();
    expect(last.errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
    expect(read.finalBoundary).toBe(true);
    const refused = await multipart(graph.url, { query: EVENTS }, { authorization });
    await refused.ended;
    expect(refused.status).toBe(401);
    expect(refused.parts[0]).toMatchObject({ errors: [{ message: expect.stringContaining('expired') }] });
  });
});

describe('router shutdown', () => {
  it('closes WebSockets with 1001 and ends multipart streams; graphql-ws clients reconnect and subscribe again', async () => {
    const first = await graph.startRouter();
    const port = Number(new URL(first.url).port);
    const ada = randomUUID();
    const order = graph.order(ada);
    const authorization = await graph.bearer(ada);
    const closes: number[] = [];
    const retrying = wsClient(first.url.replace(/^http/, 'ws'), {
      connectionParams: { authorization },
      retryAttempts: 20,
      retryWait: () => new Promise((resolve) => setTimeout(resolve, 200)),
      on: { closed: (event) => void closes.push((event as { code: number }).code) },
    });
    const live = watch(retrying, ORDER, { id: order.id });
    const read = await multipart(first.url, { query: ORDER, variables: { id: order.id } }, { authorization });
    await waitFor(() => live.results.length === 1 && read.parts.length >= 1);

    await first.router.stop();
    await read.ended;
    expect(read.finalBoundary).toBe(true);
    expect(closes[0]).toBe(1001);
    expect(live.error).toBeUndefined();
    expect(live.completed).toBe(false);

    // the router comes back on the same port: the client reconnects and gets the order again
    const second = await graph.startRouter({ PORT: String(port) });
    await waitFor(() => live.results.length === 2, { timeoutMs: 10_000 });
    await graph.events.paid(order);
    await waitFor(() => live.results.length === 3);
    expect(
      live.results.map((r) => (r.data as { orderUpdated: { status: string } }).orderUpdated.status),
    ).toEqual(['PENDING_PAYMENT', 'PENDING_PAYMENT', 'PAID']);
    await retrying.dispose();
    await second.router.stop();
  }, 30_000);
});
