import { createHash } from 'node:crypto';
import { ME, startUsers, type TestEnv } from './helpers';
import {
  account,
  call,
  field,
  forms,
  LOGOUT,
  LOGOUT_EVERYWHERE,
  refresh,
  signIn,
  variants,
  type Session,
} from './sessions.helpers';

/**
 * Sessions against PostgreSQL: refresh tokens rotate on every use, a spent one presented again
 * revokes its session (and only it), concurrent uses of one token let exactly one through, logout
 * and logoutEverywhere, lifetimes and the per-user limit. Password changes: sessions.password.int.test.ts.
 */

let env: TestEnv;
const secrets: string[] = [];

const keep = (session: Session) => {
  secrets.push(session.token!, session.refreshToken!);
  return session;
};

/** The session's row state of the session a refresh token belongs to. */
async function sessionOf(refreshToken: string) {
  const { rows } = await env.app.pool.query<{ id: string; revoked_reason: string | null }>(
    `SELECT s.id, s.revoked_reason FROM sessions s JOIN refresh_tokens t ON t.session_id = s.id
     WHERE t.token_hash = $1`,
    [createHash('sha256').update(refreshToken).digest()],
  );
  return rows[0];
}

beforeAll(async () => {
  env = await startUsers('sessions', { SESSIONS_PER_USER: '4' });
});
afterAll(async () => {
  await env?.close();
});

