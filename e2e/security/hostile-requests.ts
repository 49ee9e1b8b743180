/**
 * The hostile requests of hostile.test.ts: what each may get back (Expectation), the victim whose
 * password is guessed, and the structural attacks (sent to both endpoints).
 */
import { randomUUID } from 'node:crypto';
import type { RawRequest } from './support';

/** The account the brute-force cases guess at (registered by the test). */
export const victim = {
  email: `victim-${randomUUID().slice(0, 8)}@example.com`,
  password: 'correct-horse-battery',
};
/** An address nobody registered: wrong passwords are tried on it, so no real account is locked. */
export const NOBODY = `nobody-${randomUUID().slice(0, 8)}@example.com`;

export type Endpoint = 'main' | 'public';

export type Expectation =
  /** HTTP status (4xx) and, when given, the code of the first error. */
  | { refused: number; code?: string }
  /** A GraphQL error with this code (any 4xx, or 200 with errors). */
  | { errorCode: string }
  /** 200, and data[field].__typename is one of these (typed errors are data). */
  | { typed: string[]; field: string }
  /** 200 without errors, data[field] is null. */
  | { nullField: string }
  /** 200 without errors, the product search found nothing. */
  | { noMatch: true };

export interface Case {
  name: string;
  endpoint: Endpoint;
  request: RawRequest;
  expect: Expectation;
  /** Sent with a customer's token. */
  signedIn?: boolean;
}

export const gqlBody = (query: string, variables?: Record<string, unknown>) => ({
  query,
  ...(variables ? { variables } : {}),
});
export const PRODUCTS = 'products(first: 1) { edges { node { id } } }';
export const CSRF = { refused: 400, code: 'BAD_REQUEST' } as const;
export const BAD_REQUEST = { refused: 400, code: 'BAD_REQUEST' } as const;
export const BAD_INPUT = { refused: 400, code: 'BAD_USER_INPUT' } as const;
export const INVALID = { refused: 400, code: 'GRAPHQL_VALIDATION_FAILED' } as const;
export const PARSE = { refused: 400, code: 'GRAPHQL_PARSE_FAILED' } as const;

export const fragmentFan = (
  levels: number,
  spreadOn = 'products(first: 1) { edges { node { ...F' + levels + ' } } }',
) => {
  let fragments = 'fragment F0 on Product { id name }\n';
  for (let i = 1; i <= levels; i++) fragments += `fragment F${i} on Product { ...F${i - 1} ...F${i - 1} }\n`;
  return `{ ${spreadOn} }\n${fragments}`;
};
export const aliases = (count: number, field: (i: number) => string) =>
  Array.from({ length: count }, (_, i) => `a${i}: ${field(i)}`).join(' ');
export const nestedArrays = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
/** `count` aliased login guesses at the victim's password in one document: the brute-force bypass. */
export const loginGuesses = (count: number) =>
  `mutation { ${aliases(count, (i) => `login(input: { email: "${victim.email}", password: "guess-number-${i}" }) { __typename }`)} }`;

