/**
 * The countries the shop ships to: one table for users (address validation, the address form) and
 * orders (VAT, shipping destinations). Adding a country is one entry here (and shipping methods that
 * reach it in orders' SHIPPING_METHODS).
 */
export interface Country {
  /** ISO 3166-1 alpha-2, upper case. */
  code: string;
  name: string;
  /** The whole postal code, after normalisation (upper case, single spaces, trimmed). */
  postalCode: RegExp;
  /** A valid postal code, shown in errors and as a form's placeholder. */
  postalCodeExample: string;
  /** True when an address needs a region (a US state); it is then one of regions. */
  requiresRegion: boolean;
  /** The allowed regions (upper-case codes) where requiresRegion. */
  regions?: readonly string[];
  /** Standard VAT rate in basis points (1900 = 19 %); prices in the shop include it. */
  vatRateBasisPoints: number;
}

const US_STATES = [
  'AL',
  'AK',
  'AZ',
  'AR',
  'CA',
  'CO',
  'CT',
  'DE',
  'DC',
  'FL',
  'GA',
  'HI',
  'ID',
  'IL',
  'IN',
  'IA',
  'KS',
  'KY',
  'LA',
  'ME',
  'MD',
  'MA',
  'MI',
  'MN',
  'MS',
  'MO',
  'MT',
  'NE',
  'NV',
  'NH',
  'NJ',
  'NM',
  'NY',
  'NC',
  'ND',
  'OH',
  'OK',
  'OR',
  'PA',
  'RI',
  'SC',
  'SD',
  'TN',
  'TX',
  'UT',
  'VT',
  'VA',
  'WA',
  'WV',
  'WI',
  'WY',
] as const;

export const COUNTRIES: readonly Country[] = [
  {
    code: 'AT',
    name: 'Austria',
    postalCode: /^\d{4}$/,
    postalCodeExample: '1010',
    requiresRegion: false,
    vatRateBasisPoints: 2000,
  },
  {
    code: 'DE',
    name: 'Germany',
    postalCode: /^\d{5}$/,
    postalCodeExample: '10115',
    requiresRegion: false,
    vatRateBasisPoints: 1900,
  },
  {
    code: 'FR',
    name: 'France',
    postalCode: /^\d{5}$/,
    postalCodeExample: '75001',
    requiresRegion: false,
    vatRateBasisPoints: 2000,
  },
  {
    code: 'GB',
    name: 'United Kingdom',
    postalCode: /^(GIR 0AA|[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2})$/,
    postalCodeExample: 'SW1A 1AA',
    requiresRegion: false,
    vatRateBasisPoints: 2000,
  },
  {
    code: 'NL',
    name: 'Netherlands',
    postalCode: /^[1-9]\d{3} [A-Z]{2}$/,
    postalCodeExample: '1012 AB',
    requiresRegion: false,
    vatRateBasisPoints: 2100,
  },
  {
    code: 'US',
    name: 'United States',
    postalCode: /^\d{5}(-\d{4})?$/,
    postalCodeExample: '10001',
    requiresRegion: true,
    regions: US_STATES,
    // Sales tax is not VAT and varies by state; the shop charges none.
    vatRateBasisPoints: 0,
  },
];

/** The country with this code (exactly as issued: upper case), or undefined. */
export function countryByCode(code: string): Country | undefined {
  return COUNTRIES.find((c) => c.code === code);
}

/**
 * The VAT contained in a gross amount at a rate in basis points, rounded half up to a minor unit:
 * gross × rate / (10000 + rate). vatIncluded(11900, 1900) = 1900.
 */
export function vatIncluded(gross: number, rateBasisPoints: number): number {
  if (!Number.isSafeInteger(gross) || gross < 0) throw new RangeError(`gross must be a non-negative integer`);
  return Math.floor(
    (gross * rateBasisPoints * 2 + (10000 + rateBasisPoints)) / (2 * (10000 + rateBasisPoints)),
  );
}