describe('sessions: refresh tokens', () => {
  it('register and login answer a 256-bit opaque refresh token; only its SHA-256 is stored', async () => {
    const before = Date.now();
    const { session, ...credentials } = await account(env, 'opaque');
    const second = keep(await signIn(env, credentials));
    for (const s of [keep(session), second]) {
      expect(s.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(s.refreshToken!, 'base64url')).toHaveLength(32);
      // SESSION_IDLE_SECONDS: 14 days by default
      const idle = new Date(s.refreshExpiresAt!).getTime() - before;
      expect(idle).toBeGreaterThanOrEqual(14 * 86_400_000 - 1_000);
      expect(idle).toBeLessThanOrEqual(14 * 86_400_000 + 60_000);
    }
    expect(second.refreshToken).not.toBe(session.refreshToken);
    const { rows } = await env.app.pool.query(
      `SELECT t.*, s.* FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE s.user_id = $1`,
      [credentials.id],
    );
    expect(rows).toHaveLength(2);
    const stored = JSON.stringify(rows);
    for (const s of [session, second]) {
      expect(stored).not.toContain(s.refreshToken);
      expect(rows.map((r: { token_hash: Buffer }) => r.token_hash.toString('base64url'))).toContain(
        forms(s.refreshToken!)[3],
      );
    }
  });

  it('rotates on every use: a new access token and a new refresh token of the same session', async () => {
    const { session } = await account(env, 'rotate');
    keep(session);
    const first = await sessionOf(session.refreshToken!);
    const next = keep(await refresh(env, session.refreshToken!));
    expect(next).toMatchObject({ __typename: 'AuthPayload', user: { id: session.user!.id } });
    expect(next.refreshToken).not.toBe(session.refreshToken);
    // (an access token signed within the same second with the same claims is the same JWT)
    expect(new Date(next.expiresAt!).getTime()).toBeGreaterThanOrEqual(
      new Date(session.expiresAt!).getTime(),
    );
    // the viewer's own email shows (the refresh token proved the account)
    expect(next.user!.email).toBe(session.user!.email);
    expect((await sessionOf(next.refreshToken!))!.id).toBe(first!.id);
    const me = await call<{ me: { id: string } }>(env, ME, {}, { token: next.token! });
    expect(me.data?.me.id).toBe(session.user!.id);
    const third = keep(await refresh(env, next.refreshToken!));
    expect(third.__typename).toBe('AuthPayload');
    expect((await sessionOf(third.refreshToken!))!.id).toBe(first!.id);
  });

  it('reuse of a spent token revokes its whole session, and only that session', async () => {
    const { session, ...credentials } = await account(env, 'reuse');
    const other = keep(await signIn(env, credentials));
    const next = keep(await refresh(env, keep(session).refreshToken!));
    expect(next.__typename).toBe('AuthPayload');
    // the attacker replays the spent token
    const replay = await refresh(env, session.refreshToken!);
    expect(replay).toEqual({
      __typename: 'InvalidRefreshTokenError',
      message: 'The refresh token is invalid, expired or revoked; sign in again',
    });
    expect((await sessionOf(session.refreshToken!))!.revoked_reason).toBe('REUSE');
    // the legitimate holder's newest token died with the session
    expect((await refresh(env, next.refreshToken!)).__typename).toBe('InvalidRefreshTokenError');
    // the same account's other session is untouched
    const elsewhere = keep(await refresh(env, other.refreshToken!));
    expect(elsewhere.__typename).toBe('AuthPayload');
    expect(env.log.lines.join('\n')).toMatch(/a spent refresh token was presented again: session revoked/);
  });

  it('10 concurrent refreshes of one token: exactly one wins, the others are reuse and end the session', async () => {
    const { session } = await account(env, 'burst');
    keep(session);
    const results = await Promise.all(Array.from({ length: 10 }, () => refresh(env, session.refreshToken!)));
    results.forEach((r) => r.refreshToken && keep(r));
    const won = results.filter((r) => r.__typename === 'AuthPayload');
    expect(won).toHaveLength(1);
    expect(results.filter((r) => r.__typename === 'InvalidRefreshTokenError')).toHaveLength(9);
    expect((await sessionOf(session.refreshToken!))!.revoked_reason).toBe('REUSE');
    // rotation's invariant held throughout: two tokens in the session, one spent, one (dead) live
    const { rows } = await env.app.pool.query<{ spent: boolean }>(
      `SELECT t.spent_at IS NOT NULL AS spent FROM refresh_tokens t
       WHERE t.session_id = (SELECT session_id FROM refresh_tokens WHERE token_hash = $1)`,
      [createHash('sha256').update(session.refreshToken!).digest()],
    );
    expect(rows.map((r) => r.spent).sort()).toEqual([false, true]);
    expect((await refresh(env, won[0]!.refreshToken!)).__typename).toBe('InvalidRefreshTokenError');
  });

  it('a token in another letter case, cut, padded or wrapped names nothing and revokes nothing', async () => {
    const { session } = await account(env, 'forms');
    keep(session);
    for (const variant of variants(session.refreshToken!)) {
      expect(await refresh(env, variant)).toMatchObject({ __typename: 'InvalidRefreshTokenError' });
      expect(await field(env, LOGOUT, { t: variant })).toEqual({ __typename: 'LogoutSuccess', ok: true });
    }
    expect((await sessionOf(session.refreshToken!))!.revoked_reason).toBeNull();
    expect(keep(await refresh(env, session.refreshToken!)).__typename).toBe('AuthPayload');
  });

  it('an idle token expires; a session ends at its absolute lifetime, which no refresh extends', async () => {
    const { session, ...credentials } = await account(env, 'lifetimes');
    keep(session);
    await env.app.pool.query(
      `UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`,
      [createHash('sha256').update(session.refreshToken!).digest()],
    );
    expect((await refresh(env, session.refreshToken!)).__typename).toBe('InvalidRefreshTokenError');
    // an expired token is not reuse: the session was not revoked for it
    expect((await sessionOf(session.refreshToken!))!.revoked_reason).toBeNull();

    const other = keep(await signIn(env, credentials));
    const sessionId = (await sessionOf(other.refreshToken!))!.id;
    const end = new Date(Date.now() + 120_000);
    await env.app.pool.query('UPDATE sessions SET expires_at = $2 WHERE id = $1', [sessionId, end]);
    const next = keep(await refresh(env, other.refreshToken!));
    // the new token expires with the session, not SESSION_IDLE_SECONDS later
    expect(new Date(next.refreshExpiresAt!).getTime()).toBeLessThanOrEqual(end.getTime());
    await env.app.pool.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      sessionId,
    ]);
    expect((await refresh(env, next.refreshToken!)).__typename).toBe('InvalidRefreshTokenError');
  });

  it('keeps at most SESSIONS_PER_USER live sessions: one more sign-in revokes the oldest', async () => {
    const { session, ...credentials } = await account(env, 'limit');
    keep(session);
    const later = [];
    for (let i = 0; i < 4; i++) later.push(keep(await signIn(env, credentials)));
    expect((await sessionOf(session.refreshToken!))!.revoked_reason).toBe('LIMIT');
    expect((await refresh(env, session.refreshToken!)).__typename).toBe('InvalidRefreshTokenError');
    for (const s of later) expect(keep(await refresh(env, s.refreshToken!)).__typename).toBe('AuthPayload');
    const { rows } = await env.app.pool.query(
      'SELECT 1 FROM sessions WHERE user_id = $1 AND revoked_at IS NULL',
      [credentials.id],
    );
    expect(rows).toHaveLength(4);
  });
});

