import { GraphQLScalarType, Kind } from 'graphql';
import { badUserInput } from '@shop/errors';

/**
 * GraphQL building blocks every subgraph shares: the DateTime scalar, Relay cursors and page
 * sizes. The SDL of the shared value types (Money, PageInfo, InvalidInputError, Error) lives in
 * docs/conventions.md and must be copied byte for byte, since composition merges them.
 */

export const DateTimeScalar = new GraphQLScalarType<Date | string, string>({
  name: 'DateTime',
  description: 'An instant in time, ISO-8601 in UTC, e.g. 2026-11-24T10:15:00.000Z.',
  serialize(value) {
    const date = value instanceof Date ? value : new Date(String(value));
    if (Number.isNaN(date.getTime())) throw new TypeError('DateTime cannot represent an invalid date');
    return date.toISOString();
  },
  parseValue(value) {
    const date = new Date(String(value));
    if (typeof value !== 'string' || Number.isNaN(date.getTime()))
      throw badUserInput('DateTime must be an ISO-8601 string');
    return date;
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING || Number.isNaN(new Date(ast.value).getTime())) {
      throw badUserInput('DateTime must be an ISO-8601 string');
    }
    return new Date(ast.value);
  },
});

/** The shared GraphQL `Money` value: minor units of an ISO-4217 currency (see docs/conventions.md). */
export interface Money {
  amount: number;
  currency: string;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** Validates `first`: absent means the default; negative or above the maximum is BAD_USER_INPUT. */
export function pageSize(first: number | null | undefined, max = MAX_PAGE_SIZE): number {
  if (first === null || first === undefined) return Math.min(DEFAULT_PAGE_SIZE, max);
  if (!Number.isInteger(first) || first < 0 || first > max) {
    throw badUserInput(`first must be between 0 and ${max}`, 'first');
  }
  return first;
}

/** An opaque cursor: base64url of a JSON value (e.g. [sortKey, id]). */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** Decodes a cursor made by encodeCursor; anything else is BAD_USER_INPUT. */
export function decodeCursor<T = unknown>(cursor: string, isValid: (value: unknown) => value is T): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badUserInput('after is not a valid cursor', 'after');
  }
  if (!isValid(value)) throw badUserInput('after is not a valid cursor', 'after');
  return value;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
  totalCount?: number;
}

/**
 * Builds a connection from `limit + 1` fetched rows (the extra row only says there is a next page).
 */
export function toConnection<T>(
  rows: T[],
  limit: number,
  cursorOf: (row: T) => string,
  hasPrevious = false,
): Connection<T> {
  const page = rows.slice(0, limit);
  const edges = page.map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > limit,
      hasPreviousPage: hasPrevious,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

// In `u` mode a surrogate pair is one code point, so \p{Cs} matches only an unpaired surrogate.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * True when text is well-formed UTF-16, i.e. has no unpaired surrogate (what ES2024's
 * String.prototype.isWellFormed answers). Text that is not cannot be encoded as UTF-8: a store would
 * keep it altered (U+FFFD), so inputs refuse it instead.
 */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/**
 * The id of an `_entities` representation when it is a non-empty string, else null. Representations
 * are not validated against the schema, so id may be a number, an object or null; `__resolveReference`
 * answers null for those rather than passing them to a loader (where one bad id fails the batch).
 */
export function referenceId(reference: { id?: unknown }): string | null {
  const { id } = reference;
  return typeof id === 'string' && id !== '' ? id : null;
}

/**
 * `__resolveReference` of an entity this subgraph extends but does not own (it only adds fields):
 * the stub `{ id }`, or null for a representation without a usable id.
 */
export function entityStub(reference: { id?: unknown }): { id: string } | null {
  const id = referenceId(reference);
  return id === null ? null : { id };
}
