/**
 * Hostile input against /graphql and /public/graphql. Every request gets a 4xx or a GraphQL error
 * (or the typed error / null / empty result that is the documented answer), never a 5xx or an
 * INTERNAL_SERVER_ERROR; no error message leaks schema suggestions, internal URLs, stack traces or
 * SQL; afterwards every process is healthy and no row, document, key or stream message was added.
 */
import { randomUUID } from 'node:crypto';
import { createTestEnvironment, type TestEnvironment } from '../environment';
import {
  healthOfAll,
  JSON_HEADERS,
  leaksIn,
  openStores,
  send,
  type RawRequest,
  type RawResponse,
  type StoreCounts,
  type Stores,
} from './support';

let env: TestEnvironment;
let stores: Stores;
let before: StoreCounts;
let customer: string; // Authorization header of a signed-in customer
const victim = { email: `victim-${randomUUID().slice(0, 8)}@example.com`, password: 'correct-horse-battery' };
/** An address nobody registered: wrong passwords are tried on it, so no real account is locked. */
const NOBODY = `nobody-${randomUUID().slice(0, 8)}@example.com`;

beforeAll(async () => {
  env = await createTestEnvironment({ partnerRateLimit: 10_000 });
  stores = await openStores(env);
  const registered = await send(env.url, {
    body: {
      query: 'mutation($i: RegisterInput!) { register(input: $i) { ... on AuthPayload { token } } }',
      variables: { i: { ...victim, name: 'Victim' } },
    },
  });
  const other = await send(env.url, {
    body: {
      query: 'mutation($i: RegisterInput!) { register(input: $i) { ... on AuthPayload { token } } }',
      variables: {
        i: {
          email: `mallory-${randomUUID().slice(0, 8)}@example.com`,
          password: 'mallory-password-1',
          name: 'Mallory',
        },
      },
    },
  });
  const token = (other.json?.data?.register as { token?: string } | undefined)?.token;
  if (registered.status !== 200 || !token) throw new Error(`setup failed: ${registered.text} ${other.text}`);
  customer = `Bearer ${token}`;
  before = await stores.count();
}, 120_000);

afterAll(async () => {
  await stores?.close();
  await env?.stop();
});

// ---------------------------------------------------------------------------------------------
// What a hostile request may get back

type Endpoint = 'main' | 'public';

type Expectation =
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

interface Case {
  name: string;
  endpoint: Endpoint;
  request: RawRequest;
  expect: Expectation;
  /** Sent with a customer's token. */
  signedIn?: boolean;
}

const gqlBody = (query: string, variables?: Record<string, unknown>) => ({
  query,
  ...(variables ? { variables } : {}),
});
const PRODUCTS = 'products(first: 1) { edges { node { id } } }';
const CSRF = { refused: 400, code: 'BAD_REQUEST' } as const;
const BAD_REQUEST = { refused: 400, code: 'BAD_REQUEST' } as const;
const BAD_INPUT = { refused: 400, code: 'BAD_USER_INPUT' } as const;
const INVALID = { refused: 400, code: 'GRAPHQL_VALIDATION_FAILED' } as const;
const PARSE = { refused: 400, code: 'GRAPHQL_PARSE_FAILED' } as const;

const fragmentFan = (
  levels: number,
  spreadOn = 'products(first: 1) { edges { node { ...F' + levels + ' } } }',
) => {
  let fragments = 'fragment F0 on Product { id name }\n';
  for (let i = 1; i <= levels; i++) fragments += `fragment F${i} on Product { ...F${i - 1} ...F${i - 1} }\n`;
  return `{ ${spreadOn} }\n${fragments}`;
};
const aliases = (count: number, field: (i: number) => string) =>
  Array.from({ length: count }, (_, i) => `a${i}: ${field(i)}`).join(' ');
const nestedArrays = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
/** `count` aliased login guesses at the victim's password in one document: the brute-force bypass. */
const loginGuesses = (count: number) =>
  `mutation { ${aliases(count, (i) => `login(input: { email: "${victim.email}", password: "guess-number-${i}" }) { __typename }`)} }`;

