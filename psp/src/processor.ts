import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { validateCard, type CardCheck, type CardSummary, type ValidCard } from './card';
import type { Charge, ChargeEvent, DeclineReason, Money, Refund, TestCharge } from './models';
import { RefundBook, type RefundOutcome, type RefundRequest, type TestRefund } from './refunds';

/** The documented test cards (docs/payment-provider.md). Every other valid card succeeds. */
export const TEST_CARDS = {
  SUCCESS: '4242424242424242',
  SUCCESS_MASTERCARD: '5555555555554444',
  SUCCESS_AMEX: '378282246310005',
  REQUIRES_AUTHENTICATION: '4000002500003155',
  DECLINED: '4000000000000002',
  INSUFFICIENT_FUNDS: '4000000000009995',
  EXPIRED_CARD: '4000000000000069',
  INCORRECT_CVC: '4000000000000127',
  PROCESSOR_DOWN: '4000000000000119',
} as const;

const DECLINES: Record<string, { reason: DeclineReason; message: string }> = {
  [TEST_CARDS.DECLINED]: { reason: 'CARD_DECLINED', message: 'The card was declined' },
  [TEST_CARDS.INSUFFICIENT_FUNDS]: {
    reason: 'INSUFFICIENT_FUNDS',
    message: 'The card has insufficient funds',
  },
  [TEST_CARDS.EXPIRED_CARD]: { reason: 'EXPIRED_CARD', message: 'The issuer reports the card as expired' },
  [TEST_CARDS.INCORRECT_CVC]: { reason: 'INCORRECT_CVC', message: 'The security code was rejected' },
};

const AUTHENTICATION_FAILED = 'AUTHENTICATION_FAILED' satisfies DeclineReason;

export interface ProcessorOptions {
  tokenTtlSeconds: number;
  authenticationTtlSeconds: number;
  /** The base of the authentication page URLs (PUBLIC_URL). */
  publicUrl: string;
  /** Simulated processor latency of a charge. */
  latencyMs?: number;
  /** Every charge outcome: charge.succeeded / charge.failed (synchronous ones too). */
  onEvent?: (event: ChargeEvent) => void;
  now?: () => number;
}

export interface Token {
  id: string;
  card: CardSummary;
  /** ISO-8601. */
  expiresAt: string;
}

export type TokenResult = { ok: true; token: Token } | Extract<CardCheck, { ok: false }>;

export interface ChargeRequest {
  idempotencyKey: string;
  token: string;
  amount: Money;
  paymentId: string;
  orderId: string;
  description: string;
}

export type ChargeOutcome =
  | { kind: 'charge'; charge: Charge }
  | { kind: 'invalid_token'; message: string }
  | { kind: 'idempotency_key_reused'; message: string }
  | { kind: 'processor_unavailable'; message: string };

export type AuthenticationOutcome =
  { kind: 'charge'; charge: Charge } | { kind: 'not_found' } | { kind: 'not_pending'; charge: Charge };

interface LiveToken {
  card: ValidCard;
  expiresAtMs: number;
  /** A charge is being made with it (it cannot be used twice at once). */
  reserved: boolean;
}

const randomHex = (bytes: number) => randomBytes(bytes).toString('hex');

/**
 * The test processor: tokens, charges, authentications, refunds and its ledger, all in memory, no
 * HTTP. The card of a live token is the only card data it holds, and only until the token is used
 * or expires; the ledger keeps brand, last4 and expiry.
 */
export class TestProcessor {
  /** Charge calls received (including refused ones and outages). */
  charges = 0;
  /** Every successful charge, in order (completed authentications included). */
  readonly succeeded: TestCharge[] = [];
  /** While true, charge calls answer processor_unavailable. */
  chargesDown = false;
  private readonly book = new RefundBook();
  private readonly tokens = new Map<string, LiveToken>();
  private readonly chargesById = new Map<string, Charge>();
  private readonly byKey = new Map<string, { fingerprint: string; outcome: Promise<ChargeOutcome> }>();
  private readonly authTimers = new Map<string, NodeJS.Timeout>();
  private readonly now: () => number;
  private readonly publicUrl: string;
  private readonly sweeper: NodeJS.Timeout;
  onEvent: (event: ChargeEvent) => void;

  constructor(private readonly options: ProcessorOptions) {
    this.now = options.now ?? Date.now;
    this.publicUrl = options.publicUrl.replace(/\/+$/, '');
    this.onEvent = options.onEvent ?? (() => undefined);
    // expired tokens are dropped (with their card) even when nobody asks for them again
    this.sweeper = setInterval(() => this.sweepTokens(), 10_000).unref();
  }

