import {
  canTransition,
  IllegalTransitionError,
  isPayable,
  isRefundable,
  transition,
} from '../src/order-state';
import { fingerprintOf } from '../src/orders.placing';
import { orderNumber } from '../src/models';

describe('order state machine', () => {
  it('allows PENDING_PAYMENT to PAID and to CANCELLED', () => {
    expect(transition('PENDING_PAYMENT', 'PAID')).toBe('PAID');
    expect(transition('PENDING_PAYMENT', 'CANCELLED')).toBe('CANCELLED');
  });

  it('allows PAID to REFUNDED only', () => {
    expect(transition('PAID', 'REFUNDED')).toBe('REFUNDED');
    for (const to of ['PENDING_PAYMENT', 'PAID', 'CANCELLED'] as const)
      expect(canTransition('PAID', to)).toBe(false);
    expect(canTransition('PENDING_PAYMENT', 'REFUNDED')).toBe(false);
    expect(isRefundable('PAID')).toBe(true);
    for (const s of ['PENDING_PAYMENT', 'CANCELLED', 'REFUNDED'] as const)
      expect(isRefundable(s)).toBe(false);
  });

  it('refuses every transition out of a final state', () => {
    for (const from of ['CANCELLED', 'REFUNDED'] as const) {
      for (const to of ['PENDING_PAYMENT', 'PAID', 'CANCELLED', 'REFUNDED'] as const) {
        expect(canTransition(from, to)).toBe(false);
        expect(() => transition(from, to)).toThrow(IllegalTransitionError);
      }
    }
  });

  it('refuses going back to PENDING_PAYMENT', () => {
    expect(() => transition('PENDING_PAYMENT', 'PENDING_PAYMENT')).toThrow(
      'cannot go from PENDING_PAYMENT to PENDING_PAYMENT',
    );
  });

  it('says only a pending order is payable', () => {
    expect(isPayable('PENDING_PAYMENT')).toBe(true);
    expect(isPayable('PAID')).toBe(false);
    expect(isPayable('CANCELLED')).toBe(false);
    expect(isPayable('REFUNDED')).toBe(false);
  });
});

describe('helpers', () => {
  it('fingerprints items independently of their order', () => {
    const a = fingerprintOf([
      { productId: 'p1', quantity: 2 },
      { productId: 'p2', quantity: 1 },
    ]);
    const b = fingerprintOf([
      { productId: 'p2', quantity: 1 },
      { productId: 'p1', quantity: 2 },
    ]);
    const c = fingerprintOf([
      { productId: 'p1', quantity: 3 },
      { productId: 'p2', quantity: 1 },
    ]);
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });

  it('formats order numbers', () => {
    expect(orderNumber(42)).toBe('SO-000042');
    expect(orderNumber(1234567)).toBe('SO-1234567');
  });
});
