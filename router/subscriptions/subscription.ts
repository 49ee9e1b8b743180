import { badUserInput, ErrorCode } from '@shop/errors';
import type { Logger } from '@shop/server';
import { GraphQLError, type FormattedExecutionResult } from 'graphql';
import { isOrderId } from '@shop/messaging';
import { expiredToken, type Subscriber } from './auth';
import type { LiveEvent } from './events';
import type { PreparedSubscription } from './operation';
import type { EventResolver } from './resolve';

/** The longest a timer can wait (setTimeout's limit); a later expiry is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LiveSubscriptionOptions {
  prepared: PreparedSubscription;
  subscriber: Subscriber;
  clientAddress?: string;
  resolver: EventResolver;
  /** Events waiting to be resolved at most; the oldest is dropped beyond it. */
  queueMax: number;
  log: Logger;
  /** Called once when the subscription ends, whatever ended it. */
  onEnd(subscription: LiveSubscription): void;
}

let nextId = 0;

/**
 * One subscription: its events (pushed by the fan-out), resolved one at a time in arrival order
 * through the supergraph, as an async iterator of payloads for the transport (graphql-ws, multipart).
 * A slow client holds back only its own iterator: at most `queueMax` events wait, then the oldest is
 * dropped. orderUpdated resolves the order first (the snapshot), with the events that arrive
 * meanwhile queued behind it. It ends when the client completes it, when its token expires
 * (UNAUTHENTICATED, thrown from next()), when orderUpdated names no order of the viewer
 * (BAD_USER_INPUT) or on router shutdown (done).
 */
export class LiveSubscription implements AsyncIterableIterator<FormattedExecutionResult> {
  readonly id = ++nextId;
  readonly field: PreparedSubscription['field'];
  readonly userId: string;
  readonly orderId: string | undefined;
  delivered = 0;
  dropped = 0;
  private readonly queue: LiveEvent[] = [];
  private snapshot: boolean;
  private wake: (() => void) | undefined;
  private ended: { error?: GraphQLError; thrown: boolean } | undefined;
  private timer: NodeJS.Timeout | undefined;

  /** The checked subscription and its event query. */
  get prepared(): PreparedSubscription {
    return this.options.prepared;
  }

  constructor(private readonly options: LiveSubscriptionOptions) {
    this.field = options.prepared.field;
    this.userId = options.subscriber.viewer.id;
    this.orderId = options.prepared.orderId;
    this.snapshot = this.field === 'orderUpdated';
    this.armExpiry();
  }

  get isEnded(): boolean {
    return this.ended !== undefined;
  }

  /** An event of this subscription's order (orderUpdated) or user (myOrderEvents). */
  push(event: LiveEvent): void {
    if (this.ended) return;
    if (this.queue.length >= this.options.queueMax) {
      this.queue.shift();
      this.dropped += 1;
      if (this.dropped === 1 || this.dropped % 100 === 0) {
        this.options.log.warn(
          { subscription: this.id, dropped: this.dropped },
          'slow subscriber: oldest events dropped',
        );
      }
    }
    this.queue.push(event);
    this.wake?.();
  }

  /** Ends the subscription: with an error the client is sent, or quietly (done). */
  end(error?: GraphQLError): void {
    if (this.ended) return;
    this.ended = { ...(error ? { error } : {}), thrown: false };
    clearTimeout(this.timer);
    this.queue.length = 0;
    this.wake?.();
    this.options.onEnd(this);
  }

  async next(): Promise<IteratorResult<FormattedExecutionResult>> {
    for (;;) {
      if (this.ended) {
        if (this.ended.error && !this.ended.thrown) {
          this.ended.thrown = true;
          throw this.ended.error;
        }
        return { done: true, value: undefined };
      }
      if (this.snapshot) {
        this.snapshot = false;
        const result = await this.initial();
        if (result) return this.deliver(result);
        continue;
      }
      const event = this.queue.shift();
      if (!event) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const result = await this.resolve(event);
      if (result && !this.ended) return this.deliver(result);
    }
  }

  async return(): Promise<IteratorResult<FormattedExecutionResult>> {
    this.end();
    return { done: true, value: undefined };
  }

  async throw(): Promise<IteratorResult<FormattedExecutionResult>> {
    this.end();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private deliver(result: FormattedExecutionResult): IteratorResult<FormattedExecutionResult> {
    this.delivered += 1;
    return { done: false, value: result };
  }

  /** orderUpdated's first payload: the order now; an order the viewer may not see ends it. */
  private async initial(): Promise<FormattedExecutionResult | undefined> {
    const orderId = this.orderId ?? '';
    // an id in another form than the one orders issues names no order: no query at all
    const outcome = isOrderId(orderId) ? await this.run(orderId, undefined) : ({ kind: 'hidden' } as const);
    if (this.ended) return undefined;
    if (outcome?.kind === 'payload') return outcome.result;
    if (outcome?.kind === 'failed' && outcome.errors.length) {
      const [first] = outcome.errors;
      this.end(
        new GraphQLError(first!.message, {
          extensions: {
            ...first!.extensions,
            code: first!.extensions?.code ?? ErrorCode.SERVICE_UNAVAILABLE,
          },
        }),
      );
      return undefined;
    }
    if (outcome?.kind === 'failed' || !outcome) {
      this.end(
        new GraphQLError('The order could not be loaded; subscribe again', {
          extensions: { code: ErrorCode.SERVICE_UNAVAILABLE },
        }),
      );
      return undefined;
    }
    this.end(badUserInput(`No order ${JSON.stringify(orderId)} of yours`, 'id'));
    return undefined;
  }

  private async resolve(event: LiveEvent): Promise<FormattedExecutionResult | undefined> {
    const outcome = await this.run(event.orderId, event);
    if (outcome?.kind === 'payload') return outcome.result;
    if (outcome?.kind === 'failed') {
      this.options.log.warn(
        { subscription: this.id, kind: event.kind, errors: outcome.errors.map((e) => e.message) },
        'subscription event not resolved; not delivered',
      );
    }
    return undefined;
  }

  private async run(orderId: string, event: LiveEvent | undefined) {
    const { resolver, prepared, subscriber, clientAddress, log } = this.options;
    try {
      return await resolver.resolve(prepared, subscriber, clientAddress, orderId, event);
    } catch (err) {
      log.error({ err, subscription: this.id }, 'subscription event resolution failed');
      return undefined;
    }
  }

  /** Ends the subscription with UNAUTHENTICATED at the token's exp. */
  private armExpiry(): void {
    const left = this.options.subscriber.expiresAt - Date.now();
    if (left <= 0) {
      this.end(expiredToken());
      return;
    }
    this.timer = setTimeout(
      () => {
        if (Date.now() >= this.options.subscriber.expiresAt) this.end(expiredToken());
        else this.armExpiry();
      },
      Math.min(left, MAX_TIMER_MS),
    );
    this.timer.unref();
  }
}