  /** Refunds that moved money, in order (one per idempotency key). */
  get refunds(): readonly TestRefund[] {
    return this.book.refunds;
  }
  /** Refund calls received (including repeated keys, refusals and outages). */
  get refundCalls(): number {
    return this.book.calls;
  }
  /** While true, refund calls answer processor_unavailable. */
  get refundsDown(): boolean {
    return this.book.down;
  }
  set refundsDown(down: boolean) {
    this.book.down = down;
  }

  /** Sets the outage flags (POST /v1/test/outage). */
  setOutage(flags: { charges?: boolean; refunds?: boolean }) {
    if (flags.charges !== undefined) this.chargesDown = flags.charges;
    if (flags.refunds !== undefined) this.refundsDown = flags.refunds;
  }

  /** Validates the card and issues a single-use token for it. */
  createToken(input: Parameters<typeof validateCard>[0]): TokenResult {
    const check = validateCard(input, new Date(this.now()));
    if (!check.ok) return check;
    const id = `tok_${randomHex(16)}`;
    const expiresAtMs = this.now() + this.options.tokenTtlSeconds * 1000;
    this.tokens.set(id, { card: check.card, expiresAtMs, reserved: false });
    return {
      ok: true,
      token: { id, card: check.card.summary, expiresAt: new Date(expiresAtMs).toISOString() },
    };
  }

  /** Live (unused, unexpired) tokens held: each holds a card until it is used or expires. */
  liveTokens(): number {
    this.sweepTokens();
    return this.tokens.size;
  }

  /**
   * Charges a token, idempotent per key: the same key and body answer the same charge (a call in
   * flight included), another body is idempotency_key_reused. An outage, an unknown token and the
   * processor-down card charge nothing and are not remembered under the key.
   */
  charge(request: ChargeRequest): Promise<ChargeOutcome> {
    this.charges += 1;
    if (this.chargesDown) return Promise.resolve(unavailable('The test processor is down'));
    const fingerprint = JSON.stringify([
      request.token,
      request.amount.amount,
      request.amount.currency,
      request.paymentId,
      request.orderId,
      request.description,
    ]);
    const previous = this.byKey.get(request.idempotencyKey);
    if (previous) {
      if (previous.fingerprint !== fingerprint)
        return Promise.resolve({
          kind: 'idempotency_key_reused',
          message: 'This Idempotency-Key was used with another request body',
        });
      // the charge as it is now (an authentication may have completed since)
      return previous.outcome.then((result) =>
        result.kind === 'charge'
          ? { kind: 'charge', charge: this.retrieve(result.charge.id) ?? result.charge }
          : result,
      );
    }
    const outcome = this.chargeOnce(request);
    this.byKey.set(request.idempotencyKey, { fingerprint, outcome });
    void outcome.then((result) => {
      if (result.kind !== 'charge') this.byKey.delete(request.idempotencyKey);
    });
    return outcome;
  }

  private async chargeOnce(request: ChargeRequest): Promise<ChargeOutcome> {
    const token = this.tokens.get(request.token);
    if (!token || token.reserved || token.expiresAtMs <= this.now()) {
      if (token && !token.reserved) this.tokens.delete(request.token);
      return { kind: 'invalid_token', message: 'The token is unknown, expired or already used' };
    }
    if (token.card.number === TEST_CARDS.PROCESSOR_DOWN) return unavailable('The test processor is down');
    token.reserved = true;
    if (this.options.latencyMs) await sleep(this.options.latencyMs);
    if (this.chargesDown) {
      token.reserved = false;
      return unavailable('The test processor is down');
    }
    this.tokens.delete(request.token);
    const card = token.card;
    const decline = DECLINES[card.number];
    const requiresAction = card.number === TEST_CARDS.REQUIRES_AUTHENTICATION;
    const id = `ch_${randomHex(12)}`;
    const charge: Charge = {
      id,
      status: decline ? 'declined' : requiresAction ? 'requires_action' : 'succeeded',
      paymentId: request.paymentId,
      orderId: request.orderId,
      amount: { ...request.amount },
      description: request.description,
      card: { ...card.summary },
      declineReason: decline?.reason ?? null,
      message: decline?.message ?? (requiresAction ? 'The card requires authentication' : null),
      action: null,
      created: new Date(this.now()).toISOString(),
    };
    this.chargesById.set(id, charge);
    if (requiresAction) {
      const ttlMs = this.options.authenticationTtlSeconds * 1000;
      charge.action = {
        type: 'redirect_to_url',
        url: `${this.publicUrl}/v1/authentications/${id}`,
        expiresAt: new Date(this.now() + ttlMs).toISOString(),
      };
      this.authTimers.set(
        id,
        setTimeout(
          () => this.settle(id, 'failed', 'The authentication was not completed in time'),
          ttlMs,
        ).unref(),
      );
    } else this.finished(charge);
    return { kind: 'charge', charge: { ...charge } };
  }