/** Structural attacks, sent to both endpoints (with what each answers). */
function structuralCases(): Case[] {
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

/** Strings that look like injections or that break naive text handling. */
const HOSTILE_STRINGS: [string, string][] = [
  ['SQL tautology', "' OR 1=1 --"],
  ['SQL stacked query', "x'); DROP TABLE users; --"],
  ['shell substitution', '$(rm -rf /)'],
  ['shell backticks and pipes', '`id` | cat /etc/passwd; echo'],
  ['regex wildcard', '.*'],
  ['catastrophic regex', '(a+)+$'],
  ['RTL override', '\u202Eevil\u202C@example.com'],
  ['NUL byte', 'a\u0000b@example.com'],
  ['lone surrogate', 'x\uD800y'],
  ['4-byte emoji', '😀😀'],
];
/** A value of the wrong JSON type: what a NoSQL injection sends where a string is expected. */
const OPERATOR_OBJECT = { $gt: '' };

/** Each hostile value in every field that takes user text, on the operations that use it. */
function valueCases(): Case[] {
  const values: [string, unknown][] = [...HOSTILE_STRINGS, ['{"$gt": ""}', OPERATOR_OBJECT]];
  const cases: Case[] = [];
  for (const [label, value] of values) {
    const isString = typeof value === 'string';
    const coerce = (expect: Expectation): Expectation => (isString ? expect : BAD_INPUT);
    const add = (
      name: string,
      endpoint: Endpoint,
      query: string,
      variables: Record<string, unknown>,
      expect: Expectation,
      signedIn = false,
    ) =>
      cases.push({
        name: `${endpoint === 'main' ? '/graphql' : '/public/graphql'}: ${label} as ${name}`,
        endpoint,
        request: { body: gqlBody(query, variables) },
        expect: coerce(expect),
        signedIn,
      });
    const register = 'mutation($i: RegisterInput!) { register(input: $i) { __typename } }';
    const login = 'mutation($i: LoginInput!) { login(input: $i) { __typename } }';
    const search =
      'query($s: String) { products(first: 5, filter: { search: $s }) { edges { node { id name } } } }';
    const product = 'query($id: ID!) { product(id: $id) { id } }';
    const place = 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { __typename } }';
    const pay = 'mutation($i: PayOrderInput!) { payOrder(input: $i) { __typename } }';
    const card = {
      number: '4242424242424242',
      expMonth: 12,
      expYear: new Date().getFullYear() + 2,
      cvc: '123',
      holderName: 'Eve',
    };

    add(
      'register email',
      'main',
      register,
      { i: { email: value, password: 'correct-horse-battery', name: 'Eve' } },
      { typed: ['InvalidInputError'], field: 'register' },
    );
    add(
      'login email',
      'main',
      login,
      { i: { email: value, password: victim.password } },
      { typed: ['InvalidInputError', 'InvalidCredentialsError'], field: 'login' },
    );
    add(
      'login password',
      'main',
      login,
      { i: { email: NOBODY, password: value } },
      { typed: ['InvalidInputError', 'InvalidCredentialsError', 'TooManyAttemptsError'], field: 'login' },
    );
    add('product search', 'main', search, { s: value }, { noMatch: true });
    add('product search', 'public', search, { s: value }, { noMatch: true });
    add('product id', 'main', product, { id: value }, { nullField: 'product' });
    add('product id', 'public', product, { id: value }, { nullField: 'product' });
    add(
      'order id',
      'main',
      'query($id: ID!) { order(id: $id) { id } }',
      { id: value },
      { nullField: 'order' },
      true,
    );
    add(
      'placeOrder productId',
      'main',
      place,
      { i: { idempotencyKey: randomUUID(), items: [{ productId: value, quantity: 1 }] } },
      { typed: ['UnknownProductError', 'InvalidInputError'], field: 'placeOrder' },
      true,
    );
    add(
      'placeOrder idempotencyKey',
      'main',
      place,
      { i: { idempotencyKey: value, items: [{ productId: '000000000000000000000000', quantity: 1 }] } },
      { typed: ['InvalidInputError'], field: 'placeOrder' },
      true,
    );
    add(
      'payOrder orderId',
      'main',
      pay,
      { i: { orderId: value, idempotencyKey: randomUUID(), card } },
      { typed: ['PaymentOrderNotFoundError', 'InvalidInputError'], field: 'payOrder' },
      true,
    );
    add(
      'payOrder idempotencyKey',
      'main',
      pay,
      { i: { orderId: randomUUID(), idempotencyKey: value, card } },
      { typed: ['PaymentOrderNotFoundError', 'InvalidInputError'], field: 'payOrder' },
      true,
    );
    add(
      'cancelOrder id',
      'main',
      'mutation($id: ID!) { cancelOrder(id: $id) { __typename } }',
      { id: value },
      { typed: ['OrderNotFoundError'], field: 'cancelOrder' },
      true,
    );
  }
  return cases;
}

