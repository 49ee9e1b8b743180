import { checkPassword, normalizeEmail, normalizeName, normalizePhone } from '../src/validation';

describe('account input rules', () => {
  it('normalises emails and rejects malformed ones', () => {
    expect(normalizeEmail('  Ada@Example.COM ')).toBe('ada@example.com');
    for (const bad of ['', 'ada', 'ada@', '@x.io', 'a@b', 'a b@x.io', 'a@@x.io', 'a@x..io', 'a\u0000@x.io']) {
      expect(normalizeEmail(bad)).toMatchObject({ __typename: 'InvalidInputError', field: 'email' });
    }
  });

  it.each<[string, string]>([
    // Lists, groups, display names, comments and quoted parts: another mailbox than it seems.
    ['a<b@x.com>', 'a display-name route'],
    ['Ada <ada@x.com>', 'a display name'],
    ['a,b@x.com', 'a list'],
    ['a@x.com,b@y.com', 'a list of two addresses'],
    ['g:b@x.com;', 'a group'],
    ['a(comment)@x.com', 'a comment'],
    ['ada@x.com (Ada)', 'a trailing comment'],
    ['"a b"@x.com', 'a quoted local part'],
    ['"a@b"@x.com', 'a quoted @'],
    ['a\\@x.com', 'a backslash'],
    ['a@b@x.com', 'two @'],
    ['a;b@x.com', 'a semicolon'],
    ['a%b@relay.com', 'percent-hack routing'],
    ['a!b@x.com', 'a bang path'],
    ['a@[127.0.0.1]', 'an address literal'],
    ['a@127.0.0.1', 'a numeric domain'],
    ['a@localhost', 'a domain without a dot'],
    ['a@x.com.', 'a trailing dot'],
    ['a@-x.com', 'a label starting with a hyphen'],
    ['a@ab--cd.com', 'reserved hyphens that are no IDN'],
    ['a@xn--zz.com', 'punycode that does not decode'],
    ['a@ex%61mple.com', 'a %-escape in the domain'],
    ['a@x_y.com', 'an underscore in the domain'],
    ['a@exa\u200bmple.com', 'a zero-width space in the domain'],
    ['a@exa\u00admple.com', 'a soft hyphen in the domain'],
    ['a\r\nBcc: b@x.com', 'a header injection'],
    ['.a@x.com', 'a leading dot'],
    ['a..b@x.com', 'two dots'],
    [`${'l'.repeat(65)}@x.com`, 'a local part over 64 characters'],
    // Look-alikes.
    ['\u0430dmin@shop.local', 'a Cyrillic а in the local part'],
    ['\uff41dmin@shop.local', 'a full-width a in the local part'],
    ['admi\u0301n@shop.local', 'a combining mark in the local part'],
    ['😀-mail@example.com', 'an emoji in the local part'],
    ['a@p\u0430yp\u0430l.com', 'a domain label mixing Latin and Cyrillic'],
    ['a@xn--pypl-53dc.com', 'the same label in punycode'],
    ['a@\u0430\u0440\u0440\u04cf\u0435.com', 'a Cyrillic label imitating Latin letters'],
    ['a@xn--80ak6aa92e.com', 'the same label in punycode'],
    ['a@\u03bf\u03c1\u03b5\u03bd.com', 'a Greek label imitating Latin letters'],
  ])('refuses %j (%s) as an invalid email', (input) => {
    expect(normalizeEmail(input)).toMatchObject({ __typename: 'InvalidInputError', field: 'email' });
  });

  it.each<[string, string]>([
    ['  Ada.Lovelace+Shop@Example.COM ', 'ada.lovelace+shop@example.com'],
    ["o'brien_&=co@x.com", "o'brien_&=co@x.com"],
    ['a@B\u00dcCHER.de', 'a@xn--bcher-kva.de'],
    ['a@xn--bcher-kva.de', 'a@xn--bcher-kva.de'],
    ['a@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com', 'a@example.com'],
    ['a@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444', 'a@xn--e1afmkfd.xn--p1ai'],
    // A Cyrillic label that looks Latin is fine under a Cyrillic top-level domain.
    ['a@\u0430\u0440\u0440\u04cf\u0435.\u0440\u0444', 'a@xn--80ak6aa92e.xn--p1ai'],
    ['a@\u4f8b\u3048.\u30c6\u30b9\u30c8', 'a@xn--r8jz45g.xn--zckzah'],
    ['a@sub.shop-1.example', 'a@sub.shop-1.example'],
  ])('normalises %j to %j', (input, stored) => {
    expect(normalizeEmail(input)).toBe(stored);
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
  });

  it('normalises phone numbers to E.164', () => {
    expect(normalizePhone('+49 (151) 123-456.78')).toBe('+4915112345678');
    for (const bad of ['015112345678', '+0123456789', '+12', '+1234567890123456', 'call me']) {
      expect(normalizePhone(bad)).toMatchObject({ field: 'phone' });
    }
  });
});
