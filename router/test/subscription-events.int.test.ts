import { randomUUID } from 'node:crypto';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { jetstreamManager } from '@nats-io/jetstream';
import { connectNats } from '@shop/messaging';
import { endpoints, waitFor } from '@shop/testing';
import { startSubscriptionGraph, type SubscriptionGraph } from './subscriptions-graph';
import { watch, wsClient } from './subscription-clients';

/**
 * The event source: the router's ordered consumers survive NATS going away (a TCP proxy between
 * the router and NATS is cut and held down), and events keep their order per subscriber.
 */

/** A TCP proxy to NATS that can drop every connection and refuse new ones for a while. */
async function natsProxy() {
  const target = new URL(endpoints.nats);
  const sockets = new Set<Socket>();
  let down = false;
  const server: Server = createServer((client) => {
    if (down) return client.destroy();
    const upstream = connect(Number(target.port) || 4222, target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `nats://127.0.0.1:${port}`,
    cut() {
      down = true;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      down = false;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let graph: SubscriptionGraph;
beforeAll(async () => {
  graph = await startSubscriptionGraph('subevents');
}, 30_000);
afterAll(async () => {
  await graph?.stop();
});

const kinds = (results: { data?: unknown }[]) =>
  results.map((r) => (r.data as { myOrderEvents: { kind: string } }).myOrderEvents.kind);

it('survives NATS going away: the consumers come back and deliver what was published meanwhile, then new events', async () => {
  const proxy = await natsProxy();
  const { router, url } = await graph.startRouter({ NATS_URL: proxy.url });
  const ada = randomUUID();
  const order = graph.order(ada);
  const client = wsClient(url.replace(/^http/, 'ws'), {
    connectionParams: { authorization: await graph.bearer(ada) },
  });
  const seen = watch(client, 'subscription { myOrderEvents { kind } }');
  await waitFor(() => router.subscriptionStats().myOrderEvents === 1);
  await graph.events.paymentSucceeded(order);
  await waitFor(() => seen.results.length === 1);

  proxy.cut();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await graph.events.paid(order); // published while the router is cut off
  proxy.restore();
  await waitFor(() => seen.results.length === 2, { timeoutMs: 20_000 });
  await graph.events.notificationSent(order);
  await waitFor(() => seen.results.length === 3, { timeoutMs: 10_000 });
  expect(kinds(seen.results)).toEqual(['PAYMENT_SUCCEEDED', 'PAID', 'NOTIFICATION_SENT']);
  expect(seen.error).toBeUndefined();
  await client.dispose();
  await router.stop();
  await proxy.close();
}, 40_000);

it('delivers a burst of events to each subscriber in order, one resolution at a time', async () => {
  const ada = randomUUID();
  const orders = Array.from({ length: 5 }, () => graph.order(ada));
  const clients = await Promise.all(
    [1, 2].map(async () =>
      wsClient(graph.wsUrl, { connectionParams: { authorization: await graph.bearer(ada) } }),
    ),
  );
  const watched = clients.map((c) => watch(c, 'subscription { myOrderEvents { kind order { id } } }'));
  await waitFor(() => graph.router.subscriptionStats().myOrderEvents === 2);
  for (const order of orders) {
    await graph.events.paymentSucceeded(order);
    await graph.events.paid(order);
  }
  for (const w of watched) {
    await waitFor(() => w.results.length === 10);
    const ids = w.results.map(
      (r) => (r.data as { myOrderEvents: { order: { id: string } } }).myOrderEvents.order.id,
    );
    expect(ids).toEqual(orders.flatMap((o) => [o.id, o.id]));
    expect(kinds(w.results)).toEqual(orders.flatMap(() => ['PAYMENT_SUCCEEDED', 'PAID']));
  }
  for (const c of clients) await c.dispose();
});

it('leaves no consumer behind when the router stops', async () => {
  const { router } = await graph.startRouter();
  const nc = await connectNats(endpoints.nats, 'subevents-consumers');
  const jsm = await jetstreamManager(nc);
  const count = async () => (await jsm.consumers.list(graph.names.streams.orders).next()).length;
  await waitFor(async () => (await count()) === 2); // the suite's router and this one
  await router.stop();
  expect(await count()).toBe(1);
  await nc.close();
});
