import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager, type Consumer, type ConsumerMessages } from '@nats-io/jetstream';
import {
  connectNats,
  isOrderId,
  isUserId,
  natsNames,
  NotificationSentEvent,
  OrderCancelledEvent,
  OrderDeliveredEvent,
  OrderFulfilledEvent,
  OrderPaidEvent,
  OrderPlacedEvent,
  OrderRefundedEvent,
  PaymentEvent,
  PaymentRefundedEvent,
  type NatsConnection,
} from '@shop/messaging';
import type { Logger } from '@shop/server';

/** OrderEventKind of router/subscriptions.graphql. */
export type OrderEventKind =
  | 'PLACED'
  | 'PAYMENT_SUCCEEDED'
  | 'PAYMENT_FAILED'
  | 'PAID'
  | 'CANCELLED'
  | 'FULFILLED'
  | 'DELIVERED'
  | 'REFUNDED'
  | 'PAYMENT_REFUNDED'
  | 'NOTIFICATION_SENT'
  | 'NOTIFICATION_FAILED';

/** One event of an order, as the subscriptions fan it out (what the stream message says, nothing more). */
export interface LiveEvent {
  kind: OrderEventKind;
  orderId: string;
  /** The order's owner: myOrderEvents of this user get it. */
  userId: string;
  /** When it happened (the event's own timestamp, ISO-8601). */
  at: string;
  /** PAYMENT_*: the payment it is about. */
  paymentId?: string;
  /** NOTIFICATION_*: the notification it is about. */
  notificationId?: string;
}

/** What the mapping needs of a zod contract. */
interface Contract<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false };
}

interface Mapping<T> {
  schema: Contract<T>;
  toEvent(event: T): Omit<LiveEvent, 'orderId' | 'userId'>;
}

type AnyMapping = Mapping<{ orderId: string; userId: string }>;

const mapping = <T extends { orderId: string; userId: string }>(m: Mapping<T>) => m as unknown as AnyMapping;

/** Subject -> how its message becomes a LiveEvent; subjects not listed (refund requests) are not shown. */
export function eventMappings(prefix: string): Map<string, AnyMapping> {
  const { events } = natsNames(prefix);
  return new Map([
    [
      events.ordersPlaced,
      mapping({ schema: OrderPlacedEvent, toEvent: (e) => ({ kind: 'PLACED', at: e.placedAt }) }),
    ],
    [
      events.ordersPaid,
      mapping({ schema: OrderPaidEvent, toEvent: (e) => ({ kind: 'PAID', at: e.paidAt }) }),
    ],
    [
      events.ordersCancelled,
      mapping({ schema: OrderCancelledEvent, toEvent: (e) => ({ kind: 'CANCELLED', at: e.cancelledAt }) }),
    ],
    [
      events.ordersFulfilled,
      mapping({ schema: OrderFulfilledEvent, toEvent: (e) => ({ kind: 'FULFILLED', at: e.fulfilledAt }) }),
    ],
    [
      events.ordersDelivered,
      mapping({ schema: OrderDeliveredEvent, toEvent: (e) => ({ kind: 'DELIVERED', at: e.deliveredAt }) }),
    ],
    [
      events.ordersRefunded,
      mapping({ schema: OrderRefundedEvent, toEvent: (e) => ({ kind: 'REFUNDED', at: e.refundedAt }) }),
    ],
    [
      events.paymentsSucceeded,
      mapping({
        schema: PaymentEvent,
        toEvent: (e) => ({ kind: 'PAYMENT_SUCCEEDED', at: e.occurredAt, paymentId: e.paymentId }),
      }),
    ],
    [
      events.paymentsFailed,
      mapping({
        schema: PaymentEvent,
        toEvent: (e) => ({ kind: 'PAYMENT_FAILED', at: e.occurredAt, paymentId: e.paymentId }),
      }),
    ],
    [
      events.paymentsRefunded,
      mapping({
        schema: PaymentRefundedEvent,
        toEvent: (e) => ({ kind: 'PAYMENT_REFUNDED', at: e.refundedAt, paymentId: e.paymentId }),
      }),
    ],
    [
      events.notificationsSent,
      mapping({
        schema: NotificationSentEvent,
        toEvent: (e) => ({
          kind: e.status === 'SENT' ? 'NOTIFICATION_SENT' : 'NOTIFICATION_FAILED',
          at: e.at,
          notificationId: e.notificationId,
        }),
      }),
    ],
  ]);
}

/** A stream message as a LiveEvent; undefined for subjects not shown and for malformed messages. */
export function toLiveEvent(
  mappings: Map<string, AnyMapping>,
  subject: string,
  data: unknown,
): LiveEvent | undefined {
  const m = mappings.get(subject);
  if (!m) return undefined;
  const parsed = m.schema.safeParse(data);
  if (!parsed.success) return undefined;
  const event = parsed.data;
  // only ids in the form the services issue reach the fan-out
  if (!isOrderId(event.orderId) || !isUserId(event.userId)) return undefined;
  return { ...m.toEvent(parsed.data), orderId: event.orderId, userId: event.userId };
}