const cases = [...structuralCases(), ...valueCases()];

function urlOf(endpoint: Endpoint) {
  return endpoint === 'main' ? env.url : env.publicUrl;
}

function headersFor(c: Case): Record<string, string> {
  const base = c.request.headers ?? (c.request.method === 'GET' ? {} : JSON_HEADERS);
  return {
    ...base,
    ...(c.endpoint === 'public' ? { 'x-api-key': env.partnerKey } : {}),
    ...(c.signedIn ? { authorization: customer } : {}),
  };
}

/** Why a response is not an acceptable answer to a hostile request (empty when it is). */
function problems(res: RawResponse, expect: Expectation): string[] {
  const found: string[] = [];
  const errors = res.json?.errors ?? [];
  const codes = errors.map((e) => e.extensions?.code);
  if (res.status >= 500) found.push(`HTTP ${res.status}`);
  if (codes.includes('INTERNAL_SERVER_ERROR')) found.push('INTERNAL_SERVER_ERROR');
  if (!res.json) found.push('body is not JSON');
  if ('refused' in expect) {
    if (res.status !== expect.refused) found.push(`HTTP ${res.status}, expected ${expect.refused}`);
    if (expect.code && codes[0] !== expect.code)
      found.push(`code ${String(codes[0])}, expected ${expect.code}`);
  } else if ('errorCode' in expect) {
    if (!codes.includes(expect.errorCode))
      found.push(`codes ${JSON.stringify(codes)}, expected ${expect.errorCode}`);
  } else {
    if (res.status !== 200 || errors.length)
      found.push(`HTTP ${res.status} with errors ${JSON.stringify(codes)}`);
    const data = res.json?.data ?? {};
    if ('typed' in expect) {
      const typename = (data[expect.field] as { __typename?: string } | null)?.__typename;
      if (!typename || !expect.typed.includes(typename))
        found.push(`${expect.field} is ${String(typename)}, expected one of ${expect.typed.join(', ')}`);
    } else if ('nullField' in expect) {
      if (data[expect.nullField] !== null)
        found.push(`${expect.nullField} is ${JSON.stringify(data[expect.nullField])}, expected null`);
    } else {
      const edges = (data.products as { edges?: unknown[] } | undefined)?.edges;
      if (!edges || edges.length !== 0) found.push(`search matched ${JSON.stringify(edges)}`);
    }
  }
  return found;
}

