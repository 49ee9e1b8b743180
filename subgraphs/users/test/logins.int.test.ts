import { CLIENT_ADDRESS_HEADER, ROUTER_SECRET_HEADER } from '@shop/auth';
import { loadConfig } from '@shop/config';
import { createLogger } from '@shop/server';
import { gql, memoryLog } from '@shop/testing';
import { createPasswordHasher, type PasswordHasher } from '../src/passwords';
import { configSchema, createApp, type UsersApp } from '../src/index';
import { ADMIN, email, LOGIN, ROUTER_SECRET, startUsers, type AuthResult, type TestEnv } from './helpers';

/**
 * Finding 5 of issue 16 at the subgraph: login throttling counted in PostgreSQL before the password
 * is compared, per account and client address and per address, without locking anyone out.
 */

/** A real argon2id hasher that counts every comparison (with a stored hash or the dummy). */
async function countingHasher() {
  const real = await createPasswordHasher();
  const counter = { comparisons: 0 };
  const hasher: PasswordHasher = {
    hash: (password) => real.hash(password),
    verify: (hash, password) => {
      counter.comparisons++;
      return real.verify(hash, password);
    },
    verifyDummy: (password) => {
      counter.comparisons++;
      return real.verifyDummy(password);
    },
  };
  return { hasher, counter };
}

let env: TestEnv;
let counter: { comparisons: number };
let second: UsersApp;
let secondUrl: string;
let secondCounter: { comparisons: number };

beforeAll(async () => {
  const counting = await countingHasher();
  counter = counting.counter;
  env = await startUsers('logins', { LOGIN_ADDRESS_MAX_FAILURES: '10' }, { passwords: counting.hasher });
  // A second instance on the same database: the limit must hold across processes, not per process.
  const other = await countingHasher();
  secondCounter = other.counter;
  second = await createApp(
    loadConfig(configSchema, {
      NODE_ENV: 'test',
      PORT: '0',
      POSTGRES_URL: env.db.url,
      NATS_PREFIX: env.prefix,
      ROUTER_SECRET,
      LOGIN_ADDRESS_MAX_FAILURES: '10',
    }),
    { log: createLogger({ name: 'users-2', level: 'trace' }, memoryLog().stream), passwords: other.hasher },
  );
  secondUrl = (await second.start()).url;
});
afterAll(async () => {
  await second?.stop();
  await env?.close();
});

/** login through the router-secret check, from `address` (the header the router adds). */
async function login(input: { email: string; password: string }, address?: string, url = env.url) {
  const res = await gql<{ login: AuthResult }>(
    url,
    LOGIN,
    { input },
    {
      [ROUTER_SECRET_HEADER]: ROUTER_SECRET,
      ...(address ? { [CLIENT_ADDRESS_HEADER]: address } : {}),
    },
  );
  if (!res.data) throw new Error(`login failed: ${JSON.stringify(res.errors)}`);
  return res.data.login;
}

/** The stored throttling buckets of an address: '' is the address's own, else the account's. */
async function buckets(address: string): Promise<Record<string, number>> {
  const { rows } = await env.app.pool.query<{ email: string; failures: number }>(
    'SELECT email, failures FROM login_throttle WHERE address = $1',
    [address],
  );
  return Object.fromEntries(rows.map((r) => [r.email, r.failures]));
}

const tally = (results: AuthResult[]) =>
  results.reduce<Record<string, number>>(
    (t, r) => ({ ...t, [r.__typename]: (t[r.__typename] ?? 0) + 1 }),
    {},
  );

async function account(label: string) {
  const address = email(label);
  const password = `${label}-right-password`;
  await env.app.registerUser({ email: address, password, name: label });
  return { email: address, password };
}

