import { isWellFormed } from '@shop/graphql';

/**
 * Input rules for accounts, checked on the server whatever the client did. Each check returns the
 * normalised value or an InvalidInputError naming the field.
 */

export interface InvalidInput {
  __typename: 'InvalidInputError';
  message: string;
  field: string;
}

export const invalidInput = (field: string, message: string): InvalidInput => ({
  __typename: 'InvalidInputError',
  message,
  field,
});

export const isInvalid = (value: unknown): value is InvalidInput =>
  typeof value === 'object' &&
  value !== null &&
  (value as { __typename?: string }).__typename === 'InvalidInputError';

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 128;
export const EMAIL_MAX = 254;
export const NAME_MAX = 100;

// C0/C1 controls, DEL, line/paragraph separators and bidi overrides: never part of a name or address.
const CONTROL = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/u;
const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * Text with an unpaired surrogate has no UTF-8 form: PostgreSQL (and argon2) would get U+FFFD in its
 * place, so it would be stored altered. Every text input is refused unless it is well-formed.
 */
const notWellFormed = (field: string): InvalidInput =>
  invalidInput(field, `${field} must be well-formed Unicode text`);

/** Trimmed and lower-cased; letter case never distinguishes two accounts. */
export function normalizeEmail(raw: string): string | InvalidInput {
  if (raw.length > EMAIL_MAX + 64)
    return invalidInput('email', `email must be at most ${EMAIL_MAX} characters`);
  if (!isWellFormed(raw)) return notWellFormed('email');
  const email = raw.trim().toLowerCase();
  if (email.length > EMAIL_MAX) return invalidInput('email', `email must be at most ${EMAIL_MAX} characters`);
  if (CONTROL.test(email) || !EMAIL.test(email))
    return invalidInput('email', 'email must be an address like name@example.com');
  return email;
}

/** Length in characters (code points), so an emoji counts once. */
export function checkPassword(password: string): string | InvalidInput {
  if (!isWellFormed(password)) return notWellFormed('password');
  const length = password.length > PASSWORD_MAX * 2 ? password.length : [...password].length;
  if (length < PASSWORD_MIN || length > PASSWORD_MAX) {
    return invalidInput('password', `password must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`);
  }
  return password;
}

export function normalizeName(raw: string): string | InvalidInput {
  if (raw.length > NAME_MAX * 4) return invalidInput('name', `name must be 1 to ${NAME_MAX} characters`);
  if (!isWellFormed(raw)) return notWellFormed('name');
  const name = raw.trim();
  const length = [...name].length;
  if (length < 1 || length > NAME_MAX)
    return invalidInput('name', `name must be 1 to ${NAME_MAX} characters`);
  if (CONTROL.test(name)) return invalidInput('name', 'name must not contain control characters');
  return name;
}

/** Spaces, dots, dashes and parentheses are dropped; the result must be E.164 (+ and 7-15 digits). */
export function normalizePhone(raw: string): string | InvalidInput {
  // An unpaired surrogate is not a digit, so E164 already refuses text that is not well-formed.
  const phone = raw.length > 40 ? raw : raw.replace(/[\s().-]/g, '');
  if (!E164.test(phone))
    return invalidInput('phone', 'phone must be an international number like +49 151 12345678');
  return phone;
}
