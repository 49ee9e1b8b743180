import { COUNTRIES } from '@shop/config';
import { berlin, CREATE_ADDRESS, customer, startUsers, type AddressResult, type TestEnv } from './helpers';

/**
 * Addresses are validated per country at the boundary (validateAddress of @shop/config): a refusal
 * is InvalidInputError naming the input field and writes nothing.
 */

let env: TestEnv;
let user: { id: string; token: string };

beforeAll(async () => {
  env = await startUsers('addrvalid');
  user = await customer(env, 'validator');
});
afterAll(async () => {
  await env?.close();
});

const create = async (input: Record<string, unknown>) => {
  const res = await env.call<{ createAddress: AddressResult }>(CREATE_ADDRESS, { input }, user.token);
  expect(res.errors).toBeUndefined();
  return res.data!.createAddress;
};
const total = async () => (await env.app.addresses.countForUser(user.id)).total;
/** Deletes the user's addresses so that the limit never gets in the way of this file. */
const clear = () => env.app.pool.query('DELETE FROM addresses WHERE user_id = $1', [user.id]);

const base = (country: string, postalCode: string, extra: Record<string, unknown> = {}) =>
  berlin({ country, postalCode, ...(country === 'US' ? { region: 'NY' } : {}), ...extra });

/** Per seeded country: postal codes accepted (→ stored form) and refused. */
const POSTAL: Record<string, { good: [string, string][]; bad: string[] }> = {
  AT: {
    good: [
      ['1010', '1010'],
      [' 8010 ', '8010'],
    ],
    bad: ['101', '10100', 'A010', '10 10'],
  },
  DE: {
    good: [
      ['10115', '10115'],
      ['01067', '01067'],
    ],
    bad: ['1011', '101155', '1O115', '10-115'],
  },
  // Corsica's 2A004 is not a code of FR's shape (five digits, 20000 for Ajaccio).
  FR: {
    good: [
      ['75001', '75001'],
      ['20000', '20000'],
    ],
    bad: ['7500', '750011', 'F75001', '2A004'],
  },
  GB: {
    good: [
      ['SW1A 1AA', 'SW1A 1AA'],
      ['sw1a1aa', 'SW1A 1AA'],
      ['m1 1ae', 'M1 1AE'],
      ['EC1A  1BB', 'EC1A 1BB'],
      ['GIR 0AA', 'GIR 0AA'],
    ],
    bad: ['SW1A', '1AA SW1', 'SW1A 1A', 'SW1A-1AA', 'QQ'],
  },
  NL: {
    good: [
      ['1012 AB', '1012 AB'],
      ['1012ab', '1012 AB'],
      ['9999  zz', '9999 ZZ'],
    ],
    bad: ['0123 AB', '1012', '1012 A', '1012 ABC', 'AB 1012'],
  },
  US: {
    good: [
      ['10001', '10001'],
      ['10001-1234', '10001-1234'],
    ],
    bad: ['1000', '10001-12', '100011234', 'NY 10001'],
  },
};

describe('postal codes of every seeded country', () => {
  it('covers every country of COUNTRIES', () => {
    expect(Object.keys(POSTAL).sort()).toEqual(COUNTRIES.map((c) => c.code).sort());
  });

  for (const [country, { good, bad }] of Object.entries(POSTAL)) {
    it(`${country}: accepts and normalises good codes, refuses bad ones with field postalCode`, async () => {
      for (const [given, storedAs] of good) {
        const result = await create(base(country, given));
        expect(result).toMatchObject({ __typename: 'Address', country, postalCode: storedAs });
      }
      await clear();
      for (const given of bad) {
        const result = await create(base(country, given));
        expect(result).toMatchObject({ __typename: 'InvalidInputError', field: 'postalCode' });
        expect(result.message).toContain(COUNTRIES.find((c) => c.code === country)!.postalCodeExample);
      }
      expect(await total()).toBe(0);
    });
  }
});

