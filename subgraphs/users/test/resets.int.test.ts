import { setTimeout as sleep } from 'node:timers/promises';
import {
  connectNats,
  endpoint,
  natsNames,
  PasswordResetRequest,
  serveEndpoints,
  type NatsConnection,
} from '@shop/messaging';
import { endpoints } from '@shop/testing';
import { email as uniqueEmail, startUsers, type TestEnv } from './helpers';
import {
  account,
  CHANGE_PASSWORD,
  field,
  forms,
  refresh,
  REQUEST_RESET,
  RESET_PASSWORD,
  signIn,
  variants,
} from './sessions.helpers';

/**
 * Password reset against PostgreSQL, with a stand-in for notifications.password_reset on NATS that
 * records what users asks it to send (the real email: notifications' and e2e/sessions' tests).
 */

let env: TestEnv;
let nc: NatsConnection;
let stub: { stop(): Promise<void> } | undefined;
/** What the stand-in answers: sent, a refusal, no answer in time. */
let mode: 'ok' | 'fail' | 'silent' = 'ok';
const asked: PasswordResetRequest[] = [];
const secrets: string[] = [];
const RESET_BASE = 'https://shop.example/account/reset?lang=en';

const serveStub = () =>
  serveEndpoints(
    nc,
    'test-notifications',
    [
      endpoint({
        name: 'password-reset',
        subject: natsNames(env.prefix).commands.notificationsPasswordReset,
        schema: PasswordResetRequest,
        handler: async (request) => {
          asked.push(request);
          secrets.push(request.resetUrl, new URL(request.resetUrl).searchParams.get('token')!);
          if (mode === 'silent') await sleep(1_500);
          return mode === 'fail' ? { ok: false, code: 'SEND_FAILED', message: 'smtp down' } : { ok: true };
        },
      }),
    ],
    { error: () => undefined, warn: () => undefined, info: () => undefined },
  );

const ask = (address: string, client = '192.0.2.1') =>
  field<{ __typename: string; message?: string; retryAfterSeconds?: number; field?: string }>(
    env,
    REQUEST_RESET,
    { e: address },
    { address: client },
  );
const reset = (token: string, n: string) =>
  field<{ __typename: string; email?: string; message?: string; field?: string }>(env, RESET_PASSWORD, {
    t: token,
    n,
  });

let clients = 0;
/** Asks for a reset of an account and returns the token of the link notifications was asked to send. */
async function tokenFor(address: string, client = `10.0.${++clients}.1`): Promise<string> {
  const before = asked.length;
  expect((await ask(address, client)).__typename).toBe('RequestPasswordResetSuccess');
  await env.app.deliveries.settle();
  const request = asked.slice(before).find((r) => r.email === address);
  if (!request) throw new Error('no reset email was asked for');
  return new URL(request.resetUrl).searchParams.get('token')!;
}

const loginWorks = async (address: string, password: string) =>
  (await env.app.service.login({ email: address, password })).__typename === 'AuthPayload';

beforeAll(async () => {
  env = await startUsers('resets', {
    PASSWORD_RESET_URL: RESET_BASE,
    PASSWORD_RESET_MAX_PER_EMAIL: '3',
    PASSWORD_RESET_MAX_PER_CLIENT: '6',
    NOTIFICATIONS_TIMEOUT_MS: '500',
  });
  nc = await connectNats(endpoints.nats, 'users-resets-test');
  stub = serveStub();
});
afterEach(() => {
  mode = 'ok';
});
afterAll(async () => {
  await stub?.stop();
  await nc?.close();
  await env?.close();
});

