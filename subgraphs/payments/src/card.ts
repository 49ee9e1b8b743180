import { createHash, createHmac } from 'node:crypto';
import { isWellFormed } from '@shop/graphql';
import type { CardBrand, InvalidCardReason, StoredCard } from './models';

/** A card as the client sends it. Lives only for the duration of one payOrder call. */
export interface CardInput {
  number: string;
  expMonth: number;
  expYear: number;
  cvc: string;
  holderName: string;
}

/** A validated card: the normalised number plus the part that may be stored. */
export interface ValidCard {
  number: string;
  cvc: string;
  holderName: string;
  stored: StoredCard;
}

export type CardCheck =
  { ok: true; card: ValidCard } | { ok: false; field: string; reason: InvalidCardReason; message: string };

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

/**
 * Checks a card before anything else happens: number length and Luhn digit, expiry (valid through
 * the end of its month, UTC), CVC of 3-4 digits, a holder name. A card failing here never reaches
 * the provider. Messages never echo the number or the CVC.
 */
export function validateCard(input: CardInput, now = new Date()): CardCheck {
  const number = input.number.replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(number)) {
    return {
      ok: false,
      field: 'card.number',
      reason: 'INVALID_NUMBER_LENGTH',
      message: 'Card number must be 12 to 19 digits',
    };
  }
  if (!luhnValid(number)) {
    return {
      ok: false,
      field: 'card.number',
      reason: 'LUHN_CHECK_FAILED',
      message: 'Card number is not valid (check digit mismatch)',
    };
  }
  if (!Number.isInteger(input.expMonth) || input.expMonth < 1 || input.expMonth > 12) {
    return {
      ok: false,
      field: 'card.expMonth',
      reason: 'INVALID_EXPIRY',
      message: 'Expiry month must be between 1 and 12',
    };
  }
  if (!Number.isInteger(input.expYear) || input.expYear < 2000 || input.expYear > 2100) {
    return {
      ok: false,
      field: 'card.expYear',
      reason: 'INVALID_EXPIRY',
      message: 'Expiry year must be a four-digit year',
    };
  }
  const thisMonth = now.getUTCFullYear() * 12 + now.getUTCMonth();
  if (input.expYear * 12 + (input.expMonth - 1) < thisMonth) {
    return { ok: false, field: 'card.expYear', reason: 'EXPIRED', message: 'The card has expired' };
  }
  if (!/^\d{3,4}$/.test(input.cvc)) {
    return {
      ok: false,
      field: 'card.cvc',
      reason: 'INVALID_CVC',
      message: 'Security code must be 3 or 4 digits',
    };
  }
  const holderName = input.holderName.trim();
  if (holderName.length === 0 || holderName.length > 100) {
    return {
      ok: false,
      field: 'card.holderName',
      reason: 'INVALID_HOLDER_NAME',
      message: 'Holder name must be 1 to 100 characters',
    };
  }
  if (!isWellFormed(holderName)) {
    return {
      ok: false,
      field: 'card.holderName',
      reason: 'INVALID_HOLDER_NAME',
      message: 'Holder name must be well-formed Unicode text',
    };
  }
  return {
    ok: true,
    card: {
      number,
      cvc: input.cvc,
      holderName,
      stored: {
        brand: brandOf(number),
        last4: number.slice(-4),
        expMonth: input.expMonth,
        expYear: input.expYear,
      },
    },
  };
}

/**
 * The request fingerprint kept with an idempotency key: sha256 over the order id, the stored card
 * fields and an HMAC of the number (keyed with a secret that is not in Redis), so two requests can
 * be compared without the number ever being stored or recoverable.
 */
export function requestFingerprint(orderId: string, card: ValidCard, secret: string): string {
  const numberMac = createHmac('sha256', secret).update(card.number).digest('hex');
  const { brand, last4, expMonth, expYear } = card.stored;
  return createHash('sha256')
    .update(JSON.stringify([orderId, brand, last4, expMonth, expYear, numberMac]))
    .digest('hex');
}
