import { ADDRESS_FIELD_MAX, COUNTRIES, validateAddress, type AddressInput } from '../src/index';

/** validateAddress: the one address rule set of users (address book) and orders (inline checkout). */

const base: AddressInput = {
  name: 'Ada Lovelace',
  line1: 'Unter den Linden 1',
  postalCode: '10117',
  city: 'Berlin',
  country: 'DE',
};
const refused = (input: Partial<AddressInput>) => {
  const check = validateAddress({ ...base, ...input });
  return check.ok ? null : check.field;
};

describe('validateAddress', () => {
  it('normalises a valid address: trimmed, NFC, empty optional fields null, E.164 phone', () => {
    expect(
      validateAddress({
        ...base,
        name: '  Ade\u0301le  ',
        company: '',
        line2: '   ',
        region: null,
        phone: '+49 (30) 123-4567',
      }),
    ).toEqual({
      ok: true,
      address: {
        name: 'Ad\u00e9le',
        company: null,
        line1: 'Unter den Linden 1',
        line2: null,
        postalCode: '10117',
        city: 'Berlin',
        region: null,
        country: 'DE',
        phone: '+49301234567',
      },
    });
  });

  it('accepts every country example and normalises NL and GB codes', () => {
    for (const c of COUNTRIES) {
      const check = validateAddress({
        ...base,
        country: c.code,
        postalCode: c.postalCodeExample,
        region: 'NY',
      });
      expect(check).toMatchObject({ ok: true, address: { postalCode: c.postalCodeExample } });
    }
    expect(validateAddress({ ...base, country: 'NL', postalCode: '1012ab' })).toMatchObject({
      address: { postalCode: '1012 AB' },
    });
    expect(validateAddress({ ...base, country: 'GB', postalCode: 'sw1a1aa' })).toMatchObject({
      address: { postalCode: 'SW1A 1AA' },
    });
  });

  it('names the offending field', () => {
    expect(refused({ country: 'de' })).toBe('country');
    expect(refused({ country: 'XX' })).toBe('country');
    expect(refused({ postalCode: '1011' })).toBe('postalCode');
    expect(refused({ country: 'US', postalCode: '10001' })).toBe('region');
    expect(refused({ country: 'US', postalCode: '10001', region: 'ZZ' })).toBe('region');
    expect(refused({ name: '   ' })).toBe('name');
    expect(refused({ line1: 'a\u0000b' })).toBe('line1');
    expect(refused({ city: 'a\u202eb' })).toBe('city');
    expect(refused({ company: 'x\ud800' })).toBe('company');
    expect(refused({ line2: 'x'.repeat(ADDRESS_FIELD_MAX + 1) })).toBe('line2');
    expect(refused({ line2: 'x'.repeat(ADDRESS_FIELD_MAX) })).toBeNull();
    expect(refused({ phone: '0301234567' })).toBe('phone');
  });
});