describe('requestPasswordReset', () => {
  it('asks notifications to email a single-use link; only the token’s hash is stored', async () => {
    const a = await account(env, 'link');
    const before = Date.now();
    const answer = await ask(a.email);
    expect(answer).toEqual({
      __typename: 'RequestPasswordResetSuccess',
      message: 'If an account uses this email address, a link to reset its password is on its way',
    });
    await env.app.deliveries.settle();
    const request = asked.find((r) => r.email === a.email)!;
    expect(request).toMatchObject({ userId: a.id, email: a.email, name: 'link' });
    const url = new URL(request.resetUrl);
    expect(`${url.origin}${url.pathname}`).toBe('https://shop.example/account/reset');
    expect(url.searchParams.get('lang')).toBe('en');
    const token = url.searchParams.get('token')!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const ttl = new Date(request.expiresAt).getTime() - before;
    expect(ttl).toBeGreaterThan(1800_000 - 5_000);
    expect(ttl).toBeLessThanOrEqual(1800_000 + 5_000);
    const { rows } = await env.app.pool.query('SELECT * FROM password_resets WHERE user_id = $1', [a.id]);
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(token);
    expect((rows[0] as { token_hash: Buffer }).token_hash.toString('hex')).toBe(forms(token)[1]);
  });

  it('answers an unknown address exactly the same, asks nothing and stores nothing', async () => {
    const nobody = uniqueEmail('nobody');
    const before = asked.length;
    const known = await account(env, 'known');
    const answers = [await ask(nobody), await ask(known.email)];
    expect(answers[0]).toEqual(answers[1]);
    await env.app.deliveries.settle();
    expect(asked.slice(before).map((r) => r.email)).toEqual([known.email]);
    const { rows } = await env.app.pool.query('SELECT count(*)::int AS n FROM password_resets');
    expect(rows[0].n).toBe(2); // this test's and the previous test's
  });

  it('answers at once, known or not, however slow or down notifications is', async () => {
    const timed = async (address: string, client: string) => {
      const started = performance.now();
      const answer = await ask(address, client);
      return { answer, ms: performance.now() - started };
    };
    mode = 'silent'; // answers after 1.5 s, past NOTIFICATIONS_TIMEOUT_MS
    const known = await account(env, 'slow');
    const runs = [];
    for (let i = 0; i < 3; i++) {
      runs.push(await timed(known.email, `192.0.2.${100 + i}`));
      runs.push(await timed(uniqueEmail('slow-nobody'), `192.0.2.${110 + i}`));
    }
    for (const run of runs) {
      expect(run.answer.__typename).toBe('RequestPasswordResetSuccess');
      expect(run.ms).toBeLessThan(400);
    }
    await env.app.deliveries.settle();
    expect(env.log.lines.join('\n')).toMatch(/password reset email: notifications did not answer/);
    // with nobody serving the subject at all
    const another = await account(env, 'down');
    await stub!.stop();
    try {
      const down = await timed(another.email, '192.0.2.120');
      expect(down.answer.__typename).toBe('RequestPasswordResetSuccess');
      await env.app.deliveries.settle();
    } finally {
      stub = serveStub();
    }
  });

  it('a refused send discards the token', async () => {
    mode = 'fail';
    const a = await account(env, 'refused');
    await tokenFor(a.email);
    const { rows } = await env.app.pool.query('SELECT 1 FROM password_resets WHERE user_id = $1', [a.id]);
    expect(rows).toHaveLength(0);
  });

  it('is throttled per email address (known or not alike) and per client address', async () => {
    const a = await account(env, 'throttled');
    const nobody = uniqueEmail('throttled-nobody');
    for (const address of [a.email, nobody]) {
      for (let i = 0; i < 3; i++)
        expect((await ask(address, `198.51.100.${i}`)).__typename).toBe('RequestPasswordResetSuccess');
      const refused = await ask(address, '198.51.100.9');
      expect(refused).toMatchObject({ __typename: 'TooManyAttemptsError' });
      expect(refused.retryAfterSeconds).toBeGreaterThan(3500);
      expect(refused.retryAfterSeconds).toBeLessThanOrEqual(3600);
    }
    await env.app.deliveries.settle();
    expect(asked.filter((r) => r.email === a.email)).toHaveLength(3);
    // one client address, many email addresses: 6 per window
    const client = '203.0.113.77';
    const answers = [];
    for (let i = 0; i < 7; i++) answers.push((await ask(uniqueEmail(`spray${i}`), client)).__typename);
    expect(answers).toEqual([
      ...Array<string>(6).fill('RequestPasswordResetSuccess'),
      'TooManyAttemptsError',
    ]);
    expect((await ask(uniqueEmail('elsewhere'), '203.0.113.78')).__typename).toBe(
      'RequestPasswordResetSuccess',
    );
    // the buckets name no email address in clear
    const { rows } = await env.app.pool.query<{ bucket: string }>('SELECT bucket FROM reset_throttle');
    expect(rows.map((r) => r.bucket).join()).not.toContain('@');
  });

  it('refuses an ill-formed address (InvalidInputError), counting nothing', async () => {
    const buckets = async () =>
      (
        await env.app.pool.query<{ n: number }>(
          'SELECT coalesce(sum(requests), 0)::int AS n FROM reset_throttle',
        )
      ).rows[0]!.n;
    const before = await buckets();
    expect(await ask('not an address')).toMatchObject({ __typename: 'InvalidInputError', field: 'email' });
    expect(await ask('x'.repeat(5000))).toMatchObject({ __typename: 'InvalidInputError', field: 'email' });
    expect(await buckets()).toBe(before);
  });
});