export interface EventSourceOptions {
  natsUrl: string;
  natsPrefix: string;
  log: Logger;
  onEvent(event: LiveEvent): void;
  /** Wait between attempts to connect or to (re)create a consumer (default 1000 ms). */
  retryMs?: number;
}

export interface EventSourceStats {
  connected: boolean;
  /** Streams whose ordered consumer is running. */
  consuming: string[];
  received: number;
  /** Messages that were not shown: a subject not listed, a malformed message. */
  ignored: number;
}

/**
 * The events subscriptions are made of: per router process one ordered consumer (ephemeral, no
 * acks, in memory on the server) per stream (ORDERS, PAYMENTS, NOTIFICATIONS), however many
 * subscribers there are. Each starts at the stream's next message when created (deliver-new). The
 * client library recreates an ordered consumer after a reconnect or a gap from the last sequence it
 * saw, so a short NATS outage loses nothing; when a consumer fails for good (the stream is gone), it
 * is created again here from the last sequence seen, and the connection is retried while NATS is
 * unreachable. Nothing is ever created on the server besides these consumers: the streams are the
 * subgraphs' (ensureStreams).
 */
export class EventSource {
  private nc: NatsConnection | undefined;
  private stopped = false;
  private readonly running = new Map<string, ConsumerMessages>();
  private readonly consumers = new Set<Consumer>();
  private readonly loops: Promise<void>[] = [];
  private readonly abort = new AbortController();
  private readonly mappings: ReturnType<typeof eventMappings>;
  private received = 0;
  private ignored = 0;

  constructor(private readonly options: EventSourceOptions) {
    this.mappings = eventMappings(options.natsPrefix);
  }

  /** Connects and starts the consumers in the background (retrying while NATS is unreachable). */
  start(): void {
    this.loops.push(this.run());
  }

  stats(): EventSourceStats {
    return {
      connected: !!this.nc && !this.nc.isClosed(),
      consuming: [...this.running.keys()],
      received: this.received,
      ignored: this.ignored,
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    for (const messages of this.running.values()) messages.stop();
    await Promise.allSettled(this.loops);
    // the server would drop them after their inactivity threshold (5 min); do it now
    await Promise.allSettled([...this.consumers].map((consumer) => consumer.delete()));
    await this.nc?.close().catch(() => undefined);
  }

  private get retryMs() {
    return this.options.retryMs ?? 1000;
  }

  private async wait(ms: number) {
    await sleep(ms, undefined, { signal: this.abort.signal }).catch(() => undefined);
  }

  private async run(): Promise<void> {
    const { log } = this.options;
    while (!this.stopped && !this.nc) {
      try {
        this.nc = await connectNats(this.options.natsUrl, 'router-subscriptions');
      } catch (err) {
        log.warn({ err }, 'NATS not reachable; subscriptions get no events until it is');
        await this.wait(this.retryMs * 5);
      }
    }
    if (this.stopped || !this.nc) return;
    const { streams } = natsNames(this.options.natsPrefix);
    const consumers = [streams.orders, streams.payments, streams.notifications].map((stream) =>
      this.consume(this.nc!, stream),
    );
    await Promise.all(consumers);
  }

  /** One stream's ordered consumer, recreated from the last sequence seen whenever it ends. */
  private async consume(nc: NatsConnection, stream: string): Promise<void> {
    const { log } = this.options;
    let last: number | undefined;
    let warned = false;
    while (!this.stopped) {
      try {
        const jsm = await jetstreamManager(nc);
        const { state } = await jsm.streams.info(stream);
        // a stream that was recreated starts its sequences again
        const from = last !== undefined && last <= state.last_seq ? last + 1 : state.last_seq + 1;
        const consumer = await jetstream(nc).consumers.get(stream, { opt_start_seq: from });
        this.consumers.add(consumer);
        const messages = await consumer.consume({ max_messages: 256 });
        if (this.stopped) {
          messages.stop();
          break;
        }
        this.running.set(stream, messages);
        warned = false;
        log.info({ stream, from }, 'subscription events: consuming');
        void (async () => {
          for await (const status of messages.status()) {
            log.debug({ stream, status: status.type }, 'subscription events: consumer status');
          }
        })().catch(() => undefined);
        for await (const msg of messages) {
          last = msg.seq;
          this.received += 1;
          let data: unknown;
          try {
            data = msg.json();
          } catch {
            data = undefined;
          }
          const event = toLiveEvent(this.mappings, msg.subject, data);
          if (!event) {
            this.ignored += 1;
            continue;
          }
          try {
            this.options.onEvent(event);
          } catch (err) {
            log.error({ err, stream, seq: msg.seq }, 'subscription event fan-out failed');
          }
        }
      } catch (err) {
        if (!this.stopped && !warned) {
          // logged once per outage; the attempts go on quietly
          log.warn({ err, stream }, 'subscription events: consumer unavailable; retrying');
          warned = true;
        }
      } finally {
        this.running.delete(stream);
      }
      // a consumer that ended is not deleted here: the stream may be gone, the server drops it anyway
      if (!this.stopped) await this.wait(this.retryMs);
    }
  }
}
