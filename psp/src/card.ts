/**
 * Card validation at tokenisation (moved here from payments: card data never reaches the graph).
 * Messages never echo the number or the CVC.
 */

export type CardBrand = 'VISA' | 'MASTERCARD' | 'AMEX' | 'DISCOVER' | 'UNKNOWN';

export type InvalidCardReason =
  | 'LUHN_CHECK_FAILED'
  | 'INVALID_NUMBER_LENGTH'
  | 'INVALID_EXPIRY'
  | 'EXPIRED'
  | 'INVALID_CVC'
  | 'INVALID_HOLDER_NAME';

/** A card as the browser sends it (POST /v1/tokens). Lives only inside the PSP, in memory. */
export interface CardInput {
  number: string;
  expMonth: number;
  expYear: number;
  cvc: string;
  holderName: string;
}

/** What may be shown and kept of a card: never the number or the CVC. */
export interface CardSummary {
  brand: CardBrand;
  last4: string;
  expMonth: number;
  expYear: number;
}

/** A validated card: the normalised number plus the part that may be shown. */
export interface ValidCard {
  number: string;
  cvc: string;
  holderName: string;
  summary: CardSummary;
}

export type CardCheck =
  { ok: true; card: ValidCard } | { ok: false; field: string; reason: InvalidCardReason; message: string };

const LONE_SURROGATE = /\p{Cs}/u;

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

export function brandOf(digits: string): CardBrand {
  if (/^4/.test(digits)) return 'VISA';
  if (/^(5[1-5]|222[1-9]|22[3-9]\d|2[3-6]\d\d|27[01]\d|2720)/.test(digits)) return 'MASTERCARD';
  if (/^3[47]/.test(digits)) return 'AMEX';
  if (/^(6011|65|64[4-9])/.test(digits)) return 'DISCOVER';
  return 'UNKNOWN';
}

const invalid = (field: string, reason: InvalidCardReason, message: string): CardCheck => ({
  ok: false,
  field,
  reason,
  message,
});

/**
 * Checks a card: number length (12-19 digits, spaces and dashes ignored) and Luhn digit, expiry
 * (valid through the end of its month, UTC), CVC of the brand's length (4 digits for American Express,
 * 3 for the others), a holder name of 1-100 characters of
 * well-formed text. Values of the wrong JSON type fail as their field.
 */
export function validateCard(input: Partial<Record<keyof CardInput, unknown>>, now = new Date()): CardCheck {
  const number = typeof input.number === 'string' ? input.number.replace(/[\s-]/g, '') : '';
  if (!/^\d{12,19}$/.test(number))
    return invalid('card.number', 'INVALID_NUMBER_LENGTH', 'Card number must be 12 to 19 digits');
  if (!luhnValid(number))
    return invalid('card.number', 'LUHN_CHECK_FAILED', 'Card number is not valid (check digit mismatch)');
  const { expMonth, expYear } = input;
  if (typeof expMonth !== 'number' || !Number.isInteger(expMonth) || expMonth < 1 || expMonth > 12)
    return invalid('card.expMonth', 'INVALID_EXPIRY', 'Expiry month must be between 1 and 12');
  if (typeof expYear !== 'number' || !Number.isInteger(expYear) || expYear < 2000 || expYear > 2100)
    return invalid('card.expYear', 'INVALID_EXPIRY', 'Expiry year must be a four-digit year');
  const thisMonth = now.getUTCFullYear() * 12 + now.getUTCMonth();
  if (expYear * 12 + (expMonth - 1) < thisMonth)
    return invalid('card.expYear', 'EXPIRED', 'The card has expired');
  const cvc = typeof input.cvc === 'string' ? input.cvc : '';
  const brand = brandOf(number);
  if (brand === 'AMEX' ? !/^\d{4}$/.test(cvc) : !/^\d{3}$/.test(cvc))
    return invalid(
      'card.cvc',
      'INVALID_CVC',
      brand === 'AMEX' ? 'Security code must be 4 digits' : 'Security code must be 3 digits',
    );
  const holderName = typeof input.holderName === 'string' ? input.holderName.trim() : '';
  if (holderName.length === 0 || holderName.length > 100)
    return invalid('card.holderName', 'INVALID_HOLDER_NAME', 'Holder name must be 1 to 100 characters');
  if (LONE_SURROGATE.test(holderName))
    return invalid('card.holderName', 'INVALID_HOLDER_NAME', 'Holder name must be well-formed Unicode text');
  return {
    ok: true,
    card: {
      number,
      cvc,
      holderName,
      summary: { brand, last4: number.slice(-4), expMonth, expYear },
    },
  };
}
