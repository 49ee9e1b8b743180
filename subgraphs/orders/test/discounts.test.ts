import { discountOf, DiscountsService, normalizeCode } from '../src/discounts.service';
import type { DiscountCodeModel } from '../src/models';

/** The rules of a discount code without a datastore: its shape, what it takes off, the refusals' order. */

const code = (patch: Partial<DiscountCodeModel> = {}): DiscountCodeModel => ({
  code: 'SAVE10',
  seq: 1,
  kind: 'PERCENTAGE',
  value: 10,
  minimumSubtotal: null,
  startsAt: null,
  endsAt: null,
  usageLimit: null,
  usageLimitPerCustomer: null,
  timesUsed: 0,
  createdAt: new Date(0),
  ...patch,
});
const now = new Date('2030-06-01T12:00:00.000Z');
const service = new DiscountsService({
  repository: {} as never,
  carts: {} as never,
  log: { info: () => undefined } as never,
  currency: 'EUR',
  now: () => now,
});
const eur = (amount: number) => ({ amount, currency: 'EUR' });
const outcome = (c: DiscountCodeModel | null, subtotal = 1000, uses: number | null = null) => {
  const checked = service.evaluate(c, 'SAVE10', eur(subtotal), uses);
  return checked.ok ? checked.discount.amount : checked.refusal.__typename;
};

describe('discount codes', () => {
  it('normalizes a code: trimmed, upper case, 3-32 of letters, digits, - and _', () => {
    expect(normalizeCode('  save-10_x ')).toBe('SAVE-10_X');
    expect(normalizeCode('abc')).toBe('ABC');
    expect(normalizeCode('\tabc\n')).toBe('ABC');
    expect(normalizeCode('x'.repeat(32))).toBe('X'.repeat(32));
    for (const bad of [
      'ab',
      'x'.repeat(33),
      'a b c',
      'ÄBC',
      'abc!',
      '',
      '   ',
      'a\nbc',
      ' '.repeat(300) + 'abc',
    ])
      expect(normalizeCode(bad)).toBeNull();
  });

  it('takes percentages off rounded down and fixed amounts at most the subtotal', () => {
    expect(discountOf({ kind: 'PERCENTAGE', value: 15 }, 3333)).toBe(499);
    expect(discountOf({ kind: 'PERCENTAGE', value: 100 }, 3333)).toBe(3333);
    expect(discountOf({ kind: 'PERCENTAGE', value: 1 }, 99)).toBe(0);
    expect(discountOf({ kind: 'FIXED_AMOUNT', value: 500 }, 3333)).toBe(500);
    expect(discountOf({ kind: 'FIXED_AMOUNT', value: 5000 }, 3333)).toBe(3333);
    expect(discountOf({ kind: 'PERCENTAGE', value: 37 }, 10_000_000)).toBe(3_700_000);
  });

  it('is valid from startsAt (inclusive) until endsAt (exclusive)', () => {
    expect(outcome(code({ startsAt: now }))).toBe(100);
    expect(outcome(code({ startsAt: new Date(now.getTime() + 1) }))).toBe('DiscountCodeNotActiveError');
    expect(outcome(code({ endsAt: new Date(now.getTime() + 1) }))).toBe(100);
    expect(outcome(code({ endsAt: now }))).toBe('DiscountCodeNotActiveError');
  });

  it('applies from the minimum subtotal exactly', () => {
    expect(outcome(code({ minimumSubtotal: 1000 }), 1000)).toBe(100);
    expect(outcome(code({ minimumSubtotal: 1000 }), 999)).toBe('DiscountCodeMinimumNotMetError');
  });

  it('is used up at its limit, and per customer only when there is a customer', () => {
    expect(outcome(code({ usageLimit: 3, timesUsed: 2 }))).toBe(100);
    expect(outcome(code({ usageLimit: 3, timesUsed: 3 }))).toBe('DiscountCodeUsedUpError');
    expect(outcome(code({ usageLimitPerCustomer: 2 }), 1000, 1)).toBe(100);
    expect(outcome(code({ usageLimitPerCustomer: 2 }), 1000, 2)).toBe('DiscountCodeAlreadyUsedError');
    expect(outcome(code({ usageLimitPerCustomer: 1 }), 1000, null)).toBe(100);
  });

  it('refuses in one order: not found, not active, minimum, used up, already used', () => {
    const everything = code({
      endsAt: now,
      minimumSubtotal: 5000,
      usageLimit: 1,
      timesUsed: 1,
      usageLimitPerCustomer: 1,
    });
    expect(outcome(null)).toBe('DiscountCodeNotFoundError');
    expect(outcome(everything, 1000, 1)).toBe('DiscountCodeNotActiveError');
    expect(outcome({ ...everything, endsAt: null }, 1000, 1)).toBe('DiscountCodeMinimumNotMetError');
    expect(outcome({ ...everything, endsAt: null, minimumSubtotal: null }, 1000, 1)).toBe(
      'DiscountCodeUsedUpError',
    );
    expect(outcome({ ...everything, endsAt: null, minimumSubtotal: null, usageLimit: null }, 1000, 1)).toBe(
      'DiscountCodeAlreadyUsedError',
    );
    const refusal = service.evaluate(code({ minimumSubtotal: 5000 }), 'SAVE10', eur(1), null);
    expect(refusal).toMatchObject({
      ok: false,
      refusal: { code: 'SAVE10', minimumSubtotal: { amount: 5000, currency: 'EUR' } },
    });
  });
});