describe('finding 5: login throttling at the users subgraph', () => {
  it('30 parallel bad logins for one account from one address get exactly 5 password comparisons', async () => {
    const victim = await account('burst');
    const before = counter.comparisons;
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        login({ email: victim.email, password: `guess-${i}-wrong` }, '203.0.113.10'),
      ),
    );
    expect(counter.comparisons - before).toBe(5);
    expect(tally(results)).toEqual({ InvalidCredentialsError: 5, TooManyAttemptsError: 25 });
    for (const refused of results.filter((r) => r.__typename === 'TooManyAttemptsError')) {
      expect(refused.retryAfterSeconds).toBeGreaterThan(0);
      expect(refused.retryAfterSeconds).toBeLessThanOrEqual(30);
      expect(refused.message).toMatch(/try again in \d+ seconds/);
    }
    expect(await buckets('203.0.113.10')).toEqual({ '': 5, [victim.email]: 5 });
  });

  it('the limit holds across two instances on one database (15 parallel guesses at each)', async () => {
    const victim = await account('instances');
    const [a, b] = [counter.comparisons, secondCounter.comparisons];
    const guess = (i: number) => ({ email: victim.email, password: `guess-${i}-wrong` });
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        login(guess(i), '203.0.113.11', i % 2 === 0 ? env.url : secondUrl),
      ),
    );
    expect(counter.comparisons - a + (secondCounter.comparisons - b)).toBe(5);
    expect(tally(results)).toEqual({ InvalidCredentialsError: 5, TooManyAttemptsError: 25 });
  });

  it('after a burst the right password from another address logs in; from the burst address it waits without a comparison', async () => {
    const victim = await account('elsewhere');
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        login({ email: victim.email, password: `guess-${i}-wrong` }, '203.0.113.12'),
      ),
    );
    let before = counter.comparisons;
    expect(await login(victim, '203.0.113.12')).toMatchObject({ __typename: 'TooManyAttemptsError' });
    expect(counter.comparisons).toBe(before);
    before = counter.comparisons;
    const elsewhere = await login(victim, '198.51.100.12');
    expect(elsewhere).toMatchObject({ __typename: 'AuthPayload', user: { email: victim.email } });
    expect(counter.comparisons - before).toBe(1);
    // The burst address's failures stay; the success left nothing behind at its own address.
    expect(await buckets('203.0.113.12')).toEqual({ '': 5, [victim.email]: 5 });
    expect(await buckets('198.51.100.12')).toEqual({ '': 0 });
  });

  it("an attacker's address cannot lock the admin out: the admin signs in from another address, and from an IPv6 neighbour of nobody", async () => {
    const attacker = '2001:db8:bad:1::66';
    const guesses = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        login({ email: ADMIN.email, password: `admin-guess-${i}` }, attacker),
      ),
    );
    expect(tally(guesses)).toEqual({ InvalidCredentialsError: 5, TooManyAttemptsError: 25 });
    // Another address in the attacker's /64 is the attacker's bucket too.
    expect(
      await login({ email: ADMIN.email, password: 'one-more-guess' }, '2001:db8:bad:1::67'),
    ).toMatchObject({
      __typename: 'TooManyAttemptsError',
    });
    expect(await login(ADMIN, '192.0.2.1')).toMatchObject({
      __typename: 'AuthPayload',
      user: { role: 'ADMIN' },
    });
    expect(await login(ADMIN, '2001:db8:600d:1::1')).toMatchObject({ __typename: 'AuthPayload' });
    // Nor does the attacker's burst throttle requests that carry no address at all.
    expect(await login(ADMIN)).toMatchObject({ __typename: 'AuthPayload' });
  });

  it('spraying many accounts from one address is slowed by the per-address limit (10 here); other addresses are not', async () => {
    const before = counter.comparisons;
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        login({ email: email(`spray${i}`), password: 'spray-password-1' }, '203.0.113.13'),
      ),
    );
    expect(counter.comparisons - before).toBe(10);
    expect(tally(results)).toEqual({ InvalidCredentialsError: 10, TooManyAttemptsError: 20 });
    const user = await account('sprayed-neighbour');
    expect(await login(user, '203.0.113.13')).toMatchObject({ __typename: 'TooManyAttemptsError' });
    expect(await login(user, '203.0.113.14')).toMatchObject({ __typename: 'AuthPayload' });
  });

  it('a right password takes its attempt back: the account bucket is cleared, the address count goes down by one', async () => {
    const user = await account('refund');
    for (let i = 0; i < 4; i++)
      await login({ email: user.email, password: `typo-${i}-password` }, '203.0.113.15');
    expect(await buckets('203.0.113.15')).toEqual({ '': 4, [user.email]: 4 });
    expect(await login(user, '203.0.113.15')).toMatchObject({ __typename: 'AuthPayload' });
    expect(await buckets('203.0.113.15')).toEqual({ '': 4 });
    // A fresh start for the account: five more failures before it waits.
    for (let i = 0; i < 5; i++) {
      expect(await login({ email: user.email, password: `typo-${i}-again` }, '203.0.113.15')).toMatchObject({
        __typename: 'InvalidCredentialsError',
      });
    }
    expect(await login(user, '203.0.113.15')).toMatchObject({ __typename: 'TooManyAttemptsError' });
  });

  it('waits grow progressively (30 s, then 60 s) and an attempt is admitted once its wait has passed', async () => {
    const user = await account('progressive');
    const address = '203.0.113.16';
    for (let i = 0; i < 5; i++) await login({ email: user.email, password: `guess-${i}-wrong` }, address);
    const first = await login({ email: user.email, password: 'guess-wrong' }, address);
    expect(first.retryAfterSeconds).toBeGreaterThan(25);
    expect(first.retryAfterSeconds).toBeLessThanOrEqual(30);
    // Let 31 seconds pass for this address's buckets.
    const age = (seconds: number) =>
      env.app.pool.query(
        `UPDATE login_throttle SET last_failure_at = last_failure_at - make_interval(secs => $2) WHERE address = $1`,
        [address, seconds],
      );
    await age(31);
    const before = counter.comparisons;
    expect(await login({ email: user.email, password: 'guess-6-wrong' }, address)).toMatchObject({
      __typename: 'InvalidCredentialsError',
    });
    expect(counter.comparisons - before).toBe(1);
    const second = await login(user, address);
    expect(second.__typename).toBe('TooManyAttemptsError');
    expect(second.retryAfterSeconds).toBeGreaterThan(55);
    expect(second.retryAfterSeconds).toBeLessThanOrEqual(60);
    await age(61);
    expect(await login(user, address)).toMatchObject({ __typename: 'AuthPayload' });
    // Buckets are forgotten after the window: pruning deletes them.
    await age(3600);
    expect(await env.app.service.pruneLoginThrottle()).toBeGreaterThan(0);
    expect(await buckets(address)).toEqual({});
  });

  it('an ill-formed email or password compares nothing and counts nothing', async () => {
    const before = counter.comparisons;
    const address = '203.0.113.17';
    expect(
      await login({ email: 'a,admin@shop.local', password: 'whatever-password' }, address),
    ).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'email',
    });
    expect(await login({ email: ADMIN.email, password: 'lone-\uD800-surrogate' }, address)).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'password',
    });
    expect(counter.comparisons).toBe(before);
    expect(await buckets(address)).toEqual({});
  });
});
