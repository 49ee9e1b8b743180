import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DeclineReason } from '../models';
import {
  ProviderUnavailableError,
  type ChargeRequest,
  type ChargeResult,
  type PaymentProvider,
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
  /** Charge ids refunded. */
  readonly refunds: string[] = [];

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

  async refund(chargeId: string): Promise<void> {
    this.refunds.push(chargeId);
  }
}