  /** The charge now (a copy), or null. */
  retrieve(chargeId: string): Charge | null {
    const charge = this.chargesById.get(chargeId);
    if (charge?.status === 'requires_action') this.expireIfDue(charge);
    return charge ? { ...charge } : null;
  }

  /** The customer's answer on the challenge page: succeed or fail; an expired or final charge is not_pending. */
  completeAuthentication(chargeId: string, result: 'succeed' | 'fail'): AuthenticationOutcome {
    const charge = this.chargesById.get(chargeId);
    if (!charge) return { kind: 'not_found' };
    this.expireIfDue(charge);
    if (charge.status !== 'requires_action') return { kind: 'not_pending', charge: { ...charge } };
    if (result === 'succeed') this.settle(chargeId, 'succeeded', null);
    else this.settle(chargeId, 'failed', 'The authentication failed');
    return { kind: 'charge', charge: { ...charge } };
  }

  /** Gives up a charge awaiting authentication (failed, AUTHENTICATION_FAILED); a final one answers as it is. */
  cancel(chargeId: string): Charge | null {
    const charge = this.chargesById.get(chargeId);
    if (!charge) return null;
    this.expireIfDue(charge);
    if (charge.status === 'requires_action')
      this.settle(chargeId, 'failed', 'The authentication was cancelled');
    return { ...charge };
  }

  /** Refunds part or all of a successful charge, idempotent per key. */
  refund(request: RefundRequest): RefundOutcome {
    const charge = this.chargesById.get(request.charge);
    return this.book.refund(request, charge?.status === 'succeeded' ? charge : null, this.now());
  }

  /** The processor's side of the books: every charge and refund (no card data). */
  ledger(): { charges: Charge[]; refunds: Refund[] } {
    return { charges: [...this.chargesById.values()].map((c) => ({ ...c })), refunds: this.book.ledger() };
  }

  /** Successful charges per order id, as the processor counted them. */
  chargesByOrder(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const c of this.succeeded) counts.set(c.orderId, (counts.get(c.orderId) ?? 0) + 1);
    return counts;
  }

  /** Amount refunded per charge id, as the processor's ledger shows it. */
  refundedByCharge(): Map<string, number> {
    return this.book.refundedByCharge();
  }

  /** Stops the timers (abandonment, token sweeping); no event is sent after it. */
  stop() {
    clearInterval(this.sweeper);
    for (const timer of this.authTimers.values()) clearTimeout(timer);
    this.authTimers.clear();
    this.onEvent = () => undefined;
  }

  private expireIfDue(charge: Charge) {
    if (
      charge.status === 'requires_action' &&
      charge.action &&
      Date.parse(charge.action.expiresAt) <= this.now()
    )
      this.settle(charge.id, 'failed', 'The authentication was not completed in time');
  }

  private settle(chargeId: string, status: 'succeeded' | 'failed', message: string | null) {
    const charge = this.chargesById.get(chargeId);
    if (!charge || charge.status !== 'requires_action') return;
    clearTimeout(this.authTimers.get(chargeId));
    this.authTimers.delete(chargeId);
    charge.status = status;
    charge.action = null;
    charge.declineReason = status === 'failed' ? AUTHENTICATION_FAILED : null;
    charge.message = message;
    this.finished(charge);
  }

  private finished(charge: Charge) {
    if (charge.status === 'succeeded')
      this.succeeded.push({
        chargeId: charge.id,
        paymentId: charge.paymentId,
        orderId: charge.orderId,
        amount: { ...charge.amount },
      });
    const type = charge.status === 'succeeded' ? 'charge.succeeded' : 'charge.failed';
    this.onEvent({ type, charge: { ...charge, amount: { ...charge.amount }, card: { ...charge.card } } });
  }

  private sweepTokens() {
    const now = this.now();
    for (const [id, token] of this.tokens)
      if (!token.reserved && token.expiresAtMs <= now) this.tokens.delete(id);
  }
}

function unavailable(message: string): ChargeOutcome {
  return { kind: 'processor_unavailable', message };
}
