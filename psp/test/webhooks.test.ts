import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@shop/server';
import { memoryLog, waitFor } from '@shop/testing';
import type { ChargeEvent } from '../src/models';
import { DEFAULT_RETRY_DELAYS_MS, MAX_ATTEMPTS, WebhookSender } from '../src/webhooks';
import { startPsp, WEBHOOK_SECRET } from './helpers';
import { startReceiver, verifySignature } from './receiver';

const event = (id = 'ch_1'): ChargeEvent => ({
  type: 'charge.succeeded',
  charge: {
    id,
    status: 'succeeded',
    paymentId: 'p',
    orderId: 'o',
    amount: { amount: 1, currency: 'EUR' },
    description: '',
    card: { brand: 'VISA', last4: '4242', expMonth: 1, expYear: 2099 },
    declineReason: null,
    message: null,
    action: null,
    created: new Date().toISOString(),
  },
});

it('retries by default after 1 s, 5 s, 30 s, then every 60 s, 10 attempts in all', () => {
  expect(DEFAULT_RETRY_DELAYS_MS).toEqual([1_000, 5_000, 30_000, 60_000]);
  expect(MAX_ATTEMPTS).toBe(10);
});

it('retries a delivery answered non-2xx until the receiver answers 2xx, the same event re-signed each time', async () => {
  const receiver = await startReceiver([500, 503, 404]);
  const psp = await startPsp({ WEBHOOK_URL: receiver.url }, { webhookDelaysMs: [50, 100] });
  try {
    const res = await psp.charge(await psp.token());
    expect(res.status).toBe(200); // answered before any delivery succeeded
    await waitFor(() => receiver.deliveries.length >= 4 || null);
    await sleep(300);
    expect(receiver.deliveries).toHaveLength(4);
    const bodies = receiver.deliveries.map((d) => JSON.parse(d.raw) as { id: string });
    expect(new Set(bodies.map((b) => b.id)).size).toBe(1);
    for (const d of receiver.deliveries) expect(verifySignature(d, WEBHOOK_SECRET)).toBe(true);
    const gaps = receiver.deliveries.slice(1).map((d, i) => d.at - receiver.deliveries[i]!.at);
    expect(gaps[0]).toBeGreaterThanOrEqual(45);
    expect(gaps[1]).toBeGreaterThanOrEqual(95);
    expect(gaps[2]).toBeGreaterThanOrEqual(95); // the last delay repeats
    expect(psp.app.webhooks.stats).toMatchObject({ attempts: 4, delivered: 1 });
    expect(psp.app.webhooks.pending()).toBe(0);
  } finally {
    await psp.stop();
    await receiver.close();
  }
});

it('never blocks the charge answer, even when the receiver hangs', async () => {
  const receiver = await startReceiver();
  const hanging = createServer(() => undefined);
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  const port = (hanging.address() as AddressInfo).port;
  const psp = await startPsp({ WEBHOOK_URL: `http://127.0.0.1:${port}/webhooks/provider` });
  try {
    const started = Date.now();
    const res = await psp.charge(await psp.token());
    expect(res.body.status).toBe('succeeded');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(psp.app.webhooks.pending()).toBe(1);
    const stopping = Date.now();
    await psp.stop(); // aborts the delivery in flight
    expect(Date.now() - stopping).toBeLessThan(2_000);
    expect(psp.app.webhooks.pending()).toBe(0);
  } finally {
    hanging.closeAllConnections();
    hanging.close();
    await receiver.close();
  }
});

it('retries a network error, gives up after maxAttempts, and logs no body', async () => {
  const receiver = await startReceiver();
  const url = receiver.url;
  await receiver.close(); // nothing listens there now
  const logs = memoryLog();
  const sender = new WebhookSender({
    url,
    secret: WEBHOOK_SECRET,
    log: createLogger({ name: 'psp', level: 'debug' }, logs.stream),
    delaysMs: [10],
    maxAttempts: 3,
  });
  sender.send(event('ch_net'));
  await waitFor(() => sender.stats.abandoned === 1 || null);
  expect(sender.stats).toEqual({ attempts: 3, delivered: 0, abandoned: 1 });
  expect(logs.lines.filter((l) => l.includes('retrying'))).toHaveLength(2);
  expect(logs.lines.filter((l) => l.includes('giving up'))).toHaveLength(1);
  expect(logs.lines.join('\n')).toContain('ch_net');
  expect(logs.lines.join('\n')).not.toContain('4242"'); // no charge body in the log lines
  await sender.stop();
});

it('stop() cancels the retries waiting and sends nothing afterwards', async () => {
  const receiver = await startReceiver([500]);
  const sender = new WebhookSender({
    url: receiver.url,
    secret: WEBHOOK_SECRET,
    log: createLogger({ name: 'psp', level: 'silent' }),
    delaysMs: [200],
  });
  sender.send(event());
  await waitFor(() => receiver.deliveries.length === 1 || null);
  await waitFor(() => sender.pending() === 1 || null); // the retry timer
  await sender.stop();
  expect(sender.pending()).toBe(0);
  sender.send(event('ch_after'));
  await sleep(400);
  expect(receiver.deliveries).toHaveLength(1);
  await receiver.close();
});
