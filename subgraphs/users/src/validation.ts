import { domainToASCII, domainToUnicode } from 'node:url';
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
export const CONTROL = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;
const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * Text with an unpaired surrogate has no UTF-8 form: PostgreSQL (and argon2) would get U+FFFD in its
 * place, so it would be stored altered. Every text input is refused unless it is well-formed.
 */
const notWellFormed = (field: string): InvalidInput =>
  invalidInput(field, `${field} must be well-formed Unicode text`);

const badEmail = (why: string): InvalidInput =>
  invalidInput('email', `email must be a plain address like name@example.com (${why})`);

export const EMAIL_LOCAL_MAX = 64;
export const DOMAIN_MAX = 253;

/**
 * The local part: an RFC 5322 dot-atom of ASCII letters, digits and these symbols, without `%` and `!`
 * (percent-hack and bang-path routing). No quoted strings, comments, display names, groups or lists:
 * `"`, `(`, `)`, `<`, `>`, `,`, `:`, `;`, `@`, `[`, `]`, backslashes and spaces are all outside it.
 */
const LOCAL_ATOM = /^[a-z0-9#$&'*+/=?^_`{|}~-]+$/;
/** An ASCII (LDH) label as it is stored: letters, digits, inner hyphens, 1-63 characters. */
const ASCII_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** What a domain may be typed with before IDNA mapping: letters, marks, digits, dots and hyphens. */
const DOMAIN_INPUT = /^[\p{L}\p{M}\p{Nd}.-]+$/u;

/**
 * Scripts a label's letters are sorted into. A label may use one script, or one of Unicode TS #39's
 * "highly restrictive" combinations (Latin with Han and the Japanese kana, with Han and Bopomofo, or
 * with Han and Hangul). Letters of a script not listed here count as a script of their own.
 */
const SCRIPTS = [
  'Latin',
  'Greek',
  'Cyrillic',
  'Armenian',
  'Hebrew',
  'Arabic',
  'Syriac',
  'Thaana',
  'Devanagari',
  'Bengali',
  'Gurmukhi',
  'Gujarati',
  'Oriya',
  'Tamil',
  'Telugu',
  'Kannada',
  'Malayalam',
  'Sinhala',
  'Thai',
  'Lao',
  'Tibetan',
  'Myanmar',
  'Georgian',
  'Hangul',
  'Ethiopic',
  'Cherokee',
  'Khmer',
  'Mongolian',
  'Hiragana',
  'Katakana',
  'Bopomofo',
  'Han',
  'Canadian_Aboriginal',
  'Tifinagh',
  'Nko',
  'Coptic',
  'Runic',
  'Ogham',
  'Vai',
  'Yi',
  'Javanese',
  'Balinese',
  'Sundanese',
  'Tai_Le',
].map((name) => ({ name, test: new RegExp(`^\\p{Script=${name}}$`, 'u') }));
const NEUTRAL = /^[\p{Script=Common}\p{Script=Inherited}]$/u;
const ALLOWED_MIXES = [
  new Set(['Latin', 'Han', 'Hiragana', 'Katakana']),
  new Set(['Latin', 'Han', 'Bopomofo']),
  new Set(['Latin', 'Han', 'Hangul']),
];

/** The scripts of a label's letters (digits, hyphens and combining marks belong to none). */
function scriptsOf(label: string): Set<string> {
  const scripts = new Set<string>();
  for (const char of label) {
    if (NEUTRAL.test(char)) continue;
    scripts.add(SCRIPTS.find((s) => s.test.test(char))?.name ?? `U+${char.codePointAt(0)!.toString(16)}`);
  }
  return scripts;
}

/**
 * Letters of Cyrillic and Greek that render like Latin ones (the set browsers use to show such
 * domains as punycode): a label written only with them (`аррӏе` in Cyrillic) imitates a Latin label.
 */
const LATIN_LOOKALIKES: Record<string, RegExp> = {
  Cyrillic: /^[аысԁеԍһіюјӏорԗԛѕԝхуъьҽпгѵѡ\d-]+$/u,
  Greek: /^[αβεικνορτυχω\d-]+$/u,
};

/** Why a domain (in its Unicode form) would let one address pass for another, or null. */
function lookAlike(labels: string[]): string | null {
  const tldScripts = scriptsOf(labels.at(-1)!);
  for (const label of labels) {
    const scripts = scriptsOf(label);
    if (scripts.size > 1 && !ALLOWED_MIXES.some((mix) => [...scripts].every((s) => mix.has(s))))
      return `the domain label "${label}" mixes scripts`;
    const [script] = [...scripts];
    const imitation = script ? LATIN_LOOKALIKES[script] : undefined;
    if (imitation?.test(label) && !tldScripts.has(script!))
      return `the domain label "${label}" is written with letters that look like Latin ones`;
  }
  return null;
}

/** The domain in its stored form (lower-case ASCII, IDN labels in punycode), or why it is refused. */
function normalizeDomain(raw: string): string | InvalidInput {
  // Checked before IDNA mapping, which would decode %-escapes and drop invisible characters.
  if (!DOMAIN_INPUT.test(raw))
    return badEmail('the domain may contain only letters, digits, dots and hyphens');
  const ascii = domainToASCII(raw);
  if (ascii === '' || ascii.length > DOMAIN_MAX) return badEmail('the domain is not a valid domain name');
  const labels = ascii.split('.');
  if (labels.length < 2) return badEmail('the domain needs a dot, as in example.com');
  for (const label of labels) {
    if (!ASCII_LABEL.test(label)) return badEmail('the domain is not a valid domain name');
    // Hyphens in the third and fourth place are reserved for IDNA (xn--), which must decode.
    if (label.slice(2, 4) === '--' && !label.startsWith('xn--'))
      return badEmail('the domain is not a valid domain name');
  }
  if (/^\d+$/.test(labels.at(-1)!)) return badEmail('the domain must be a name, not an address');
  const unicode = domainToUnicode(ascii);
  if (unicode === '') return badEmail('the domain is not a valid domain name');
  const why = lookAlike(unicode.split('.'));
  return why ? badEmail(why) : ascii;
}

/**
 * One strict form, used for registration, sign-in and the configured administrator: `local@domain`
 * with an ASCII dot-atom local part, trimmed and lower-cased (letter case never distinguishes two
 * accounts), and the domain in lower-case ASCII with IDN labels as punycode. Display names,
 * comments, quoted strings, groups, lists, IP literals and non-ASCII local parts are refused, as is a
 * domain label mixing scripts or imitating Latin letters (see lookAlike).
 */
export function normalizeEmail(raw: string): string | InvalidInput {
  if (raw.length > EMAIL_MAX + 64)
    return invalidInput('email', `email must be at most ${EMAIL_MAX} characters`);
  if (!isWellFormed(raw)) return notWellFormed('email');
  const trimmed = raw.trim();
  if (CONTROL.test(trimmed)) return badEmail('no control characters');
  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || at === trimmed.length - 1) return badEmail('one @ between a name and a domain');
  const local = trimmed.slice(0, at).toLowerCase();
  if (local.length > EMAIL_LOCAL_MAX) return badEmail(`at most ${EMAIL_LOCAL_MAX} characters before the @`);
  // A non-ASCII local part could imitate another (Cyrillic а for Latin a): ASCII only.
  if (!/^[\x21-\x7e]+$/.test(local)) return badEmail('only ASCII letters, digits and symbols before the @');
  const atoms = local.split('.');
  if (atoms.some((atom) => !LOCAL_ATOM.test(atom)))
    return badEmail('no quotes, comments, display names, lists, %, ! or empty dot parts before the @');
  const domain = normalizeDomain(trimmed.slice(at + 1));
  if (isInvalid(domain)) return domain;
  const email = `${local}@${domain}`;
  if (email.length > EMAIL_MAX) return invalidInput('email', `email must be at most ${EMAIL_MAX} characters`);
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
