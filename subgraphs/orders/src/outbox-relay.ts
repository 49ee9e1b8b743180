import { publishEvent, type JetStreamClient, type NatsNames } from '@shop/messaging';
import { every, type Logger, type Stoppable } from '@shop/server';
import type { OrdersRepository, OutboxKind } from './orders.repository';

export interface OutboxRelayOptions {
  repository: OrdersRepository;
  js: JetStreamClient;
  names: NatsNames;
  log: Logger;
  batchSize?: number;
  /** Test hook: runs after an event is published and before it is marked sent. */
  afterPublish?: (eventId: string) => Promise<void> | void;
}

/**
 * Publishes unsent outbox rows to JetStream and marks them sent.
 *
 * One pass locks a batch of unsent rows (FOR UPDATE SKIP LOCKED, so several instances share the
 * work without publishing the same row concurrently), publishes each with Nats-Msg-Id = event id, and
 * marks the published ones sent in the same transaction. A relay that dies after publishing and
 * before committing leaves the rows unsent; the next pass publishes them again with the same msgId
 * and JetStream drops the duplicate inside its window (2 minutes). Consumers also recognise event
 * ids, so a re-send after the window is harmless too.
 */
export function createOutboxRelay(options: OutboxRelayOptions) {
  const subjects: Record<OutboxKind, string> = {
    'orders.paid': options.names.events.ordersPaid,
    'orders.cancelled': options.names.events.ordersCancelled,
    'orders.refund_requested': options.names.events.ordersRefundRequested,
    'orders.refunded': options.names.events.ordersRefunded,
    'orders.fulfilled': options.names.events.ordersFulfilled,
    'orders.delivered': options.names.events.ordersDelivered,
    'orders.placed': options.names.events.ordersPlaced,
  };
  const subjectOf = (kind: OutboxKind) => subjects[kind];
  const batchSize = options.batchSize ?? 100;

  /** One pass: returns how many rows were published and marked sent. */
  async function relayOnce(): Promise<{ published: number; duplicates: number }> {
    return options.repository.transaction(async (tx) => {
      const rows = await tx.lockUnsentOutbox(batchSize);
      // Published together (one round trip for the batch, not one per row); each waits for its PubAck.
      const acks = await Promise.allSettled(
        rows.map((row) => publishEvent(options.js, subjectOf(row.kind), row.eventId, row.payload)),
      );
      const sent: number[] = [];
      let duplicates = 0;
      let failure: unknown = null;
      for (const [i, row] of rows.entries()) {
        const ack = acks[i]!;
        if (ack.status === 'rejected') {
          failure ??= ack.reason;
          continue;
        }
        if (ack.value.duplicate) duplicates += 1;
        await options.afterPublish?.(row.eventId);
        sent.push(row.seq);
      }
      if (failure !== null) {
        // Keep what was published; the rest stays unsent for the next pass.
        if (sent.length === 0) throw failure;
        options.log.warn({ err: failure }, 'outbox relay could not publish part of a batch');
      }
      await tx.markOutboxSent(sent, new Date());
      return { published: sent.length, duplicates };
    });
  }

  return { relayOnce, batchSize };
}
export type OutboxRelay = ReturnType<typeof createOutboxRelay>;

/**
 * The relay as a background job: every `pollMs`, and at once after a commit of this process that
 * wrote an outbox row. Polling finds rows of other instances and of crashed passes; a full batch
 * runs the next pass straight away.
 */
export function relayLoop(
  relay: OutboxRelay,
  repository: OrdersRepository,
  pollMs: number,
  log: Logger,
): Stoppable {
  const loop = every(
    pollMs,
    async () => {
      const { published } = await relay.relayOnce();
      if (published >= relay.batchSize) loop.wake();
    },
    log,
    'outbox relay',
  );
  const unsubscribe = repository.onOutboxCommit(() => loop.wake());
  return {
    async stop() {
      unsubscribe();
      await loop.stop();
    },
  };
}