describe('hostile requests', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const res = await send(urlOf(c.endpoint), { ...c.request, headers: headersFor(c) });
    expect({ problems: problems(res, c.expect), leaks: leaksIn(res.text, env) }).toEqual({
      problems: [],
      leaks: [],
    });
  });

  it('a fragment bomb (2^22 fields from 23 small fragments) is refused within half a second', async () => {
    // The document is only ~1.4 kB and 280 tokens; the limits plugin (shared by both endpoints) must
    // not expand it to measure it: while it does, the router's event loop is blocked for everyone.
    const started = Date.now();
    const res = await send(env.url, { body: gqlBody(fragmentFan(22)) }, 20_000);
    const elapsedMs = Date.now() - started;
    expect({ status: res.status, refusedWithinHalfASecond: elapsedMs < 500 }).toEqual({
      status: 400,
      refusedWithinHalfASecond: true,
    });
  }, 30_000);

  it('100 aliased login guesses never reach the users subgraph: no failure is recorded and the account is not locked', async () => {
    expect(await stores.loginFailures(victim.email)).toBe(0);
    const res = await send(env.url, {
      body: {
        query: 'mutation($i: LoginInput!) { login(input: $i) { __typename } }',
        variables: { i: victim },
      },
    });
    expect(res.json?.data?.login).toEqual({ __typename: 'AuthPayload' });
  });

  it('left every row, document, Redis key and stream message as it was', async () => {
    expect(await stores.count()).toEqual(before);
  });

  it('left every process up: /healthz of the router and every subgraph is 200', async () => {
    expect(await healthOfAll(env)).toEqual({
      router: 200,
      users: 200,
      products: 200,
      orders: 200,
      payments: 200,
      notifications: 200,
    });
  });
});

async function registerRaw(email: string, name: string) {
  const res = await send(env.url, {
    body: {
      query: `mutation($i: RegisterInput!) {
        register(input: $i) { __typename ... on AuthPayload { token user { name email } } ... on InvalidInputError { field } }
      }`,
      variables: { i: { email, password: 'correct-horse-battery', name } },
    },
  });
  return res.json?.data?.register as
    | { __typename: 'AuthPayload'; token: string; user: { name: string; email: string } }
    | { __typename: 'InvalidInputError'; field: string }
    | undefined;
}

describe('hostile text that is valid data is stored verbatim and harmlessly', () => {
  const accounts: [string, string, string][] = [
    ['SQL in the name', 'sql', "Robert'); DROP TABLE users; --"],
    ['shell in the name', 'shell', '$(rm -rf /) `reboot`'],
    ['HTML in the name', 'html', '<script>alert(1)</script>'],
    ['4-byte characters in the name', 'astral', 'Zoë 😀 Ünïcødé 𝔘'],
    ['4-byte emoji in the email', '😀-mail', 'Emoji Mail'],
  ];

  it.each(accounts)(
    '%s: stored and read back exactly, and only that user is added',
    async (_label, local, name) => {
      const usersBefore = (await stores.count()).users;
      const email = `${local}-${randomUUID().slice(0, 8)}@example.com`;
      const registered = await registerRaw(email, name);
      if (registered?.__typename !== 'AuthPayload')
        throw new Error(`register: ${JSON.stringify(registered)}`);
      expect(registered.user).toEqual({ name, email });
      const me = await send(env.url, {
        headers: { ...JSON_HEADERS, authorization: `Bearer ${registered.token}` },
        body: { query: '{ me { name email } }' },
      });
      expect(me.json?.data?.me).toEqual({ name, email });
      expect((await stores.count()).users).toBe(usersBefore + 1);
    },
  );
});

describe('text that is not well-formed Unicode is refused, not silently altered', () => {
  // JSON can carry a lone surrogate ("\ud800"); PostgreSQL's UTF-8 would store U+FFFD instead.
  it.each([
    ['email', `x\uD800y-${randomUUID().slice(0, 8)}@example.com`, 'Lone Surrogate'],
    ['name', `lone-${randomUUID().slice(0, 8)}@example.com`, 'Lone \uD800 Surrogate'],
  ])('a lone surrogate in the %s is InvalidInputError and adds no user', async (field, email, name) => {
    const usersBefore = (await stores.count()).users;
    const registered = await registerRaw(email, name);
    expect({ result: registered?.__typename, users: (await stores.count()).users }).toEqual({
      result: 'InvalidInputError',
      users: usersBefore,
    });
    expect(registered).toMatchObject({ field });
  });
});
