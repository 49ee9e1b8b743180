import { randomBytes } from 'node:crypto';
import type { Charge, Money, Refund } from './models';

export interface RefundRequest {
  idempotencyKey: string;
  /** The charge id (ch_…). */
  charge: string;
  amount: Money;
  paymentId: string;
}

export type RefundOutcome =
  | { kind: 'refund'; refund: Refund }
  | { kind: 'refund_refused'; message: string }
  | { kind: 'processor_unavailable'; message: string };

/** A refund as the old in-process test provider listed them (`refunds`). */
export interface TestRefund {
  refundId: string;
  chargeId: string;
  paymentId: string;
  amount: Money;
  idempotencyKey: string;
}

/**
 * The refunds of the test processor. Every check and the booking happen in one synchronous step, so
 * concurrent refunds of a charge can never give back more than it took.
 */
export class RefundBook {
  calls = 0;
  down = false;
  readonly refunds: TestRefund[] = [];
  private readonly booked: Refund[] = [];
  private readonly byKey = new Map<string, Refund>();
  private readonly refundedSum = new Map<string, number>();

  /**
   * Idempotent per key (the same key and refund answers the first refund and moves nothing; the key
   * with another refund is refused); refuses an unknown or unsuccessful charge, another currency, a
   * non-positive amount and more than is left of the charge.
   */
  refund(request: RefundRequest, charge: Charge | null, nowMs: number): RefundOutcome {
    this.calls += 1;
    if (this.down) return { kind: 'processor_unavailable', message: 'The test processor is down' };
    const previous = this.byKey.get(request.idempotencyKey);
    if (previous) {
      if (
        previous.charge !== request.charge ||
        previous.amount.amount !== request.amount.amount ||
        previous.amount.currency !== request.amount.currency
      )
        return refused('This Idempotency-Key was used for another refund');
      return { kind: 'refund', refund: { ...previous } };
    }
    if (!charge) return refused(`No successful charge ${request.charge}`);
    if (charge.amount.currency !== request.amount.currency)
      return refused('The refund currency differs from the charge');
    if (!Number.isSafeInteger(request.amount.amount) || request.amount.amount <= 0)
      return refused('The refund amount must be a positive integer');
    const already = this.refundedSum.get(charge.id) ?? 0;
    if (already + request.amount.amount > charge.amount.amount)
      return refused('The refund exceeds what is left of the charge');
    const refund: Refund = {
      id: `re_${randomBytes(12).toString('hex')}`,
      charge: charge.id,
      paymentId: request.paymentId,
      amount: { ...request.amount },
      idempotencyKey: request.idempotencyKey,
      created: new Date(nowMs).toISOString(),
    };
    this.byKey.set(request.idempotencyKey, refund);
    this.refundedSum.set(charge.id, already + request.amount.amount);
    this.booked.push(refund);
    this.refunds.push({
      refundId: refund.id,
      chargeId: refund.charge,
      paymentId: refund.paymentId,
      amount: { ...refund.amount },
      idempotencyKey: refund.idempotencyKey,
    });
    return { kind: 'refund', refund: { ...refund } };
  }

  refundedByCharge(): Map<string, number> {
    return new Map(this.refundedSum);
  }

  ledger(): Refund[] {
    return this.booked.map((r) => ({ ...r, amount: { ...r.amount } }));
  }
}

const refused = (message: string): RefundOutcome => ({ kind: 'refund_refused', message });
