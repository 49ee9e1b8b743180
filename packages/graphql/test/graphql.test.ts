import {
  decodeCursor,
  encodeCursor,
  isWellFormed,
  pageSize,
  referenceId,
  toConnection,
  DateTimeScalar,
} from '../src';

const isPair = (v: unknown): v is [number, string] =>
  Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'string';

describe('connections', () => {
  it('round-trips cursors and rejects forged ones', () => {
    expect(decodeCursor(encodeCursor([3, 'a']), isPair)).toEqual([3, 'a']);
    expect(() => decodeCursor('not-a-cursor', isPair)).toThrow('after is not a valid cursor');
    expect(() => decodeCursor(encodeCursor({ $gt: '' }), isPair)).toThrow('after is not a valid cursor');
  });

  it('bounds page sizes', () => {
    expect(pageSize(undefined)).toBe(20);
    expect(pageSize(100)).toBe(100);
    expect(() => pageSize(101)).toThrow('first must be between 0 and 100');
    expect(() => pageSize(-1)).toThrow();
  });

  it('uses the extra row only to say there is a next page', () => {
    const c = toConnection([1, 2, 3], 2, String);
    expect(c.edges.map((e) => e.node)).toEqual([1, 2]);
    expect(c.pageInfo).toEqual({
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: '1',
      endCursor: '2',
    });
  });

  it('serializes DateTime as ISO-8601', () => {
    expect(DateTimeScalar.serialize(new Date(0))).toBe('1970-01-01T00:00:00.000Z');
    expect(() => DateTimeScalar.parseValue('yesterday')).toThrow();
  });
});

describe('untrusted input', () => {
  it('tells well-formed text from text with an unpaired surrogate', () => {
    for (const good of ['', 'plain', 'Zoë 😀 𝔘', '\u0000']) expect(isWellFormed(good)).toBe(true);
    for (const bad of ['x\uD800y', '\uDC00', 'a\uD83D', '\uDE00\uD83D'])
      expect(isWellFormed(bad)).toBe(false);
  });

  it('takes only a non-empty string as the id of an entity representation', () => {
    expect(referenceId({ id: 'u1' })).toBe('u1');
    for (const id of [null, undefined, '', 42, { $gt: '' }, ['u1']]) expect(referenceId({ id })).toBeNull();
    expect(referenceId({})).toBeNull();
  });
});
