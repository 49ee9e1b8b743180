import { createHmac, randomBytes } from 'node:crypto';
import type { Logger } from '@shop/server';
import type { ChargeEvent } from './models';

/** The header of a webhook's signature. */
export const SIGNATURE_HEADER = 'psp-signature';

/** Delays before the 2nd, 3rd, ... delivery attempt; the last repeats (10 attempts in all). */
export const DEFAULT_RETRY_DELAYS_MS = [1_000, 5_000, 30_000, 60_000];
export const MAX_ATTEMPTS = 10;
/** How long one delivery attempt may take. */
const ATTEMPT_TIMEOUT_MS = 10_000;

/**
 * The Psp-Signature header value of a body, as Stripe signs: `t=<unix seconds>,v1=<hex
 * HMAC-SHA256(secret, "<t>.<raw body>")>`.
 */
export function signPayload(secret: string, body: string, timestampSeconds: number): string {
  const v1 = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${v1}`;
}

/** The webhook body of an event. */
export interface WebhookEvent {
  id: string;
  type: ChargeEvent['type'];
  created: number;
  data: { charge: ChargeEvent['charge'] };
}

export interface WebhookSenderOptions {
  url: string;
  secret: string;
  log: Logger;
  /** Delays between attempts (the last repeats); DEFAULT_RETRY_DELAYS_MS by default. */
  delaysMs?: number[];
  maxAttempts?: number;
}

/**
 * Delivers events to WEBHOOK_URL in the background: each attempt is signed anew (its timestamp is
 * the attempt's, so a late retry is not refused as a replay), a non-2xx answer or a network error is
 * retried after the next delay, up to maxAttempts. `send` never waits for a delivery.
 */
export class WebhookSender {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private stopped = false;
  /** Deliveries attempted, answered 2xx, and given up (for tests and operators). */
  readonly stats = { attempts: 0, delivered: 0, abandoned: 0 };

  constructor(private readonly options: WebhookSenderOptions) {}

  /** Queues the event's delivery and answers its webhook body at once. */
  send(event: ChargeEvent): WebhookEvent {
    const body: WebhookEvent = {
      id: `evt_${randomBytes(12).toString('hex')}`,
      type: event.type,
      created: Math.floor(Date.now() / 1000),
      data: { charge: event.charge },
    };
    if (!this.stopped) this.attempt(body, JSON.stringify(body), 1);
    return body;
  }

  private attempt(event: WebhookEvent, raw: string, attempt: number) {
    const run = this.deliver(raw).then(
      (status) => ({ ok: status >= 200 && status < 300, status, error: undefined }),
      (error: unknown) => ({
        ok: false,
        status: 0,
        error: error instanceof Error ? error.message : String(error),
      }),
    );
    const tracked: Promise<void> = run.then((result) => {
      this.inFlight.delete(tracked);
      const fields = { eventId: event.id, type: event.type, chargeId: event.data.charge.id, attempt };
      if (result.ok) {
        this.stats.delivered += 1;
        this.options.log.info(fields, 'webhook delivered');
        return;
      }
      if (this.stopped) return;
      const max = this.options.maxAttempts ?? MAX_ATTEMPTS;
      if (attempt >= max) {
        this.stats.abandoned += 1;
        this.options.log.error({ ...fields, status: result.status }, 'webhook not delivered; giving up');
        return;
      }
      const delays = this.options.delaysMs ?? DEFAULT_RETRY_DELAYS_MS;
      const delay = delays[Math.min(attempt - 1, delays.length - 1)] ?? 60_000;
      this.options.log.warn(
        { ...fields, status: result.status, error: result.error, retryInMs: delay },
        'webhook not delivered; retrying',
      );
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.attempt(event, raw, attempt + 1);
      }, delay).unref();
      this.timers.add(timer);
    });
    this.inFlight.add(tracked);
  }

  private async deliver(raw: string): Promise<number> {
    this.stats.attempts += 1;
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(ATTEMPT_TIMEOUT_MS)]);
    const res = await fetch(this.options.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signPayload(this.options.secret, raw, Math.floor(Date.now() / 1000)),
      },
      body: raw,
      signal,
    });
    await res.arrayBuffer().catch(() => undefined);
    return res.status;
  }

  /** Deliveries waiting for a retry or in flight. */
  pending(): number {
    return this.timers.size + this.inFlight.size;
  }

  /** Cancels the retries and the attempts in flight and waits for them to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.abort.abort();
    await Promise.allSettled([...this.inFlight]);
  }
}