describe('sessions: logout and logoutEverywhere', () => {
  it('logout revokes the session; always the same answer (twice, unknown or garbage tokens)', async () => {
    const { session, ...credentials } = await account(env, 'logout');
    const other = keep(await signIn(env, credentials));
    keep(session);
    const answers = [
      await field(env, LOGOUT, { t: session.refreshToken }),
      await field(env, LOGOUT, { t: session.refreshToken }),
      await field(env, LOGOUT, { t: 'A'.repeat(43) }),
      await field(env, LOGOUT, { t: 'not a token' }),
    ];
    for (const a of answers) expect(a).toEqual({ __typename: 'LogoutSuccess', ok: true });
    expect((await sessionOf(session.refreshToken!))!.revoked_reason).toBe('LOGOUT');
    expect((await refresh(env, session.refreshToken!)).__typename).toBe('InvalidRefreshTokenError');
    // the access token already issued stays valid until it expires (documented)
    expect((await call<{ me: { id: string } }>(env, ME, {}, { token: session.token! })).data?.me.id).toBe(
      credentials.id,
    );
    expect(keep(await refresh(env, other.refreshToken!)).__typename).toBe('AuthPayload');
  });

  it('logout with an earlier (spent) token of the session ends the session too', async () => {
    const { session } = await account(env, 'logout-spent');
    const next = keep(await refresh(env, keep(session).refreshToken!));
    await field(env, LOGOUT, { t: session.refreshToken });
    expect((await refresh(env, next.refreshToken!)).__typename).toBe('InvalidRefreshTokenError');
  });

  it('logoutEverywhere ends every session of the viewer and no one else’s; anonymous is UNAUTHENTICATED', async () => {
    const anonymous = await call(env, LOGOUT_EVERYWHERE);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const { session, ...credentials } = await account(env, 'everywhere');
    const sessions = [
      keep(session),
      keep(await signIn(env, credentials)),
      keep(await signIn(env, credentials)),
    ];
    const bystander = await account(env, 'bystander');
    keep(bystander.session);
    const done = await field(env, LOGOUT_EVERYWHERE, {}, { token: session.token! });
    expect(done).toEqual({ __typename: 'LogoutEverywhereSuccess', revokedSessions: 3 });
    for (const s of sessions)
      expect((await refresh(env, s.refreshToken!)).__typename).toBe('InvalidRefreshTokenError');
    expect(keep(await refresh(env, bystander.session.refreshToken!)).__typename).toBe('AuthPayload');
    expect(await field(env, LOGOUT_EVERYWHERE, {}, { token: session.token! })).toEqual({
      __typename: 'LogoutEverywhereSuccess',
      revokedSessions: 0,
    });
  });

  it('prunes sessions revoked or expired more than a day ago, with their tokens', async () => {
    const { session } = await account(env, 'prune');
    keep(session);
    await field(env, LOGOUT, { t: session.refreshToken });
    const { id } = (await sessionOf(session.refreshToken!))!;
    await env.app.pool.query(`UPDATE sessions SET revoked_at = now() - interval '25 hours' WHERE id = $1`, [
      id,
    ]);
    expect(await env.app.service.pruneSessions()).toBeGreaterThanOrEqual(1);
    expect(await sessionOf(session.refreshToken!)).toBeUndefined();
    const { rows } = await env.app.pool.query('SELECT 1 FROM refresh_tokens WHERE session_id = $1', [id]);
    expect(rows).toHaveLength(0);
  });

  it('logs no token of any session, nor any hash of one', () => {
    const logs = env.log.lines.join('\n');
    expect(secrets.length).toBeGreaterThan(40);
    for (const secret of secrets) for (const form of forms(secret)) expect(logs).not.toContain(form);
  });
});
