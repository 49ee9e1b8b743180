import { brandOf, luhnValid, validateCard, type CardInput } from '../src/card';
import { TEST_CARDS } from '../src/processor';

const now = new Date('2026-06-15T12:00:00Z');
const base: CardInput = {
  number: TEST_CARDS.SUCCESS,
  expMonth: 12,
  expYear: 2028,
  cvc: '739',
  holderName: 'Ada Lovelace',
};
const reasonOf = (input: Partial<Record<keyof CardInput, unknown>>) => {
  const check = validateCard({ ...base, ...input }, now);
  return check.ok ? 'OK' : `${check.field} ${check.reason}`;
};

/** A Luhn-valid number of `length` digits starting with 4. */
function validNumber(length: number): string {
  const body = `4${'1'.repeat(length - 2)}`;
  for (let d = 0; d <= 9; d++) if (luhnValid(`${body}${d}`)) return `${body}${d}`;
  throw new Error('unreachable');
}

describe('card validation', () => {
  it('accepts every documented test card', () => {
    for (const number of Object.values(TEST_CARDS)) {
      expect(luhnValid(number)).toBe(true);
      const cvc = number.startsWith('37') ? '7391' : '739';
      expect(validateCard({ ...base, number, cvc }, now).ok).toBe(true);
    }
  });

  it('detects a wrong check digit', () => {
    expect(luhnValid('4242424242424241')).toBe(false);
    expect(reasonOf({ number: '4242424242424241' })).toBe('card.number LUHN_CHECK_FAILED');
  });

  it('ignores spaces and dashes in the number', () => {
    const check = validateCard({ ...base, number: '4242 4242-4242 4242' }, now);
    expect(check.ok && check.card.number).toBe(TEST_CARDS.SUCCESS);
  });

  it('wants 12 to 19 digits: at and beyond the bounds', () => {
    expect(reasonOf({ number: validNumber(11) })).toBe('card.number INVALID_NUMBER_LENGTH');
    expect(reasonOf({ number: validNumber(12) })).toBe('OK');
    expect(reasonOf({ number: validNumber(19) })).toBe('OK');
    expect(reasonOf({ number: validNumber(20) })).toBe('card.number INVALID_NUMBER_LENGTH');
    for (const number of ['', '4242x24242424242', '４２４２４２４２４２４２４２４２', 4242424242424242, null])
      expect(reasonOf({ number })).toBe('card.number INVALID_NUMBER_LENGTH');
  });

  it('is valid through the end of its expiry month, and wants a month 1-12 and a year 2000-2100', () => {
    expect(reasonOf({ expMonth: 6, expYear: 2026 })).toBe('OK');
    expect(reasonOf({ expMonth: 5, expYear: 2026 })).toBe('card.expYear EXPIRED');
    expect(reasonOf({ expMonth: 12, expYear: 2025 })).toBe('card.expYear EXPIRED');
    expect(reasonOf({ expMonth: 1 })).toBe('OK');
    expect(reasonOf({ expMonth: 12 })).toBe('OK');
    for (const expMonth of [0, 13, -1, 1.5, '12', null])
      expect(reasonOf({ expMonth })).toBe('card.expMonth INVALID_EXPIRY');
    expect(reasonOf({ expYear: 2100 })).toBe('OK');
    for (const expYear of [28, 1999, 2101, 2028.5, '2028'])
      expect(reasonOf({ expYear })).toBe('card.expYear INVALID_EXPIRY');
  });

  it('wants a CVC of the brand’s length: 3 digits, 4 for American Express', () => {
    expect(reasonOf({ cvc: '000' })).toBe('OK');
    for (const cvc of ['73', '7391', '7a9', ' 739', '', 739])
      expect(reasonOf({ cvc })).toBe('card.cvc INVALID_CVC');
    expect(reasonOf({ number: TEST_CARDS.SUCCESS_AMEX, cvc: '7391' })).toBe('OK');
    expect(reasonOf({ number: TEST_CARDS.SUCCESS_AMEX, cvc: '739' })).toBe('card.cvc INVALID_CVC');
    expect(reasonOf({ number: TEST_CARDS.SUCCESS_AMEX, cvc: '73912' })).toBe('card.cvc INVALID_CVC');
  });

  it('wants a holder name of 1 to 100 characters of well-formed text', () => {
    expect(reasonOf({ holderName: 'x' })).toBe('OK');
    expect(reasonOf({ holderName: 'x'.repeat(100) })).toBe('OK');
    expect(reasonOf({ holderName: `  ${'x'.repeat(100)}  ` })).toBe('OK');
    for (const holderName of ['', '   ', 'x'.repeat(101), 'Ada \uDC00', 42, null])
      expect(reasonOf({ holderName })).toBe('card.holderName INVALID_HOLDER_NAME');
    expect(reasonOf({ holderName: 'Zoë 😀' })).toBe('OK');
  });

  it('checks the fields in order and never echoes the number or the CVC', () => {
    const check = validateCard(
      { number: '4242424242424241', expMonth: 0, expYear: 1, cvc: 'x', holderName: '' },
      now,
    );
    expect(check).toMatchObject({ ok: false, field: 'card.number' });
    for (const input of [{ number: '4242424242424241' }, { cvc: '7a9' }, { expMonth: 13 }]) {
      const result = validateCard({ ...base, ...input }, now);
      expect(JSON.stringify(result)).not.toMatch(/4242424242424241|7a9/);
    }
  });

  it('names the brand', () => {
    expect(brandOf(TEST_CARDS.SUCCESS)).toBe('VISA');
    expect(brandOf(TEST_CARDS.SUCCESS_MASTERCARD)).toBe('MASTERCARD');
    expect(brandOf('2223003122003222')).toBe('MASTERCARD');
    expect(brandOf(TEST_CARDS.SUCCESS_AMEX)).toBe('AMEX');
    expect(brandOf('6011111111111117')).toBe('DISCOVER');
    expect(brandOf('9999999999999995')).toBe('UNKNOWN');
  });

  it('keeps only brand, last4 and expiry in the summary', () => {
    const check = validateCard(base, now);
    expect(check.ok && check.card.summary).toEqual({
      brand: 'VISA',
      last4: '4242',
      expMonth: 12,
      expYear: 2028,
    });
  });
});
