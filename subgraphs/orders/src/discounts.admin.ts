import type { NewDiscountCode } from './discounts.repository';
import { DISCOUNT_KINDS, type DiscountCodeModel, type DiscountKind } from './models';

/**
 * The shape of a code, and createDiscountCode's input with its bounds (DiscountsService.create
 * stores what passes).
 */

const CODE = /^[A-Za-z0-9_-]{3,32}$/;

/**
 * A code as entered: trimmed, 3-32 letters, digits, - and _, any letter case; stored and compared
 * upper case. Null for anything else (such a code names nothing and never reaches a query).
 */
export function normalizeCode(raw: string): string | null {
  if (typeof raw !== 'string' || raw.length > 200) return null;
  const trimmed = raw.trim();
  return CODE.test(trimmed) ? trimmed.toUpperCase() : null;
}

export interface CreateDiscountCodeInput {
  code: string;
  kind: DiscountKind;
  value: number;
  minimumSubtotal?: number | null;
  startsAt?: Date | string | null;
  endsAt?: Date | string | null;
  usageLimit?: number | null;
  usageLimitPerCustomer?: number | null;
}

export type CreateDiscountCodeResult =
  | (DiscountCodeModel & { __typename: 'DiscountCode' })
  | { __typename: 'InvalidInputError'; message: string; field: string }
  | { __typename: 'DiscountCodeTakenError'; message: string; code: string };

/** Most uses of a code in all, and by one customer. */
export const MAX_USAGE_LIMIT = 1_000_000;
export const MAX_USAGE_LIMIT_PER_CUSTOMER = 1000;
// DATETIME(3) holds years 1000-9999; validity windows are kept to sensible instants.
const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(9999, 11, 31);

/** The code to store for a createDiscountCode input, or the first bound it breaks. */
export function newDiscountCode(
  input: CreateDiscountCodeInput,
  createdAt: Date,
  maxOrderTotal: number,
): NewDiscountCode | Extract<CreateDiscountCodeResult, { __typename: 'InvalidInputError' }> {
  const code = normalizeCode(input.code);
  if (!code) return invalid('code must be 3 to 32 letters, digits, - or _', 'code');
  if (!(DISCOUNT_KINDS as readonly string[]).includes(input.kind)) return invalid('unknown kind', 'kind');
  const maxValue = input.kind === 'PERCENTAGE' ? 100 : maxOrderTotal;
  if (!inRange(input.value, 1, maxValue))
    return invalid(
      input.kind === 'PERCENTAGE'
        ? 'value must be a percentage from 1 to 100'
        : `value must be an amount from 1 to ${maxValue} (minor units)`,
      'value',
    );
  const minimumSubtotal = input.minimumSubtotal ?? null;
  if (minimumSubtotal !== null && !inRange(minimumSubtotal, 0, maxOrderTotal))
    return invalid(`minimumSubtotal must be from 0 to ${maxOrderTotal} (minor units)`, 'minimumSubtotal');
  const startsAt = instant(input.startsAt);
  if (startsAt === 'INVALID') return invalid('startsAt must be an instant from 2000 to 9999', 'startsAt');
  const endsAt = instant(input.endsAt);
  if (endsAt === 'INVALID') return invalid('endsAt must be an instant from 2000 to 9999', 'endsAt');
  if (endsAt && endsAt.getTime() <= (startsAt ?? createdAt).getTime())
    return invalid('endsAt must be after startsAt (or after now, without startsAt)', 'endsAt');
  const usageLimit = input.usageLimit ?? null;
  if (usageLimit !== null && !inRange(usageLimit, 1, MAX_USAGE_LIMIT))
    return invalid(`usageLimit must be from 1 to ${MAX_USAGE_LIMIT}`, 'usageLimit');
  const perCustomer = input.usageLimitPerCustomer ?? null;
  if (perCustomer !== null && !inRange(perCustomer, 1, MAX_USAGE_LIMIT_PER_CUSTOMER))
    return invalid(
      `usageLimitPerCustomer must be from 1 to ${MAX_USAGE_LIMIT_PER_CUSTOMER}`,
      'usageLimitPerCustomer',
    );
  return {
    code,
    kind: input.kind,
    value: input.value,
    minimumSubtotal,
    startsAt,
    endsAt,
    usageLimit,
    usageLimitPerCustomer: perCustomer,
    createdAt,
  };
}

const invalid = (message: string, field: string) => ({
  __typename: 'InvalidInputError' as const,
  message,
  field,
});

const inRange = (value: unknown, min: number, max: number): value is number =>
  Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max;

/** An optional instant: null when absent, 'INVALID' when unreadable or outside 2000-9999. */
function instant(value: Date | string | null | undefined): Date | null | 'INVALID' {
  if (value === null || value === undefined) return null;
  const date = value instanceof Date ? value : new Date(value);
  const ms = date.getTime();
  return Number.isNaN(ms) || ms < EARLIEST || ms > LATEST ? 'INVALID' : date;
}
