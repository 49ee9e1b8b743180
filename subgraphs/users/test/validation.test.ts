import { checkPassword, normalizeEmail, normalizeName, normalizePhone } from '../src/validation';

describe('account input rules', () => {
  it('normalises emails and rejects malformed ones', () => {
    expect(normalizeEmail('  Ada@Example.COM ')).toBe('ada@example.com');
    for (const bad of ['', 'ada', 'ada@', '@x.io', 'a@b', 'a b@x.io', 'a@@x.io', 'a@x..io', 'a\u0000@x.io']) {
      expect(normalizeEmail(bad)).toMatchObject({ __typename: 'InvalidInputError', field: 'email' });
    }
  });

  it('accepts passwords of 10 to 128 characters, counted as characters', () => {
    expect(checkPassword('a'.repeat(10))).toBe('a'.repeat(10));
    expect(checkPassword('😀'.repeat(128))).toBe('😀'.repeat(128));
    expect(checkPassword('a'.repeat(9))).toMatchObject({ field: 'password' });
    expect(checkPassword('a'.repeat(129))).toMatchObject({ field: 'password' });
  });

  it('trims names and rejects empty, long or control-character names', () => {
    expect(normalizeName("  Zoë O'Brien ")).toBe("Zoë O'Brien");
    for (const bad of ['', '  ', 'x'.repeat(101), 'a\tb', 'a\u0085b', 'a\u2028b', 'a\u202Eb']) {
      expect(normalizeName(bad)).toMatchObject({ field: 'name' });
    }
  });

  it('refuses text with a lone surrogate, which would be stored altered, naming the field', () => {
    expect(normalizeEmail('x\uD800y@example.com')).toMatchObject({ field: 'email' });
    expect(normalizeName('Lone \uDC00 Surrogate')).toMatchObject({ field: 'name' });
    expect(checkPassword('long-enough\uD83D-password')).toMatchObject({ field: 'password' });
    expect(normalizePhone('+4915112345678\uD800')).toMatchObject({ field: 'phone' });
    expect(normalizeName('Zoë 😀 𝔘')).toBe('Zoë 😀 𝔘');
    expect(normalizeEmail('😀-mail@example.com')).toBe('😀-mail@example.com');
  });

  it('normalises phone numbers to E.164', () => {
    expect(normalizePhone('+49 (151) 123-456.78')).toBe('+4915112345678');
    for (const bad of ['015112345678', '+0123456789', '+12', '+1234567890123456', 'call me']) {
      expect(normalizePhone(bad)).toMatchObject({ field: 'phone' });
    }
  });
});
