import { Redis } from 'ioredis';
import { jetstream, jetstreamManager } from '@shop/messaging';
import { createLogger } from '@shop/server';
import { endpoints, memoryLog, waitFor } from '@shop/testing';
import { createOutboxRelay } from '../src/outbox-relay';
import { bootPayments, type Harness } from './helpers';

/** The outbox relay against real Redis and JetStream: at-least-once out, exactly once in the stream. */
let h: Harness;
const blocking: Redis[] = [];
const log = memoryLog();
const logger = createLogger({ name: 'payments-relay', level: 'debug' }, log.stream);

const relay = (consumer: string, extra: Partial<Parameters<typeof createOutboxRelay>[0]> = {}) => {
  const connection = new Redis(endpoints.redis);
  blocking.push(connection);
  return createOutboxRelay({
    repository: h.app.repository,
    blockingRedis: connection,
    js: jetstream(h.nc),
    names: h.names,
    log: logger,
    consumer,
    blockMs: 100,
    ...extra,
  });
};

const streamCount = async () =>
  (await (await jetstreamManager(h.nc)).streams.info(h.names.streams.payments)).state.messages;

const paySuccess = async () => {
  const user = h.customer();
  const res = await h.pay(user, {
    orderId: h.newOrder(user.id),
    paymentMethodToken: await h.token(),
    idempotencyKey: 'k',
  });
  expect(res.data?.payOrder.__typename).toBe('PaymentSucceeded');
  return res.data!.payOrder.payment!.id;
};

beforeAll(async () => {
  h = await bootPayments('relay', { relay: false });
});
afterAll(async () => {
  await h?.close();
  for (const c of blocking) c.disconnect();
});

describe('outbox relay', () => {
  it('a payment written while no relay runs is published once when one starts', async () => {
    const first = await paySuccess();
    const second = await paySuccess();
    expect(await h.app.repository.outboxLength()).toBe(2);
    expect(await streamCount()).toBe(0);

    const r = relay('relay-start');
    await r.start();
    try {
      await waitFor(async () => (await h.app.repository.outboxLength()) === 0);
    } finally {
      await r.stop();
    }
    const events = await h.streamEvents();
    expect(events.map((e) => e.event.paymentId).sort()).toEqual([first, second].sort());
    expect(events.every((e) => e.subject === h.names.events.paymentsSucceeded)).toBe(true);
  });

  it('a relay killed between the PubAck and the acknowledgement is replaced, re-publishes the same msgId, and the stream keeps one copy', async () => {
    const before = await streamCount();
    const paymentId = await paySuccess();

    let publishes = 0;
    const doomed = relay('relay-doomed', {
      claimIdleMs: 60_000,
      afterPublish: async () => {
        publishes += 1;
        throw new Error('killed after publish, before ack');
      },
    });
    await doomed.start();
    await waitFor(() => publishes >= 1);
    await doomed.stop();
    expect(await streamCount()).toBe(before + 1);
    expect(await h.app.repository.outboxLength()).toBe(1); // still there: never acknowledged

    const successor = relay('relay-successor', { claimIdleMs: 200 });
    await successor.start();
    try {
      await waitFor(async () => (await h.app.repository.outboxLength()) === 0, { timeoutMs: 5_000 });
    } finally {
      await successor.stop();
    }
    expect(successor.published).toBe(1); // it did publish again ...
    expect(await streamCount()).toBe(before + 1); // ... and JetStream dropped the duplicate
    const events = (await h.streamEvents()).filter((e) => e.event.paymentId === paymentId);
    expect(events).toHaveLength(1);
  });
});
