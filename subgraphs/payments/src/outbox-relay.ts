import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { publishEvent, type JetStreamClient, type NatsNames } from '@shop/messaging';
import { every, type Logger, type Loop } from '@shop/server';
import type { OutboxEntry, PaymentsRepository } from './payments.repository';

export interface OutboxRelayOptions {
  repository: PaymentsRepository;
  /** A Redis connection of the relay's own: XREADGROUP BLOCK holds it while waiting. */
  blockingRedis: Redis;
  js: JetStreamClient;
  names: NatsNames;
  log: Logger;
  /** This relay's name in the consumer group. */
  consumer?: string;
  /** Entries another relay took but did not acknowledge for this long are taken over. */
  claimIdleMs?: number;
  blockMs?: number;
  batch?: number;
  /** Pause after a failed pass before the next one. */
  retryMs?: number;
  /** Test hook: runs after an entry was published and before it is acknowledged. */
  afterPublish?: (entry: OutboxEntry) => Promise<void>;
}

/**
 * Moves outbox entries from the Redis stream to JetStream. Each entry is published with
 * Nats-Msg-Id = its event id (the payment id; for payments.refunded the refund id) and acknowledged (XACK + XDEL) only after JetStream's PubAck; a relay
 * that dies in between leaves the entry pending, and the next relay publishes it again — JetStream
 * drops the duplicate, so the event is in the stream once.
 */
export function createOutboxRelay(o: OutboxRelayOptions) {
  const consumer = o.consumer ?? `${hostname()}-${process.pid}`;
  const claimIdleMs = o.claimIdleMs ?? 15_000;
  const blockMs = o.blockMs ?? 500;
  const batch = o.batch ?? 100;
  const retryMs = o.retryMs ?? 500;
  let loop: Loop | null = null;
  let stopping: AbortController | null = null;
  let published = 0;

  const publish = async (entry: OutboxEntry) => {
    const subject =
      entry.status === 'REFUNDED'
        ? o.names.events.paymentsRefunded
        : entry.status === 'SUCCEEDED'
          ? o.names.events.paymentsSucceeded
          : o.names.events.paymentsFailed;
    const ack = await publishEvent(o.js, subject, entry.event.eventId, entry.event);
    if (o.afterPublish) await o.afterPublish(entry);
    await o.repository.ackOutbox(entry.entryId);
    published += 1;
    if (!ack.duplicate) o.log.info({ paymentId: entry.event.paymentId, subject }, 'payment event published');
  };

  /** Entries idle elsewhere, then new ones; the blocking read is the wait between passes. */
  const pass = async (signal: AbortSignal) => {
    try {
      const stale = await o.repository.claimStaleOutbox(consumer, claimIdleMs, batch);
      for (const entry of stale) await publish(entry);
      const fresh = await o.repository.readNewOutbox(consumer, batch, blockMs, o.blockingRedis);
      for (const entry of fresh) await publish(entry);
    } catch (error) {
      // every(0) would run the next pass at once: pause, so an outage is not a busy loop (stop cuts it short).
      await sleep(retryMs, undefined, { signal }).catch(() => undefined);
      throw error;
    }
  };

  return {
    consumer,
    /** Events acknowledged by this relay (duplicates included). */
    get published() {
      return published;
    },
    async start(): Promise<void> {
      if (loop) return;
      await o.repository.ensureRelayGroup();
      const controller = new AbortController();
      stopping = controller;
      loop = every(0, () => pass(controller.signal), o.log, 'payments outbox relay');
    },
    /** Stops after the current batch (at most blockMs). */
    async stop(): Promise<void> {
      stopping?.abort();
      await loop?.stop();
      loop = null;
      stopping = null;
    },
  };
}
export type OutboxRelay = ReturnType<typeof createOutboxRelay>;
