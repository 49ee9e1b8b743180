import {
  canTransition,
  IllegalTransitionError,
  isPayable,
  isRefundable,
  transition,
  wasPaid,
} from '../src/order-state';
import { fingerprintOf } from '../src/orders.placing';
import { ORDER_STATUSES, orderNumber, type OrderStatus } from '../src/models';

describe('order state machine', () => {
  it('allows PENDING_PAYMENT to PAID and to CANCELLED', () => {
    expect(transition('PENDING_PAYMENT', 'PAID')).toBe('PAID');
    expect(transition('PENDING_PAYMENT', 'CANCELLED')).toBe('CANCELLED');
  });

  it('allows PAID to FULFILLED or REFUNDED, FULFILLED to DELIVERED or REFUNDED, DELIVERED to REFUNDED', () => {
    expect(transition('PAID', 'FULFILLED')).toBe('FULFILLED');
    expect(transition('PAID', 'REFUNDED')).toBe('REFUNDED');
    expect(transition('FULFILLED', 'DELIVERED')).toBe('DELIVERED');
    expect(transition('FULFILLED', 'REFUNDED')).toBe('REFUNDED');
    expect(transition('DELIVERED', 'REFUNDED')).toBe('REFUNDED');
    for (const to of ['PENDING_PAYMENT', 'PAID', 'DELIVERED', 'CANCELLED'] as const)
      expect(canTransition('PAID', to)).toBe(false);
    for (const to of ['PENDING_PAYMENT', 'PAID', 'FULFILLED', 'CANCELLED'] as const)
      expect(canTransition('FULFILLED', to)).toBe(false);
    for (const to of ['PENDING_PAYMENT', 'PAID', 'FULFILLED', 'DELIVERED', 'CANCELLED'] as const)
      expect(canTransition('DELIVERED', to)).toBe(false);
    for (const to of ['FULFILLED', 'DELIVERED', 'REFUNDED'] as const)
      expect(canTransition('PENDING_PAYMENT', to)).toBe(false);
    for (const s of ['PAID', 'FULFILLED', 'DELIVERED'] as const) expect(isRefundable(s)).toBe(true);
    for (const s of ['PENDING_PAYMENT', 'CANCELLED', 'REFUNDED'] as const)
      expect(isRefundable(s)).toBe(false);
  });

  it('never enters a status twice (no cycle: one timestamp per status is the whole history)', () => {
    const seen = (from: OrderStatus, path: OrderStatus[]): void => {
      for (const to of ORDER_STATUSES.filter((s) => canTransition(from, s))) {
        expect(path).not.toContain(to);
        seen(to, [...path, to]);
      }
    };
    seen('PENDING_PAYMENT', ['PENDING_PAYMENT']);
    for (const s of ORDER_STATUSES) expect(canTransition(s, s)).toBe(false);
  });

  it('says which statuses were paid', () => {
    for (const s of ['PAID', 'FULFILLED', 'DELIVERED', 'REFUNDED'] as const) expect(wasPaid(s)).toBe(true);
    for (const s of ['PENDING_PAYMENT', 'CANCELLED'] as const) expect(wasPaid(s)).toBe(false);
  });

  it('refuses every transition out of a final state', () => {
    for (const from of ['CANCELLED', 'REFUNDED'] as const) {
      for (const to of ORDER_STATUSES) {
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
    expect(isPayable('FULFILLED')).toBe(false);
    expect(isPayable('DELIVERED')).toBe(false);
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
