/**
 * Part 3, the checkout pipeline: N virtual shoppers for T seconds, each looping placeOrder → tokenise
 * the test card 4242… at the PSP → payOrder with the token through the gateway; successes and errors
 * are counted. The confirmation latency of every paid order is read from the notifications KV bucket (watched over NATS): the event record
 * `event.<eventId>` turns DONE when every channel is SENT, at its `completedAt`; the latency is
 * `completedAt − payment.createdAt` (both stamped by processes on this host).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kvm } from '@nats-io/kv';
import { connectNats, natsNames } from '@shop/messaging';
import { endpoints } from '@shop/testing';
import {
  bearer,
  gql,
  PAY_ORDER,
  PLACE_ORDER,
  cardToken,
  type PayResult,
  type PlaceResult,
  type Shopper,
} from './client';
import { percentile } from './load';

export interface CheckoutOptions {
  gateway: string;
  /** The test PSP: each payOrder's card is tokenised there first (part of the loop's time). */
  pspUrl: string;
  natsPrefix: string;
  shoppers: Shopper[];
  productIds: string[];
  seconds: number;
  /** How long to wait after the run for the last confirmations. */
  drainSeconds: number;
}

export interface CheckoutResult {
  shoppers: number;
  seconds: number;
  placed: number;
  paid: number;
  paidPerSecond: number;
  errors: number;
  errorKinds: Record<string, number>;
  /** Client-side time of one placeOrder + payOrder loop. */
  loopMs: { p50: number; p99: number };
  confirmed: number;
  /** Payment createdAt → notification event record DONE (completedAt). */
  confirmationMs: { p50: number; p99: number; max: number };
  /** True only with no errors and every paid order confirmed within the drain time. */
  valid: boolean;
}

const round = (n: number) => Math.round(n * 10) / 10;

interface EventRecord {
  orderId: string;
  status: string;
  completedAt: string | null;
}

export async function runCheckout(options: CheckoutOptions): Promise<CheckoutResult> {
  const nc = await connectNats(endpoints.nats, 'bench-checkout');
  const kv = await new Kvm(nc).open(natsNames(options.natsPrefix).buckets.notifications);
  const completed = new Map<string, number>();
  const watcher = await kv.watch({ key: 'event.>' });
  const watching = (async () => {
    for await (const entry of watcher) {
      if (entry.operation !== 'PUT') continue;
      const record = entry.json<EventRecord>();
      if (record.status === 'DONE' && record.completedAt)
        completed.set(record.orderId, Date.parse(record.completedAt));
    }
  })();

  const paidAt = new Map<string, number>();
  const loops: number[] = [];
  const errorKinds: Record<string, number> = {};
  let placed = 0;
  const error = (kind: string) => {
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
  };
  const started = Date.now();
  const deadline = started + options.seconds * 1000;

  const shop = async (who: Shopper, index: number) => {
    const auth = bearer(who.token);
    let n = index;
    while (Date.now() < deadline) {
      const t0 = performance.now();
      n += 1;
      const productId = options.productIds[n % options.productIds.length]!;
      try {
        const place = await gql<{ placeOrder: PlaceResult }>(
          options.gateway,
          PLACE_ORDER,
          { input: { items: [{ productId, quantity: 1 }], idempotencyKey: randomUUID() } },
          auth,
        );
        const order = place.data?.placeOrder;
        if (place.errors?.length || order?.__typename !== 'Order' || !order.id) {
          error(`placeOrder: ${place.errors?.[0]?.message ?? order?.__typename ?? `HTTP ${place.status}`}`);
          continue;
        }
        placed += 1;
        // The browser's part of paying: the card goes to the PSP, the graph gets a token.
        const paymentMethodToken = await cardToken(options.pspUrl);
        const pay = await gql<{ payOrder: PayResult }>(
          options.gateway,
          PAY_ORDER,
          { input: { orderId: order.id, idempotencyKey: randomUUID(), paymentMethodToken } },
          auth,
        );
        const result = pay.data?.payOrder;
        if (pay.errors?.length || result?.__typename !== 'PaymentSucceeded' || !result.payment) {
          error(`payOrder: ${pay.errors?.[0]?.message ?? result?.__typename ?? `HTTP ${pay.status}`}`);
          continue;
        }
        paidAt.set(order.id, Date.parse(result.payment.createdAt));
        loops.push(performance.now() - t0);
      } catch (e) {
        error(`request failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  };
  await Promise.all(options.shoppers.map((who, i) => shop(who, i * 7)));
  const elapsed = (Date.now() - started) / 1000;

  const drainUntil = Date.now() + options.drainSeconds * 1000;
  while (Date.now() < drainUntil && [...paidAt.keys()].some((id) => !completed.has(id))) await sleep(100);
  watcher.stop();
  await watching;
  await nc.close();

  const latencies = [...paidAt]
    .filter(([id]) => completed.has(id))
    .map(([id, at]) => completed.get(id)! - at)
    .sort((a, b) => a - b);
  loops.sort((a, b) => a - b);
  const errors = Object.values(errorKinds).reduce((s, v) => s + v, 0);
  return {
    shoppers: options.shoppers.length,
    seconds: round(elapsed),
    placed,
    paid: paidAt.size,
    paidPerSecond: round(paidAt.size / elapsed),
    errors,
    errorKinds,
    loopMs: { p50: round(percentile(loops, 0.5)), p99: round(percentile(loops, 0.99)) },
    confirmed: latencies.length,
    confirmationMs: {
      p50: round(percentile(latencies, 0.5)),
      p99: round(percentile(latencies, 0.99)),
      max: round(latencies[latencies.length - 1] ?? Number.NaN),
    },
    valid: errors === 0 && paidAt.size > 0 && latencies.length === paidAt.size,
  };
}
