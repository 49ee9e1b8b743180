import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DeclineReason } from '../models';
import {
  ProviderUnavailableError,
  RefundRefusedError,
  type ChargeRequest,
  type ChargeResult,
  type PaymentProvider,
  type RefundRequest,
  type RefundResult,
} from './provider';

/** The documented test cards (see subgraphs/payments/README.md). Every other valid card succeeds. */
export const TEST_CARDS = {
  SUCCESS: '4242424242424242',
  SUCCESS_MASTERCARD: '5555555555554444',
  SUCCESS_AMEX: '378282246310005',
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

/** A charge the test processor took: what a processor's own ledger would show. */
export interface TestCharge {
  chargeId: string;
  paymentId: string;
  orderId: string;
  amount: ChargeRequest['amount'];
}

/** A refund the test processor made. */
export interface TestRefund {
  refundId: string;
  chargeId: string;
  paymentId: string;
  amount: ChargeRequest['amount'];
  idempotencyKey: string;
}

/**
 * A deterministic, in-process card processor: the outcome depends only on the card number. It
 * counts its calls and keeps no card data, so tests can assert what reached it (and what did not),
 * and it keeps a ledger of the charges it took (`succeeded`), the processor's side of the books.
 */
export class TestPaymentProvider implements PaymentProvider {
  readonly name = 'test';
  /** Number of charge calls received (including failed and aborted ones). */
  charges = 0;
  /** Every successful charge, in order. */
  readonly succeeded: TestCharge[] = [];
  /** Every refund that moved money, in order (one per idempotency key). */
  readonly refunds: TestRefund[] = [];
  /** Refund calls received (including repeated keys, refusals and outages). */
  refundCalls = 0;
  /** While true, every refund call throws ProviderUnavailableError (the processor is down). */
  refundsDown = false;
  private readonly refundsByKey = new Map<string, TestRefund>();

  constructor(private readonly options: { latencyMs?: number } = {}) {}

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    this.charges += 1;
    if (this.options.latencyMs) {
      // An aborted call takes nothing, like a processor request that never completed.
      await sleep(this.options.latencyMs, undefined, { signal: request.signal }).catch(() => undefined);
    }
    if (request.signal.aborted) throw new ProviderUnavailableError('The test processor call was aborted');
    if (request.card.number === TEST_CARDS.PROCESSOR_DOWN)
      throw new ProviderUnavailableError('The test processor is down');
    const decline = DECLINES[request.card.number];
    if (decline) return { outcome: 'DECLINED', ...decline };
    const chargeId = `ch_test_${randomUUID()}`;
    this.succeeded.push({
      chargeId,
      paymentId: request.paymentId,
      orderId: request.orderId,
      amount: request.amount,
    });
    return { outcome: 'SUCCEEDED', chargeId };
  }

  /** Successful charges per order id, as the processor counted them. */
  chargesByOrder(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const c of this.succeeded) counts.set(c.orderId, (counts.get(c.orderId) ?? 0) + 1);
    return counts;
  }

  /** Amount refunded per charge id, as the processor's ledger shows it. */
  refundedByCharge(): Map<string, number> {
    const sums = new Map<string, number>();
    for (const r of this.refunds) sums.set(r.chargeId, (sums.get(r.chargeId) ?? 0) + r.amount.amount);
    return sums;
  }

  /**
   * Idempotent per key (the same key returns the first refund and moves nothing); refuses an unknown
   * charge, another currency, a non-positive amount, and more than what is left of the charge.
   */
  async refund(request: RefundRequest): Promise<RefundResult> {
    this.refundCalls += 1;
    if (this.refundsDown) throw new ProviderUnavailableError('The test processor is down');
    const previous = this.refundsByKey.get(request.idempotencyKey);
    if (previous) {
      if (previous.chargeId !== request.chargeId || previous.amount.amount !== request.amount.amount)
        throw new RefundRefusedError('idempotency key reused for another refund');
      return { refundId: previous.refundId };
    }
    const charge = this.succeeded.find((c) => c.chargeId === request.chargeId);
    if (!charge) throw new RefundRefusedError(`no such charge ${request.chargeId}`);
    if (charge.amount.currency !== request.amount.currency)
      throw new RefundRefusedError('refund currency differs from the charge');
    if (!Number.isSafeInteger(request.amount.amount) || request.amount.amount <= 0)
      throw new RefundRefusedError('refund amount must be positive');
    const already = this.refundedByCharge().get(request.chargeId) ?? 0;
    if (already + request.amount.amount > charge.amount.amount)
      throw new RefundRefusedError('refund exceeds what is left of the charge');
    const refund: TestRefund = {
      refundId: `re_test_${randomUUID()}`,
      chargeId: request.chargeId,
      paymentId: request.paymentId,
      amount: request.amount,
      idempotencyKey: request.idempotencyKey,
    };
    this.refundsByKey.set(request.idempotencyKey, refund);
    this.refunds.push(refund);
    return { refundId: refund.refundId };
  }
}
