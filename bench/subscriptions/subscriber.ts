/**
 * The subscribers of `npm run bench:subscriptions`: one graphql-ws connection (`ws`) per customer,
 * subscribed to myOrderEvents, recording every delivery with its receive time; and the checks of
 * what they received (exactly their own three events) with the latencies.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { Shopper } from '../shop/client';
import { percentile } from '../shop/load';

/** The events one paid order makes for its owner, each delivered once. */
export const KINDS = ['PAYMENT_SUCCEEDED', 'PAID', 'NOTIFICATION_SENT'] as const;

/**
 * What every subscriber asks for. full: fields of orders, payments and notifications per event (what
 * a confirmation page shows); order: the order's own fields only (one fetch from orders).
 */
export const SELECTIONS = {
  full: `subscription Live {
  myOrderEvents {
    kind at
    order { id number status paidAt total { amount currency } payment { status } notifications { channel status } }
    notification { channel status }
    payment { status }
  }
}`,
  order: `subscription Live {
  myOrderEvents { kind at order { id number status paidAt total { amount currency } } }
}`,
} as const;
export type Selection = keyof typeof SELECTIONS;

export interface Delivery {
  kind: string;
  /** The event's own time (`at`), ms since the epoch. */
  at: number;
  receivedAt: number;
  orderId: string;
  status: string;
}

export interface Subscriber {
  who: Shopper;
  /** The order whose events are measured; null for a subscriber that owns no order (it must get nothing). */
  orderId: string | null;
  /** The customer's warm-up order, paid before the measurement (its events are not counted), if any. */
  warmupOrderId: string | null;
  client: Client;
  deliveries: Delivery[];
  errors: string[];
  completed: boolean;
}

type EventData = { myOrderEvents: { kind: string; at: string; order: { id: string; status: string } } };

/** Opens one graphql-ws connection for the customer and subscribes; resolves once connected. */
export async function subscribe(
  wsUrl: string,
  who: Shopper,
  orderId: string | null,
  warmupOrderId: string | null,
  query: string,
): Promise<Subscriber> {
  let connected!: () => void;
  let failed!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    connected = resolve;
    failed = reject;
  });
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${who.token}` },
    lazy: false,
    retryAttempts: 0,
    on: {
      connected: () => connected(),
      closed: (event) => failed(new Error(`closed before connected: ${describe(event)}`)),
      error: (error) => failed(new Error(`connection error: ${describe(error)}`)),
    },
  });
  const subscriber: Subscriber = {
    who,
    orderId,
    warmupOrderId,
    client,
    deliveries: [],
    errors: [],
    completed: false,
  };
  client.subscribe<EventData>(
    { query },
    {
      next: (message) => {
        const receivedAt = Date.now();
        const event = message.data?.myOrderEvents;
        if (message.errors?.length || !event) {
          subscriber.errors.push(JSON.stringify(message.errors ?? message).slice(0, 300));
          return;
        }
        subscriber.deliveries.push({
          kind: event.kind,
          at: Date.parse(event.at),
          receivedAt,
          orderId: event.order.id,
          status: event.order.status,
        });
      },
      error: (error) => subscriber.errors.push(`subscription error: ${describe(error)}`),
      complete: () => {
        subscriber.completed = true;
      },
    },
  );
  await ready;
  return subscriber;
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  const close = value as { code?: number; reason?: string } | null;
  if (close && typeof close.code === 'number') return `close ${close.code} ${close.reason ?? ''}`.trim();
  return JSON.stringify(value)?.slice(0, 300) ?? String(value);
}

export interface Checked {
  delivered: number;
  /** (subscriber, kind) pairs that never arrived. */
  missing: number;
  /** Deliveries beyond one per kind, and of any other kind. */
  extra: number;
  /** Deliveries of an order that is not the subscriber's. */
  foreign: number;
  /** Errors on a subscription, and subscriptions the router ended. */
  subscriptionErrors: number;
  firstSubscriptionError: string | null;
  eventToDelivered: { p50: number; p99: number; max: number };
  natsToDelivered: { p50: number; p99: number; max: number; matched: number };
  /** event → delivered per kind. */
  byKind: Record<string, { p50: number; p99: number; max: number }>;
}

const figures = (sorted: number[]) => ({
  p50: percentile(sorted, 0.5),
  p99: percentile(sorted, 0.99),
  max: sorted[sorted.length - 1] ?? Number.NaN,
});

/**
 * Each subscriber must have exactly its three events of its measured order, nothing of another
 * customer's order (its warm-up order's events are left out of the figures); one that owns no
 * order must get nothing at all. Latency:
 * receive time − the event's `at`, and − the time the bench saw the event on NATS (`onNats`, key
 * `<orderId>:<kind>`).
 */
export function check(subscribers: Subscriber[], onNats: Map<string, number>): Checked {
  let foreign = 0;
  let missing = 0;
  let extra = 0;
  let subscriptionErrors = 0;
  let firstSubscriptionError: string | null = null;
  const eventMs: number[] = [];
  const natsMs: number[] = [];
  const kindMs = new Map<string, number[]>(KINDS.map((k) => [k, []]));
  for (const s of subscribers) {
    subscriptionErrors += s.errors.length + (s.completed ? 1 : 0);
    firstSubscriptionError ??= s.errors[0] ?? (s.completed ? 'completed by the router' : null);
    foreign += s.deliveries.filter((d) => d.orderId !== s.orderId && d.orderId !== s.warmupOrderId).length;
    const measured = s.deliveries.filter((d) => d.orderId === s.orderId);
    const kinds = measured.map((d) => d.kind);
    for (const kind of s.orderId ? KINDS : []) {
      const n = kinds.filter((k) => k === kind).length;
      if (n === 0) missing += 1;
      if (n > 1) extra += n - 1;
    }
    extra += kinds.filter((k) => !(KINDS as readonly string[]).includes(k)).length;
    for (const d of measured) {
      eventMs.push(d.receivedAt - d.at);
      kindMs.get(d.kind)?.push(d.receivedAt - d.at);
      const seen = onNats.get(`${d.orderId}:${d.kind}`);
      if (seen !== undefined) natsMs.push(d.receivedAt - seen);
    }
  }
  eventMs.sort((a, b) => a - b);
  natsMs.sort((a, b) => a - b);
  return {
    delivered: subscribers.reduce(
      (n, s) => n + s.deliveries.filter((d) => d.orderId === s.orderId).length,
      0,
    ),
    missing,
    extra,
    foreign,
    subscriptionErrors,
    firstSubscriptionError,
    eventToDelivered: figures(eventMs),
    natsToDelivered: { ...figures(natsMs), matched: natsMs.length },
    byKind: Object.fromEntries([...kindMs].map(([kind, ms]) => [kind, figures(ms.sort((a, b) => a - b))])),
  };
}
