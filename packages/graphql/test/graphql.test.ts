import { decodeCursor, encodeCursor, pageSize, toConnection, DateTimeScalar } from '../src';

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
