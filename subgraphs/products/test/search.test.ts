import {
  fieldScore,
  FIELD,
  fold,
  MAX_QUERY_TERMS,
  MAX_TERM_LENGTH,
  MAX_TERMS_PER_PRODUCT,
  parseQuery,
  productTerms,
  skuKey,
  stem,
  terms,
  words,
} from '../src/search';
import {
  decodePosting,
  decodePostings,
  encodeFacts,
  encodePosting,
  joinLines,
  splitLines,
} from '../src/search.postings';

describe('folding', () => {
  it.each([
    ['Crème', 'creme'],
    ['CAFÉ', 'cafe'],
    ['Ångström', 'angstrom'],
    ['naïve', 'naive'],
    ['Straße', 'strasse'],
    ['Smørrebrød', 'smorrebrod'],
    ['Œuvre', 'oeuvre'],
    ['Łódź', 'lodz'],
    ['ﬁne', 'fine'], // ligature (NFKD)
    ['Ｆｕｌｌｗｉｄｔｈ', 'fullwidth'],
    ['İstanbul', 'istanbul'],
  ])('%s → %s', (text, folded) => {
    expect(fold(text)).toBe(folded);
  });

  it('splits on anything that is not a letter or a digit, keeping letters of every script', () => {
    expect(words('Noise-Cancelling Headphones, 30-hour!')).toEqual([
      'noise',
      'cancelling',
      'headphones',
      '30',
      'hour',
    ]);
    expect(words('USB-C/4K (65 W)')).toEqual(['usb', 'c', '4k', '65', 'w']);
    expect(words('日本 茶碗')).toEqual(['日本', '茶碗']);
    expect(words('  ...  ')).toEqual([]);
  });
});

describe('stemming', () => {
  it.each([
    ['soaps', 'soap'],
    ['boxes', 'box'],
    ['berries', 'berry'],
    ['glasses', 'glass'],
    ['watches', 'watch'],
    ['brushes', 'brush'],
    ['candles', 'candle'],
    ['shoes', 'shoe'],
    ['toys', 'toy'],
    ['batteries', 'battery'],
    ['dresses', 'dress'],
  ])('the plural %s and the singular %s are one term', (plural, singular) => {
    expect(stem(plural)).toBe(singular);
    expect(stem(singular)).toBe(singular);
  });

  it.each(['glass', 'cactus', 'analysis', 'bus', 'gas', '4ks', 'usb3', 'box'])('leaves %s alone', (word) => {
    expect(stem(word)).toBe(word);
  });
});

describe('terms', () => {
  it('drops stop words, keeps order of first appearance, each once', () => {
    expect(terms('The Soap of the Soaps and a Box')).toEqual(['soap', 'box']);
  });

  it('cuts long words to MAX_TERM_LENGTH, the same on both sides', () => {
    const long = 'x'.repeat(100);
    expect(terms(long)).toEqual(['x'.repeat(MAX_TERM_LENGTH)]);
    expect(parseQuery(long.toUpperCase()).terms).toEqual(['x'.repeat(MAX_TERM_LENGTH)]);
  });

  it('regex metacharacters are separators, never patterns', () => {
    expect(terms('.*+?^${}()|[]\\')).toEqual([]);
    expect(terms('soap.*')).toEqual(['soap']);
  });
});

describe('parseQuery', () => {
  it('takes at most MAX_QUERY_TERMS distinct terms', () => {
    const text = Array.from({ length: 40 }, (_, i) => `word${String.fromCharCode(97 + (i % 26))}${i}`).join(
      ' ',
    );
    expect(parseQuery(text).terms).toHaveLength(MAX_QUERY_TERMS);
  });

  it('offers the last word as a prefix only while it is being typed', () => {
    expect(parseQuery('wooden bl').prefix).toBe('bl');
    expect(parseQuery('wooden bl ').prefix).toBeNull();
    expect(parseQuery('wooden b').prefix).toBeNull(); // too short
    expect(parseQuery('wooden 4k').prefix).toBeNull(); // numbers are not prefixes
    expect(parseQuery('Crè').prefix).toBe('cre');
  });

  it('recognises a SKU-shaped search (letter case ignored)', () => {
    expect(parseQuery(' ELEC-HEAD-001 ').sku).toBe(skuKey('elec-head-001'));
    expect(parseQuery('two words').sku).toBeNull();
    expect(parseQuery('ELEC-HEAD-001').terms).toEqual(['elec', 'head', '001']);
  });

  it('a text of stop words and separators asks for nothing', () => {
    expect(parseQuery('the of --- and').terms).toEqual([]);
  });
});

describe('product terms', () => {
  it('records the fields each term is in; the name scores above a SKU above the description', () => {
    const found = productTerms({
      name: 'Olive Oil Soap',
      description: 'Soap made with oils.',
      skus: ['BEAU-SOAP-006'],
    });
    expect(found.get('soap')).toBe(FIELD.NAME | FIELD.SKU | FIELD.DESCRIPTION);
    expect(found.get('made')).toBe(FIELD.DESCRIPTION);
    expect(found.get('beau')).toBe(FIELD.SKU);
    expect(found.get('oil')).toBe(FIELD.NAME | FIELD.DESCRIPTION);
    expect(fieldScore(FIELD.NAME)).toBeGreaterThan(fieldScore(FIELD.SKU));
    expect(fieldScore(FIELD.SKU)).toBeGreaterThan(fieldScore(FIELD.DESCRIPTION));
    expect(fieldScore(FIELD.NAME | FIELD.DESCRIPTION)).toBe(fieldScore(FIELD.NAME));
  });

  it('indexes at most MAX_TERMS_PER_PRODUCT terms, the name first', () => {
    const description = Array.from({ length: 1000 }, (_, i) => `w${i}x`).join(' ');
    const found = productTerms({ name: 'Zebra Lamp', description, skus: [] });
    expect(found.size).toBe(MAX_TERMS_PER_PRODUCT);
    expect(found.get('zebra')).toBe(FIELD.NAME);
  });
});

describe('postings', () => {
  const facts = {
    price: 1299,
    created: Date.parse('2026-01-02T03:04:05.678Z'),
    inStock: true,
    name: 'A | B name',
  };
  const id = 'a'.repeat(24);

  it('round-trips a posting, a name with the separator included', () => {
    const line = encodePosting(id, 5, encodeFacts(facts));
    expect(decodePosting(line)).toEqual({ id, bits: 5, ...facts });
  });

  it('stores names without control characters', () => {
    const line = encodePosting(id, 1, encodeFacts({ ...facts, name: 'a\nb\u0000c' }));
    expect(line).not.toMatch(/\p{Cc}/u);
    expect(decodePosting(line)?.name).toBe('a b c');
  });

  it('splits and joins lines by product id; ignores lines it did not write', () => {
    const other = 'b'.repeat(24);
    const p = [encodePosting(id, 4, encodeFacts(facts)), encodePosting(other, 1, encodeFacts(facts))].join(
      '\n',
    );
    const lines = splitLines(p);
    expect([...lines.keys()]).toEqual([id, other]);
    expect(joinLines(lines)).toBe(p);
    expect([...decodePostings(`${p}\ngarbage`).keys()]).toEqual([id, other]);
    expect(decodePostings('').size).toBe(0);
  });
});
