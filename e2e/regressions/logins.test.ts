/**
 * Finding 5 of issue 16: 30 parallel `login` calls let about 25 password guesses through where 5
 * were allowed (the count was read before the hash and written after), and 5 bad logins locked
 * anyone's account, the admin's included, for 15 minutes.
 *
 * Through the gateway. The router tells users the client's address (x-client-address: the socket's
 * address, as TRUST_PROXY_HOPS is 0 here), so requests are sent from different loopback addresses
 * (127.0.0.1, 127.0.0.2, ...: a real second client, not a header anyone could write). The counts
 * are read from users' PostgreSQL.
 */
import { request } from 'node:http';
import pg from 'pg';
import { createTestEnvironment, type TestEnvironment } from '../environment';

let env: TestEnvironment;
let db: pg.Client;

beforeAll(async () => {
  env = await createTestEnvironment();
  db = new pg.Client({ connectionString: env.stores.postgresUrl });
  await db.connect();
}, 120_000);

afterAll(async () => {
  await db?.end();
  await env?.stop();
});

interface LoginResult {
  __typename: string;
  message?: string;
  retryAfterSeconds?: number;
  user?: { email: string; role: string };
}

/** POSTs raw GraphQL to the gateway from the loopback address `from`. */
function gqlFrom<T>(from: string, query: string, variables: Record<string, unknown>): Promise<T> {
  const url = new URL(env.url);
  const body = JSON.stringify({ query, variables });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress: from,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          try {
            resolve(JSON.parse(text) as T);
          } catch (error) {
            reject(new Error(`${res.statusCode}: ${text}`, { cause: error }));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const LOGIN = `mutation($i: LoginInput!) { login(input: $i) {
  __typename
  ... on Error { message }
  ... on TooManyAttemptsError { retryAfterSeconds }
  ... on AuthPayload { user { email role } }
} }`;

async function login(from: string, input: { email: string; password: string }): Promise<LoginResult> {
  const res = await gqlFrom<{ data?: { login: LoginResult }; errors?: unknown[] }>(from, LOGIN, { i: input });
  if (!res.data) throw new Error(`login answered ${JSON.stringify(res.errors)}`);
  return res.data.login;
}

async function register(label: string) {
  const account = {
    email: `${label}-${crypto.randomUUID().slice(0, 8)}@example.com`,
    password: `${label}-right-password`,
  };
  const res = await gqlFrom<{ data?: { register: { __typename: string } } }>(
    '127.0.0.1',
    'mutation($i: RegisterInput!) { register(input: $i) { __typename } }',
    { i: { ...account, name: label } },
  );
  expect(res.data?.register.__typename).toBe('AuthPayload');
  return account;
}

/** The throttling counts users stored for an account: address -> failures. */
async function failuresOf(email: string): Promise<Record<string, number>> {
  const { rows } = await db.query<{ address: string; failures: number }>(
    'SELECT address, failures FROM login_throttle WHERE email = $1',
    [email],
  );
  return Object.fromEntries(rows.map((r) => [r.address, r.failures]));
}

const tally = (results: LoginResult[]) =>
  results.reduce<Record<string, number>>(
    (t, r) => ({ ...t, [r.__typename]: (t[r.__typename] ?? 0) + 1 }),
    {},
  );

const burst = (from: string, email: string, count = 30) =>
  Promise.all(
    Array.from({ length: count }, (_, i) => login(from, { email, password: `guess-${i}-is-wrong` })),
  );

describe('finding 5: login throttling through the gateway', () => {
  it('finding 5: 30 parallel bad logins let exactly 5 password guesses through; the rest are told when to retry', async () => {
    const victim = await register('burst');
    const results = await burst('127.0.0.1', victim.email);
    expect(tally(results)).toEqual({ InvalidCredentialsError: 5, TooManyAttemptsError: 25 });
    for (const refused of results.filter((r) => r.__typename === 'TooManyAttemptsError')) {
      expect(refused.retryAfterSeconds).toBeGreaterThan(0);
      expect(refused.retryAfterSeconds).toBeLessThanOrEqual(30);
      expect(refused.message).toMatch(new RegExp(`try again in ${refused.retryAfterSeconds} seconds`));
    }
    // Counted before each comparison, per the address the router saw: 5, not 25 or 30.
    expect(await failuresOf(victim.email)).toEqual({ '127.0.0.1': 5 });
    // The right password from the guessing address waits too (and is not compared).
    expect(await login('127.0.0.1', victim)).toMatchObject({ __typename: 'TooManyAttemptsError' });
    expect(await failuresOf(victim.email)).toEqual({ '127.0.0.1': 5 });
  });

  it('finding 5: after the burst the right password from another client address still logs in', async () => {
    const victim = await register('elsewhere');
    await burst('127.0.0.2', victim.email);
    expect(await login('127.0.0.2', victim)).toMatchObject({ __typename: 'TooManyAttemptsError' });
    expect(await login('127.0.0.3', victim)).toEqual({
      __typename: 'AuthPayload',
      user: { email: victim.email, role: 'CUSTOMER' },
    });
  });

  it("finding 5: an attacker's bursts against the admin account do not lock the admin out", async () => {
    // Two waves from the attacker's address: 60 guesses, 5 compared.
    const waves = [
      ...(await burst('127.0.0.4', env.admin.email)),
      ...(await burst('127.0.0.4', env.admin.email)),
    ];
    expect(tally(waves)).toEqual({ InvalidCredentialsError: 5, TooManyAttemptsError: 55 });
    expect(await login('127.0.0.5', env.admin)).toMatchObject({
      __typename: 'AuthPayload',
      user: { email: env.admin.email, role: 'ADMIN' },
    });
    expect(await login('127.0.0.1', env.admin)).toMatchObject({ __typename: 'AuthPayload' });
    expect(await failuresOf(env.admin.email)).toEqual({ '127.0.0.4': 5 });
  });
});