describe('regions, countries and phones', () => {
  beforeEach(clear);

  it('needs a valid state for a US address, upper-cases it, and ignores no other country', async () => {
    expect(await create(base('US', '10001', { region: null }))).toMatchObject({ field: 'region' });
    expect(await create(base('US', '10001', { region: '  ' }))).toMatchObject({ field: 'region' });
    expect(await create(base('US', '10001', { region: 'XX' }))).toMatchObject({ field: 'region' });
    expect(await create(base('US', '10001', { region: 'New York' }))).toMatchObject({ field: 'region' });
    expect(await create(base('US', '10001', { region: 'ny' }))).toMatchObject({
      __typename: 'Address',
      region: 'NY',
    });
    expect(await create(base('DE', '10115', { region: 'Berlin' }))).toMatchObject({ region: 'Berlin' });
    expect(await create(base('DE', '10115', { region: '' }))).toMatchObject({ region: null });
  });

  it('refuses countries that are not seeded or not in the issued form', async () => {
    for (const country of ['de', 'De', 'DEU', 'XX', 'CH', '', ' ', 'D E']) {
      expect(await create(base(country, '10115'))).toMatchObject({
        __typename: 'InvalidInputError',
        field: 'country',
      });
    }
    // Surrounding spaces are trimmed like every field.
    expect(await create(base(' DE ', '10115'))).toMatchObject({ __typename: 'Address', country: 'DE' });
  });

  it('stores phones in E.164 and refuses other forms', async () => {
    expect(await create(berlin({ phone: '+49 (30) 123-4567' }))).toMatchObject({ phone: '+49301234567' });
    for (const phone of [
      '030 1234567',
      '+0 301234567',
      '+49 30 12',
      'tel:+49301234567',
      `+49${'1'.repeat(20)}`,
    ]) {
      expect(await create(berlin({ phone }))).toMatchObject({
        __typename: 'InvalidInputError',
        field: 'phone',
      });
    }
  });
});

describe('hostile text', () => {
  beforeEach(clear);

  const TEXT_FIELDS = ['name', 'company', 'line1', 'line2', 'city'] as const;

  it('refuses control and bidi characters in every text field, naming the field', async () => {
    for (const field of TEXT_FIELDS) {
      for (const bad of ['a\u0000b', 'a\nb', 'a\u001bb', 'a\u007fb', 'a\u202eb', 'a\u2028b', 'a\u2066b']) {
        const result = await create(berlin({ [field]: bad }));
        expect(result).toMatchObject({ __typename: 'InvalidInputError', field });
      }
    }
    expect(await total()).toBe(0);
  });

  it('refuses lone surrogates, naming the field', async () => {
    for (const field of [...TEXT_FIELDS, 'postalCode', 'region', 'phone', 'country']) {
      for (const bad of ['a\ud800', '\udc00b']) {
        const result = await create(base('US', '10001', { [field]: bad }));
        expect(result).toMatchObject({ __typename: 'InvalidInputError', field });
        expect(result.message).toContain('well-formed');
      }
    }
    // A real pair (an emoji) is fine.
    expect(await create(berlin({ company: 'Café 🚀' }))).toMatchObject({ company: 'Café 🚀' });
  });

  it('takes 100 characters and refuses 101, counting characters, not UTF-16 units', async () => {
    expect(await create(berlin({ name: 'a'.repeat(100) }))).toMatchObject({ __typename: 'Address' });
    expect(await create(berlin({ name: '🚀'.repeat(100) }))).toMatchObject({ __typename: 'Address' });
    expect(await create(berlin({ line1: ` ${'b'.repeat(100)} ` }))).toMatchObject({ __typename: 'Address' });
    for (const field of TEXT_FIELDS) {
      expect(await create(berlin({ [field]: 'a'.repeat(101) }))).toMatchObject({ field });
      expect(await create(berlin({ [field]: 'x'.repeat(100_000) }))).toMatchObject({ field });
    }
    await clear();
    expect(await create(berlin({ name: '🚀'.repeat(101) }))).toMatchObject({ field: 'name' });
    expect(await total()).toBe(0);
  });

  it('requires name, line1, postalCode and city to be more than spaces', async () => {
    for (const field of ['name', 'line1', 'postalCode', 'city']) {
      expect(await create(berlin({ [field]: '   ' }))).toMatchObject({
        __typename: 'InvalidInputError',
        field,
      });
    }
    expect(await total()).toBe(0);
  });

  it('stores SQL-looking and unusual text verbatim', async () => {
    const odd = 'O\'Brien"; DROP TABLE addresses; -- %_\\';
    expect(await create(berlin({ name: odd, line2: 'e\u0301' }))).toMatchObject({
      name: odd,
      line2: '\u00e9',
    });
  });
});

describe('Query.countries', () => {
  it('lists every country with its rules, for anyone', async () => {
    const res = await env.call<{
      countries: {
        code: string;
        name: string;
        postalCodeExample: string;
        requiresRegion: boolean;
        regions: string[];
      }[];
    }>('{ countries { code name postalCodeExample requiresRegion regions } }');
    expect(res.errors).toBeUndefined();
    expect(res.data!.countries).toEqual(
      COUNTRIES.map((c) => ({
        code: c.code,
        name: c.name,
        postalCodeExample: c.postalCodeExample,
        requiresRegion: c.requiresRegion,
        regions: [...(c.regions ?? [])],
      })),
    );
    const us = res.data!.countries.find((c) => c.code === 'US')!;
    expect(us.requiresRegion).toBe(true);
    expect(us.regions).toContain('NY');
    // Every example is itself accepted.
    for (const c of COUNTRIES) {
      const result = await create(base(c.code, c.postalCodeExample));
      expect(result).toMatchObject({ __typename: 'Address', postalCode: c.postalCodeExample });
    }
  });
});
