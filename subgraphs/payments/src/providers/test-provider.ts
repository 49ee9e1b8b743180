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

/**
 * A deterministic, in-process card processor: the outcome depends only on the card number. It
 * counts its calls and keeps no card data, so tests can assert what reached it (and what did not).
 */
export class TestPaymentProvider implements PaymentProvider {
  readonly name = 'test';
  /** Number of charge calls received (including failed ones). */
  charges = 0;
  /** Charge ids refunded. */
  readonly refunds: string[] = [];

  constructor(private readonly options: { latencyMs?: number } = {}) {}

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    this.charges += 1;
    if (this.options.latencyMs) await sleep(this.options.latencyMs);
    if (request.card.number === TEST_CARDS.PROCESSOR_DOWN)
      throw new ProviderUnavailableError('The test processor is down');
    const decline = DECLINES[request.card.number];
    if (decline) return { outcome: 'DECLINED', ...decline };
    return { outcome: 'SUCCEEDED', chargeId: `ch_test_${randomUUID()}` };
  }

  async refund(chargeId: string): Promise<void> {
    this.refunds.push(chargeId);
  }
}
