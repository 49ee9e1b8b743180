/**
 * Password reset through the gateway, delivered by notifications through Mailpit: the email arrives
 * with a working single-use link, an unknown address is answered the same and gets nothing, the
 * link's token is kept in clear nowhere (not in the logs, not in the notifications bucket).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { mailpit, waitFor } from '@shop/testing';
import { createTestEnvironment, type TestEnvironment } from '../environment';
import {
  bearer,
  bucketContents,
  CHANGE_PASSWORD,
  field,
  forms,
  LOGIN,
  REFRESH,
  REGISTER,
  REQUEST_RESET,
  RESET_PASSWORD,
  type Payload,
} from './support';

let env: TestEnvironment;
const secrets: string[] = [];
/** Every address a reset email went to (their links are read again at the end). */
const recipients: string[] = [];

async function shopper(label: string) {
  const input = {
    email: `${label}-${randomUUID().slice(0, 8)}@example.com`,
    password: `${label}-password-1`,
    name: `${label} <b>&</b>`,
  };
  const session = await field<Payload>(env, REGISTER, { input });
  if (session.__typename !== 'AuthPayload') throw new Error(`register refused: ${session.__typename}`);
  recipients.push(input.email);
  return { ...input, id: session.user!.id, session };
}

const login = async (email: string, password: string) =>
  (await field<Payload>(env, LOGIN, { input: { email, password } })).__typename;

/** Asks for a reset and waits for the email; the link and its token. */
async function resetEmail(address: string, count = 1) {
  const asked = await field(env, REQUEST_RESET, { e: address });
  expect(asked).toEqual({
    __typename: 'RequestPasswordResetSuccess',
    message: 'If an account uses this email address, a link to reset its password is on its way',
  });
  const messages = await waitFor(async () => {
    const found = await mailpit.messagesTo(address);
    return found.length >= count ? found : null;
  });
  const mail = await mailpit.message(messages[0]!.ID);
  const link = /https?:\/\/\S+/.exec(mail.Text)![0];
  const token = new URL(link).searchParams.get('token')!;
  secrets.push(link, token);
  return { mail, link, token };
}

beforeAll(async () => {
  env = await createTestEnvironment();
}, 120_000);
afterAll(async () => {
  await env?.stop();
});

describe('password reset through the gateway and Mailpit', () => {
  it('emails a working link: the password changes, every session ends, the link works once', async () => {
    const ada = await shopper('reset');
    const { mail, link, token } = await resetEmail(ada.email);
    expect(mail.Subject).toBe('Reset your password');
    expect(link.startsWith('http://localhost:3000/reset-password?token=')).toBe(true);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(mail.HTML).toContain('reset &lt;b&gt;&amp;&lt;/b&gt;');
    expect(mail.HTML).toContain(`href="${link}"`);
    const done = await field(env, RESET_PASSWORD, { t: token, n: 'a-new-reset-password' });
    expect(done).toEqual({ __typename: 'ResetPasswordSuccess', email: ada.email });
    expect(await login(ada.email, ada.password)).toBe('InvalidCredentialsError');
    expect(await login(ada.email, 'a-new-reset-password')).toBe('AuthPayload');
    expect((await field<Payload>(env, REFRESH, { t: ada.session.refreshToken })).__typename).toBe(
      'InvalidRefreshTokenError',
    );
    expect(await field(env, RESET_PASSWORD, { t: token, n: 'yet-another-password' })).toMatchObject({
      __typename: 'InvalidResetTokenError',
    });
  });

  it('an unknown address: the same answer, and nothing is sent', async () => {
    const nobody = `nobody-${randomUUID().slice(0, 8)}@example.com`;
    const known = await shopper('known');
    const answers = [
      await field(env, REQUEST_RESET, { e: nobody }),
      await field(env, REQUEST_RESET, { e: known.email }),
    ];
    expect(answers[0]).toEqual(answers[1]);
    await waitFor(async () => (await mailpit.messagesTo(known.email)).length === 1);
    await sleep(500);
    expect(await mailpit.messagesTo(nobody)).toEqual([]);
  });

  it('two concurrent resets with one link: exactly one sets the password', async () => {
    const grace = await shopper('race');
    const { token } = await resetEmail(grace.email);
    const results = await Promise.all([
      field<{ __typename: string }>(env, RESET_PASSWORD, { t: token, n: 'race-password-one' }),
      field<{ __typename: string }>(env, RESET_PASSWORD, { t: token, n: 'race-password-two' }),
    ]);
    expect(results.map((r) => r.__typename).sort()).toEqual([
      'InvalidResetTokenError',
      'ResetPasswordSuccess',
    ]);
    const won = results[0]!.__typename === 'ResetPasswordSuccess' ? 'race-password-one' : 'race-password-two';
    expect(await login(grace.email, won)).toBe('AuthPayload');
  });

  it('an expired link is refused; changePassword makes an unused link useless', async () => {
    const alan = await shopper('expired');
    const first = await resetEmail(alan.email);
    const pool = new pg.Pool({ connectionString: env.stores.postgresUrl });
    try {
      await pool.query(
        `UPDATE password_resets SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
        [alan.id],
      );
    } finally {
      await pool.end();
    }
    expect(await field(env, RESET_PASSWORD, { t: first.token, n: 'too-late-password' })).toMatchObject({
      __typename: 'InvalidResetTokenError',
    });
    const second = await resetEmail(alan.email, 2);
    const changed = await field<Payload>(
      env,
      CHANGE_PASSWORD,
      { c: alan.password, n: 'changed-meanwhile-1' },
      bearer(alan.session.token!),
    );
    expect(changed.__typename).toBe('AuthPayload');
    expect(await field(env, RESET_PASSWORD, { t: second.token, n: 'reset-after-change' })).toMatchObject({
      __typename: 'InvalidResetTokenError',
    });
  });

  it('the 4th request for one address within the hour is throttled, known or not', async () => {
    const known = await shopper('throttle');
    const nobody = `throttle-nobody-${randomUUID().slice(0, 8)}@example.com`;
    for (const address of [known.email, nobody]) {
      for (let i = 0; i < 3; i++)
        expect(await field(env, REQUEST_RESET, { e: address })).toMatchObject({
          __typename: 'RequestPasswordResetSuccess',
        });
      expect(await field(env, REQUEST_RESET, { e: address })).toMatchObject({
        __typename: 'TooManyAttemptsError',
      });
    }
    await waitFor(async () => (await mailpit.messagesTo(known.email)).length === 3);
  });

  it('keeps no token or link in clear: not in the logs, not in the notifications bucket, not in PostgreSQL', async () => {
    for (const address of recipients)
      for (const message of await mailpit.messagesTo(address)) {
        const link = /https?:\/\/\S+/.exec((await mailpit.message(message.ID)).Text)![0];
        secrets.push(link, new URL(link).searchParams.get('token')!);
      }
    expect(secrets.length).toBeGreaterThanOrEqual(20);
    const logs = env.logs.join('\n');
    const bucket = await bucketContents(env);
    const pool = new pg.Pool({ connectionString: env.stores.postgresUrl });
    let stored: string;
    try {
      const { rows } = await pool.query('SELECT * FROM password_resets');
      stored = JSON.stringify(rows);
    } finally {
      await pool.end();
    }
    // notifications stored nothing at all for the reset emails (this run placed no order)
    expect(bucket).toBe('');
    for (const secret of secrets) {
      for (const form of forms(secret)) expect(logs).not.toContain(form);
      expect(stored).not.toContain(secret);
    }
  });
});
