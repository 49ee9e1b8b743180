import { countryByCode, COUNTRIES } from './countries';

/**
 * Address validation, one rule set for users' address book and orders' checkout with an address
 * given inline. Every field is trimmed and NFC-normalised; text is 1 to 100 characters (line2,
 * company and region may be empty), well-formed and free of control characters; the country is an
 * upper-case code of COUNTRIES; the postal code has the country's shape (upper-cased, spaces folded,
 * the space of NL and GB codes put in); a US address needs its state; a phone is E.164.
 */

export interface AddressInput {
  name: string;
  company?: string | null;
  line1: string;
  line2?: string | null;
  postalCode: string;
  city: string;
  region?: string | null;
  country: string;
  phone?: string | null;
}

export interface ValidAddress {
  name: string;
  company: string | null;
  line1: string;
  line2: string | null;
  postalCode: string;
  city: string;
  region: string | null;
  country: string;
  phone: string | null;
}

export type AddressCheck =
  { ok: true; address: ValidAddress } | { ok: false; field: keyof AddressInput; message: string };

export const ADDRESS_FIELD_MAX = 100;

// An unpaired surrogate has no UTF-8 form: a store would keep it altered, so it is refused.
const LONE_SURROGATE = /\p{Cs}/u;
const CONTROL = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;
const E164 = /^\+[1-9]\d{6,14}$/;

type Field = keyof AddressInput;
class Refusal {
  constructor(
    readonly field: Field,
    readonly message: string,
  ) {}
}

function text(field: Field, raw: string | null | undefined, required: boolean): string | null {
  if (raw === null || raw === undefined) {
    if (required) throw new Refusal(field, `${field} is required`);
    return null;
  }
  if (typeof raw !== 'string' || raw.length > ADDRESS_FIELD_MAX * 4)
    throw new Refusal(field, `${field} must be at most ${ADDRESS_FIELD_MAX} characters`);
  if (LONE_SURROGATE.test(raw)) throw new Refusal(field, `${field} must be well-formed Unicode text`);
  const value = raw.normalize('NFC').trim();
  if (CONTROL.test(value)) throw new Refusal(field, `${field} must not contain control characters`);
  if ([...value].length > ADDRESS_FIELD_MAX)
    throw new Refusal(field, `${field} must be at most ${ADDRESS_FIELD_MAX} characters`);
  if (value === '') {
    if (required) throw new Refusal(field, `${field} is required`);
    return null;
  }
  return value;
}

function postalCode(countryCode: string, raw: string | null): string {
  const country = countryByCode(countryCode)!;
  let code = (raw ?? '').toUpperCase().replace(/\s+/g, ' ');
  if (countryCode === 'NL' && /^\d{4}[A-Z]{2}$/.test(code)) code = `${code.slice(0, 4)} ${code.slice(4)}`;
  if (countryCode === 'GB' && /^[A-Z0-9]{5,7}$/.test(code)) code = `${code.slice(0, -3)} ${code.slice(-3)}`;
  if (!country.postalCode.test(code))
    throw new Refusal(
      'postalCode',
      `postalCode is not a postal code of ${country.name} (like ${country.postalCodeExample})`,
    );
  return code;
}

export function validateAddress(input: AddressInput): AddressCheck {
  try {
    const countryCode = text('country', input.country, true)!;
    if (!countryByCode(countryCode))
      throw new Refusal(
        'country',
        `country must be one of ${COUNTRIES.map((c) => c.code).join(', ')} (ISO 3166-1 alpha-2, upper case)`,
      );
    const country = countryByCode(countryCode)!;
    const name = text('name', input.name, true)!;
    const company = text('company', input.company, false);
    const line1 = text('line1', input.line1, true)!;
    const line2 = text('line2', input.line2, false);
    const city = text('city', input.city, true)!;
    const code = postalCode(countryCode, text('postalCode', input.postalCode, true));
    let region = text('region', input.region, country.requiresRegion);
    if (region !== null && country.regions) {
      region = region.toUpperCase();
      if (!country.regions.includes(region))
        throw new Refusal(
          'region',
          `region must be a region code of ${country.name}, like ${country.regions[0]}`,
        );
    }
    const rawPhone = text('phone', input.phone, false);
    let phone: string | null = null;
    if (rawPhone !== null) {
      phone = rawPhone.length > 40 ? rawPhone : rawPhone.replace(/[\s().-]/g, '');
      if (!E164.test(phone))
        throw new Refusal('phone', 'phone must be an international number like +49 151 12345678');
    }
    return {
      ok: true,
      address: { name, company, line1, line2, postalCode: code, city, region, country: countryCode, phone },
    };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, field: error.field, message: error.message };
    throw error;
  }
}
