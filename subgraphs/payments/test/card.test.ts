import { brandOf, luhnValid, requestFingerprint, validateCard, type CardInput } from '../src/card';
import { TEST_CARDS } from '../src/providers/test-provider';

const now = new Date('2026-06-15T12:00:00Z');
const base: CardInput = {
  number: TEST_CARDS.SUCCESS,
  expMonth: 12,
  expYear: 2028,
  cvc: '739',
  holderName: 'Ada Lovelace',
};

describe('card validation', () => {
  it('accepts every documented test card', () => {
    for (const number of Object.values(TEST_CARDS)) {
      expect(luhnValid(number)).toBe(true);
      expect(validateCard({ ...base, number }, now).ok).toBe(true);
    }
  });

  it('detects a wrong check digit', () => {
    expect(luhnValid('4242424242424241')).toBe(false);
    expect(validateCard({ ...base, number: '4242424242424241' }, now)).toMatchObject({
      ok: false,
      reason: 'LUHN_CHECK_FAILED',
    });
  });

  it('ignores spaces and dashes in the number', () => {
    const check = validateCard({ ...base, number: '4242 4242-4242 4242' }, now);
    expect(check.ok && check.card.number).toBe(TEST_CARDS.SUCCESS);
  });

  it('is valid through the end of its expiry month', () => {
    expect(validateCard({ ...base, expMonth: 6, expYear: 2026 }, now).ok).toBe(true);
    expect(validateCard({ ...base, expMonth: 5, expYear: 2026 }, now)).toMatchObject({
      ok: false,
      reason: 'EXPIRED',
    });
    expect(validateCard({ ...base, expMonth: 0 }, now)).toMatchObject({
      ok: false,
      reason: 'INVALID_EXPIRY',
    });
    expect(validateCard({ ...base, expYear: 28 }, now)).toMatchObject({
      ok: false,
      reason: 'INVALID_EXPIRY',
    });
  });

  it('wants a 3-4 digit CVC and a holder name', () => {
    expect(validateCard({ ...base, cvc: '7a9' }, now)).toMatchObject({ ok: false, field: 'card.cvc' });
    expect(validateCard({ ...base, cvc: '7391' }, now).ok).toBe(true);
    expect(validateCard({ ...base, holderName: 'x'.repeat(101) }, now)).toMatchObject({
      ok: false,
      field: 'card.holderName',
    });
    expect(validateCard({ ...base, holderName: 'Ada \uDC00' }, now)).toMatchObject({
      ok: false,
      field: 'card.holderName',
      reason: 'INVALID_HOLDER_NAME',
    });
    expect(validateCard({ ...base, holderName: 'Zoë 😀' }, now).ok).toBe(true);
  });

  it('names the brand', () => {
    expect(brandOf(TEST_CARDS.SUCCESS)).toBe('VISA');
    expect(brandOf(TEST_CARDS.SUCCESS_MASTERCARD)).toBe('MASTERCARD');
    expect(brandOf('2223003122003222')).toBe('MASTERCARD');
    expect(brandOf(TEST_CARDS.SUCCESS_AMEX)).toBe('AMEX');
    expect(brandOf('6011111111111117')).toBe('DISCOVER');
    expect(brandOf('9999999999999995')).toBe('UNKNOWN');
  });

  it('keeps only brand, last4 and expiry for storage', () => {
    const check = validateCard(base, now);
    expect(check.ok && check.card.stored).toEqual({
      brand: 'VISA',
      last4: '4242',
      expMonth: 12,
      expYear: 2028,
    });
  });
});

describe('request fingerprint', () => {
  const valid = (input: CardInput) => {
    const check = validateCard(input, now);
    if (!check.ok) throw new Error('invalid test card');
    return check.card;
  };

  it('is stable, depends on order, number and expiry, and hides the number', () => {
    const fp = requestFingerprint('o1', valid(base), 'secret-secret-secret');
    expect(requestFingerprint('o1', valid(base), 'secret-secret-secret')).toBe(fp);
    expect(requestFingerprint('o2', valid(base), 'secret-secret-secret')).not.toBe(fp);
    expect(requestFingerprint('o1', valid({ ...base, expYear: 2029 }), 'secret-secret-secret')).not.toBe(fp);
    // Same brand, last4 and expiry, different number: still a different fingerprint.
    expect(
      requestFingerprint('o1', valid({ ...base, number: '4000000000104242' }), 'secret-secret-secret'),
    ).not.toBe(fp);
    expect(requestFingerprint('o1', valid(base), 'another-secret-value')).not.toBe(fp);
    expect(fp).toMatch(/^[0-9a-f]{64}$/);
    expect(fp).not.toContain(TEST_CARDS.SUCCESS);
  });

  it('does not depend on the CVC or the holder name (they are not part of "the card")', () => {
    const fp = requestFingerprint('o1', valid(base), 'secret-secret-secret');
    expect(
      requestFingerprint('o1', valid({ ...base, cvc: '123', holderName: 'A L' }), 'secret-secret-secret'),
    ).toBe(fp);
  });
});
