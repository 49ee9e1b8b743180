import { ME, startUsers, type TestEnv } from './helpers';
import {
  account,
  call,
  CHANGE_PASSWORD,
  field,
  forms,
  refresh,
  signIn,
  type Session,
} from './sessions.helpers';

/**
 * changePassword against PostgreSQL: checked like a login (the same throttle), every session of the
 * account revoked, a fresh session answered; shape refusals count nothing; concurrent changes.
 */

let env: TestEnv;
const secrets: string[] = [];

const change = (token: string, c: string, n: string, address = '203.0.113.1') => {
  secrets.push(c, n);
  return field<Session>(env, CHANGE_PASSWORD, { c, n }, { token, address });
};

async function reasons(userId: string): Promise<(string | null)[]> {
  const { rows } = await env.app.pool.query<{ revoked_reason: string | null }>(
    'SELECT revoked_reason FROM sessions WHERE user_id = $1 ORDER BY created_at, id',
    [userId],
  );
  return rows.map((r) => r.revoked_reason);
}

async function failures(email: string): Promise<number> {
  const { rows } = await env.app.pool.query<{ n: string }>(
    'SELECT coalesce(sum(failures), 0) AS n FROM login_throttle WHERE email = $1',
    [email],
  );
  return Number(rows[0]!.n);
}

const loginWorks = async (email: string, password: string) => {
  const res = await env.app.service.login({ email, password });
  return res.__typename === 'AuthPayload';
};

beforeAll(async () => {
  env = await startUsers('pwchange', { LOGIN_MAX_FAILURES: '3' });
});
afterAll(async () => {
  await env?.close();
});

describe('changePassword', () => {
  it('requires a signed-in viewer', async () => {
    const res = await call(env, CHANGE_PASSWORD, { c: 'whatever-password', n: 'another-password-1' });
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses the shape of the passwords before anything is counted or compared', async () => {
    const a = await account(env, 'shape');
    const token = a.session.token!;
    expect(await change(token, a.password, 'short')).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'newPassword',
      message: 'newPassword must be 10 to 128 characters',
    });
    expect(await change(token, a.password, 'x'.repeat(129))).toMatchObject({ field: 'newPassword' });
    expect(await change(token, a.password, a.password)).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'newPassword',
      message: 'newPassword must differ from the current password',
    });
    expect(await change(token, 'x'.repeat(600), 'a-new-password-1')).toMatchObject({
      field: 'currentPassword',
    });
    expect(await change(token, 'bad \ud800 text', 'a-new-password-1')).toMatchObject({
      field: 'currentPassword',
    });
    expect(await failures(a.email)).toBe(0);
    expect(await reasons(a.id)).toEqual([null]);
  });

  it('a wrong current password is InvalidCredentialsError and changes nothing', async () => {
    const a = await account(env, 'wrong');
    const refused = await change(a.session.token!, 'not-the-password', 'a-new-password-1');
    expect(refused).toEqual({
      __typename: 'InvalidCredentialsError',
      message: 'The current password is wrong',
    });
    expect(await loginWorks(a.email, a.password)).toBe(true);
    expect(await loginWorks(a.email, 'a-new-password-1')).toBe(false);
    expect((await refresh(env, a.session.refreshToken!)).__typename).toBe('AuthPayload');
  });

  it('is throttled like login, per account and client address', async () => {
    const a = await account(env, 'throttle');
    for (let i = 0; i < 3; i++)
      expect((await change(a.session.token!, `wrong-password-${i}`, 'a-new-password-1')).__typename).toBe(
        'InvalidCredentialsError',
      );
    // the right password from the same address now waits, compared with nothing
    const waiting = await change(a.session.token!, a.password, 'a-new-password-1');
    expect(waiting).toMatchObject({ __typename: 'TooManyAttemptsError' });
    expect(waiting.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(waiting.retryAfterSeconds).toBeLessThanOrEqual(30);
    // login from there waits too: one throttle for both
    const login = await env.app.service.login(
      { email: a.email, password: a.password },
      { clientAddress: '203.0.113.1' },
    );
    expect(login.__typename).toBe('TooManyAttemptsError');
    // from another address the owner gets through
    const changed = await change(a.session.token!, a.password, 'a-new-password-1', '198.51.100.7');
    expect(changed.__typename).toBe('AuthPayload');
  });

  it('revokes every session of the account and answers a fresh one; the old password stops working', async () => {
    const a = await account(env, 'change');
    const others = [await signIn(env, a), await signIn(env, a)];
    const bystander = await account(env, 'bystander');
    const changed = await change(a.session.token!, a.password, 'a-brand-new-password');
    secrets.push(changed.token!, changed.refreshToken!);
    expect(changed).toMatchObject({ __typename: 'AuthPayload', user: { id: a.id, email: a.email } });
    for (const s of [a.session, ...others])
      expect((await refresh(env, s.refreshToken!)).__typename).toBe('InvalidRefreshTokenError');
    expect(await reasons(a.id)).toEqual(['PASSWORD_CHANGED', 'PASSWORD_CHANGED', 'PASSWORD_CHANGED', null]);
    const next = await refresh(env, changed.refreshToken!);
    expect(next.__typename).toBe('AuthPayload');
    const me = await call<{ me: { id: string } }>(env, ME, {}, { token: changed.token! });
    expect(me.data?.me.id).toBe(a.id);
    expect(await loginWorks(a.email, a.password)).toBe(false);
    expect(await loginWorks(a.email, 'a-brand-new-password')).toBe(true);
    expect((await refresh(env, bystander.session.refreshToken!)).__typename).toBe('AuthPayload');
  });

  it('two concurrent changes: one password wins, and only the session of that change stays', async () => {
    const a = await account(env, 'race');
    const [one, two] = await Promise.all([
      change(a.session.token!, a.password, 'password-number-one'),
      change(a.session.token!, a.password, 'password-number-two'),
    ]);
    const answered = [one!, two!].filter((r) => r.__typename === 'AuthPayload');
    expect(answered.length).toBeGreaterThanOrEqual(1);
    const works = [
      await loginWorks(a.email, 'password-number-one'),
      await loginWorks(a.email, 'password-number-two'),
    ];
    expect(works.filter(Boolean)).toHaveLength(1);
    // the change whose password stands is the one whose session is still live
    const winner = works[0] ? one! : two!;
    expect(winner.__typename).toBe('AuthPayload');
    const loser = works[0] ? two! : one!;
    if (loser.__typename === 'AuthPayload')
      expect((await refresh(env, loser.refreshToken!)).__typename).toBe('InvalidRefreshTokenError');
    expect((await refresh(env, winner.refreshToken!)).__typename).toBe('AuthPayload');
  });

  it('logs no password or token', () => {
    const logs = env.log.lines.join('\n');
    for (const secret of secrets) for (const form of forms(secret)) expect(logs).not.toContain(form);
  });
});