/** Structural attacks, sent to both endpoints (with what each answers). */
export function structuralCases(): Case[] {
  const both = (
    name: string,
    request: RawRequest,
    expect: Expectation,
    publicExpect: Expectation = expect,
  ): Case[] => [
    { name: `/graphql: ${name}`, endpoint: 'main', request, expect },
    { name: `/public/graphql: ${name}`, endpoint: 'public', request, expect: publicExpect },
  ];
  const deep =
    '{ me { orders { edges { node { user { orders { edges { node { user { orders { edges { node { user { id } } } } } } } } } } } } } }';
  return [
    ...both(
      'deep nesting (depth 14)',
      { body: gqlBody(deep) },
      { refused: 400, code: 'BAD_USER_INPUT' },
      INVALID,
    ),
    ...both(
      '600 nested inline fragments',
      { body: gqlBody(`{ ${'... on Query { '.repeat(600)} ${PRODUCTS} ${'} '.repeat(600)} }`) },
      PARSE,
    ),
    ...both(
      'alias flood: 100 aliased products',
      { body: gqlBody(`{ ${aliases(100, () => PRODUCTS)} }`) },
      BAD_INPUT,
    ),
    ...both('alias flood: 100 aliased login mutations', { body: gqlBody(loginGuesses(100)) }, BAD_INPUT),
    ...both(
      'alias flood: 16 aliased login mutations (just over the limit)',
      { body: gqlBody(loginGuesses(16)) },
      BAD_INPUT,
    ),
    ...both(
      '1,500 duplicated fields',
      { body: gqlBody(`{ products(first: 1) { edges { node { ${'id '.repeat(1500)} } } } }`) },
      INVALID,
    ),
    ...both(
      '5,000 duplicated fields',
      { body: gqlBody(`{ products(first: 1) { edges { node { ${'id '.repeat(5000)} } } } }`) },
      PARSE,
    ),
    ...both(
      'directive flood: @include(if: true) x1000',
      {
        body: gqlBody(
          `{ products(first: 1) { edges { node { id ${'@include(if: true) '.repeat(1000)} } } } }`,
        ),
      },
      PARSE,
    ),
    ...both(
      'repeated directive: @include(if: true) x10',
      {
        body: gqlBody(`{ products(first: 1) { edges { node { id ${'@include(if: true) '.repeat(10)} } } } }`),
      },
      INVALID,
    ),
    ...both(
      'circular fragments A -> B -> A',
      { body: gqlBody('{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }') },
      INVALID,
    ),
    ...both(
      'self-spreading fragment',
      { body: gqlBody(`{ ...A } fragment A on Query { ${PRODUCTS} ...A }`) },
      INVALID,
    ),
    ...both('fanned-out fragments (2^16 fields)', { body: gqlBody(fragmentFan(16)) }, BAD_INPUT),
    ...both(
      '2 MB variables',
      { body: gqlBody(`{ ${PRODUCTS} }`, { padding: 'x'.repeat(2_000_000) }) },
      { refused: 413, code: 'BAD_REQUEST' },
    ),
    ...both(
      '2 MB query document',
      { body: gqlBody(`{ ${PRODUCTS} ${' '.repeat(2_000_000)} }`) },
      { refused: 413, code: 'BAD_REQUEST' },
    ),
    ...both('50 kB query document', { body: gqlBody(`{ ${PRODUCTS} ${' '.repeat(50_000)} }`) }, BAD_INPUT),
    ...both(
      '90 kB search string',
      {
        body: gqlBody(
          'query($s: String) { products(first: 1, filter: { search: $s }) { edges { node { id } } } }',
          { s: 'a'.repeat(90_000) },
        ),
      },
      { errorCode: 'BAD_USER_INPUT' },
    ),
    ...both(
      'batched array of operations',
      { body: [gqlBody(`{ ${PRODUCTS} }`), gqlBody(`{ ${PRODUCTS} }`)] },
      BAD_REQUEST,
    ),
    ...both(
      'GET with a mutation (preflight header set)',
      {
        method: 'GET',
        headers: { 'apollo-require-preflight': 'true' },
        search: `?query=${encodeURIComponent(loginGuesses(1))}`,
      },
      { refused: 405, code: 'BAD_REQUEST' },
      { refused: 405, code: 'BAD_REQUEST' },
    ),
    ...both(
      'GET with a mutation, no preflight header (CSRF)',
      { method: 'GET', search: `?query=${encodeURIComponent(loginGuesses(1))}` },
      CSRF,
    ),
    ...both(
      'GET query without content type or preflight header (CSRF)',
      { method: 'GET', search: `?query=${encodeURIComponent(`{ ${PRODUCTS} }`)}` },
      CSRF,
    ),
    ...both(
      'form-encoded POST (CSRF)',
      {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `query=${encodeURIComponent(loginGuesses(1))}`,
      },
      CSRF,
    ),
    ...both(
      'text/plain POST of JSON (CSRF)',
      { headers: { 'content-type': 'text/plain' }, body: gqlBody(loginGuesses(1)) },
      CSRF,
    ),
    ...both(
      'multipart/form-data POST (CSRF)',
      {
        headers: { 'content-type': 'multipart/form-data; boundary=x' },
        body: `--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n{ ${PRODUCTS} }\r\n--x--\r\n`,
      },
      CSRF,
    ),
    ...both('POST without content type', { headers: {}, body: gqlBody(`{ ${PRODUCTS} }`) }, CSRF),
    ...both(
      'application/xml POST',
      { headers: { 'content-type': 'application/xml' }, body: `<query>{ ${PRODUCTS} }</query>` },
      BAD_REQUEST,
    ),
    ...both('invalid JSON', { body: '{"query": "{ __typename }"' }, BAD_REQUEST),
    ...both('JSON string instead of an object', { body: '"{ __typename }"' }, BAD_REQUEST),
    ...both('JSON null', { body: 'null' }, BAD_REQUEST),
    ...both('query is a number', { body: { query: 42 } }, BAD_REQUEST),
    ...both(
      'variables as a JSON-encoded string',
      {
        body: {
          query: 'query($f: Int) { products(first: $f) { edges { node { id } } } }',
          variables: '{"f": 1}',
        },
      },
      BAD_REQUEST,
    ),
    ...both(
      'wrong variable type (Int given "abc")',
      { body: gqlBody('query($f: Int) { products(first: $f) { edges { node { id } } } }', { f: 'abc' }) },
      BAD_INPUT,
    ),
    ...both(
      'Int variable out of range (2^40)',
      { body: gqlBody('query($f: Int) { products(first: $f) { edges { node { id } } } }', { f: 2 ** 40 }) },
      BAD_INPUT,
    ),
    ...both(
      'page size over the maximum (first: 1000000)',
      { body: gqlBody('{ products(first: 1000000) { edges { node { id } } } }') },
      { errorCode: 'BAD_USER_INPUT' },
    ),
    ...both(
      '5,000 nested arrays as an ID variable',
      {
        body: `{"query": "query($id: ID!) { product(id: $id) { id } }", "variables": {"id": ${nestedArrays(5000)}}}`,
      },
      BAD_INPUT,
    ),
    ...both(
      '3,000 nested objects as an input variable',
      {
        body: `{"query": "query($f: ProductFilter) { products(first: 1, filter: $f) { edges { node { id } } } }", "variables": {"f": ${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}}}`,
      },
      BAD_INPUT,
    ),
    ...both(
      'misspelt field (suggestion bait)',
      { body: gqlBody('{ produkts(first: 1) { edges { node { id } } } }') },
      INVALID,
    ),
    ...both(
      'misspelt argument (suggestion bait)',
      { body: gqlBody('{ products(frist: 1) { edges { node { id } } } }') },
      INVALID,
    ),
    ...both(
      'misspelt enum value (suggestion bait)',
      { body: gqlBody('{ products(first: 1, sort: PRICE_AS) { edges { node { id } } } }') },
      INVALID,
    ),
    ...both(
      'misspelt type condition (suggestion bait)',
      { body: gqlBody('{ products(first: 1) { edges { node { ... on Produkt { id } } } } }') },
      INVALID,
    ),
    ...both(
      '_entities through the gateway',
      {
        body: gqlBody(
          '{ _entities(representations: [{ __typename: "User", id: "x" }]) { ... on User { email } } }',
        ),
      },
      INVALID,
    ),
    ...both(
      'unknown operation name',
      { body: { query: `query A { ${PRODUCTS} }`, operationName: 'B' } },
      { refused: 400, code: 'OPERATION_RESOLUTION_FAILURE' },
    ),
    ...both(
      'two operations without an operationName',
      { body: gqlBody(`query A { ${PRODUCTS} } query B { ${PRODUCTS} }`) },
      { refused: 400, code: 'OPERATION_RESOLUTION_FAILURE' },
    ),
    ...both(
      'subscription operation (the schema has none)',
      { body: gqlBody('subscription { orderPaid { id } }') },
      { refused: 400 },
    ),
    {
      name: '/graphql: introspection is off outside development',
      endpoint: 'main',
      request: { body: gqlBody('{ __schema { types { name } } }') },
      expect: INVALID,
    },
    {
      name: '/public/graphql: personal fields are not in the contract (me)',
      endpoint: 'public',
      request: { body: gqlBody('{ me { email } }') },
      expect: INVALID,
    },
    {
      name: '/public/graphql: stock is not in the contract',
      endpoint: 'public',
      request: { body: gqlBody('{ products(first: 1) { edges { node { stock } } } }') },
      expect: INVALID,
    },
  ];
}
