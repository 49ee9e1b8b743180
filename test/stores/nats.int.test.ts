/**
 * NATS JetStream through the `@nats-io/*` packages the subgraphs use for events and the
 * notifications KV store. Each run uses its own stream, subjects and bucket (a unique prefix) and
 * deletes them afterwards.
 */
import { randomBytes } from 'node:crypto';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { KV } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { endpointFields, loadConfig, z } from '@shop/config';

const { NATS_URL } = loadConfig(z.object({ NATS_URL: endpointFields.NATS_URL }));
const prefix = `test_${randomBytes(4).toString('hex')}`;
const stream = `${prefix}_ORDERS`;
const subject = `${prefix}.orders.paid`;
const bucket = `${prefix}_notifications`;

let nc: NatsConnection;
let jsm: JetStreamManager;
let js: JetStreamClient;
let kv: KV | undefined;

beforeAll(async () => {
  nc = await connect({ servers: NATS_URL });
  jsm = await jetstreamManager(nc);
  js = jetstream(nc);
  await jsm.streams.add({ name: stream, subjects: [`${prefix}.orders.>`] });
});

afterAll(async () => {
  await kv?.destroy();
  await jsm?.streams.delete(stream).catch(() => false);
  await nc?.drain();
});

test('a stream keeps one message per msgID and a durable consumer acks it', async () => {
  const event = { eventId: 'evt-1', orderId: 'order-1' };

  const first = await js.publish(subject, JSON.stringify(event), { msgID: event.eventId });
  const second = await js.publish(subject, JSON.stringify(event), { msgID: event.eventId });

  expect(first.duplicate).toBe(false);
  expect(second.duplicate).toBe(true);
  expect(second.seq).toBe(first.seq);
  expect((await jsm.streams.info(stream)).state.messages).toBe(1);

  await jsm.consumers.add(stream, { durable_name: 'notifications', ack_policy: AckPolicy.Explicit });
  const consumer = await js.consumers.get(stream, 'notifications');
  const received: unknown[] = [];
  for await (const message of await consumer.fetch({ max_messages: 2, expires: 1_000 })) {
    received.push(message.json());
    expect(await message.ackAck()).toBe(true);
  }

  expect(received).toEqual([event]);
  const info = await consumer.info();
  expect(info.num_pending).toBe(0);
  expect(info.num_ack_pending).toBe(0);
});

test('a KV bucket puts, gets and creates only if absent', async () => {
  kv = await new Kvm(nc).create(bucket);

  await kv.put('order-1.email', JSON.stringify({ status: 'SENT' }));
  expect((await kv.get('order-1.email'))?.json()).toEqual({ status: 'SENT' });

  await kv.create('event.evt-1', 'first');
  await expect(kv.create('event.evt-1', 'second')).rejects.toThrow();
  expect((await kv.get('event.evt-1'))?.string()).toBe('first');
});