describe('resetPassword', () => {
  it('sets the password, spends the token, ends every session and every other link', async () => {
    const a = await account(env, 'reset');
    const other = await signIn(env, a);
    const first = await tokenFor(a.email);
    const second = await tokenFor(a.email);
    const done = await reset(second, 'a-reset-password-1');
    expect(done).toEqual({ __typename: 'ResetPasswordSuccess', email: a.email });
    expect(await loginWorks(a.email, a.password)).toBe(false);
    expect(await loginWorks(a.email, 'a-reset-password-1')).toBe(true);
    for (const s of [a.session, other])
      expect((await refresh(env, s.refreshToken!)).__typename).toBe('InvalidRefreshTokenError');
    const { rows } = await env.app.pool.query<{ revoked_reason: string }>(
      "SELECT revoked_reason FROM sessions WHERE user_id = $1 AND revoked_reason = 'PASSWORD_RESET'",
      [a.id],
    );
    expect(rows).toHaveLength(2);
    const invalid = {
      __typename: 'InvalidResetTokenError',
      message: 'This password reset link is invalid, used or expired; ask for a new one',
    };
    expect(await reset(second, 'a-reset-password-2')).toEqual(invalid);
    expect(await reset(first, 'a-reset-password-2')).toEqual(invalid);
    expect(await loginWorks(a.email, 'a-reset-password-1')).toBe(true);
  });

  it('two concurrent resets with one token: exactly one wins', async () => {
    const a = await account(env, 'race');
    const token = await tokenFor(a.email);
    const results = await Promise.all([reset(token, 'race-password-one'), reset(token, 'race-password-two')]);
    expect(results.map((r) => r.__typename).sort()).toEqual([
      'InvalidResetTokenError',
      'ResetPasswordSuccess',
    ]);
    const won = results[0]!.__typename === 'ResetPasswordSuccess' ? 'race-password-one' : 'race-password-two';
    const lost = won === 'race-password-one' ? 'race-password-two' : 'race-password-one';
    expect(await loginWorks(a.email, won)).toBe(true);
    expect(await loginWorks(a.email, lost)).toBe(false);
  });

  it('an expired token, a token in another form, and a bad new password (which spends nothing)', async () => {
    const a = await account(env, 'expired');
    const expired = await tokenFor(a.email);
    await env.app.pool.query(
      `UPDATE password_resets SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
      [a.id],
    );
    expect((await reset(expired, 'too-late-password')).__typename).toBe('InvalidResetTokenError');
    const token = await tokenFor(a.email);
    for (const variant of variants(token))
      expect((await reset(variant, 'a-variant-password')).__typename).toBe('InvalidResetTokenError');
    expect(await reset(token, 'short')).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'newPassword',
    });
    expect(await loginWorks(a.email, a.password)).toBe(true);
    expect((await reset(token, 'finally-a-password')).__typename).toBe('ResetPasswordSuccess');
  });

  it('changePassword spends every unused reset link', async () => {
    const a = await account(env, 'changed');
    const token = await tokenFor(a.email);
    const changed = await field<{ __typename: string }>(
      env,
      CHANGE_PASSWORD,
      { c: a.password, n: 'changed-in-the-meantime' },
      { token: a.session.token! },
    );
    expect(changed.__typename).toBe('AuthPayload');
    expect((await reset(token, 'reset-after-change')).__typename).toBe('InvalidResetTokenError');
  });

  it('logs no token, link or hash of one', () => {
    const logs = env.log.lines.join('\n');
    expect(secrets.length).toBeGreaterThan(10);
    for (const secret of secrets) for (const form of forms(secret)) expect(logs).not.toContain(form);
  });
});
