import { requireViewer, type TokenSigner, type Viewer } from '@shop/auth';
import { unauthenticated } from '@shop/errors';
import { isWellFormed } from '@shop/graphql';
import type { Logger } from '@shop/server';
import type { UserModel } from './models';
import type { PasswordHasher } from './passwords';
import type { SessionPolicy, SessionsRepository } from './sessions.repository';
import { decideAttempt, type ThrottlePolicy } from './throttle';
import { hashOfPresented, newToken } from './tokens';
import type { UsersRepository } from './users.repository';
import { checkPassword, invalidInput, isInvalid, PASSWORD_MAX, type InvalidInput } from './validation';

/**
 * Sessions, the rules (UsersService delegates here): a sign-in opens a session with a refresh token
 * that rotates on every use, reuse of a spent one revokes the session, logout ends one session,
 * logoutEverywhere all of them, and changePassword all of them but the one it opens for the caller.
 */

export interface AuthPayload {
  __typename: 'AuthPayload';
  token: string;
  expiresAt: Date;
  refreshToken: string;
  refreshExpiresAt: Date;
  user: UserModel;
}
export interface InvalidCredentials {
  __typename: 'InvalidCredentialsError';
  message: string;
}
export interface TooManyAttempts {
  __typename: 'TooManyAttemptsError';
  message: string;
  retryAfterSeconds: number;
}
export interface InvalidRefreshToken {
  __typename: 'InvalidRefreshTokenError';
  message: string;
}
export interface LogoutSuccess {
  __typename: 'LogoutSuccess';
  ok: true;
}
export interface LogoutEverywhereSuccess {
  __typename: 'LogoutEverywhereSuccess';
  revokedSessions: number;
}

export type RefreshSessionOutcome = AuthPayload | InvalidRefreshToken;
export type ChangePasswordOutcome = AuthPayload | InvalidCredentials | TooManyAttempts | InvalidInput;

export interface SessionsDeps {
  repository: UsersRepository;
  sessions: SessionsRepository;
  passwords: PasswordHasher;
  signer: TokenSigner;
  log: Logger;
  throttle: ThrottlePolicy;
  sessionPolicy: SessionPolicy;
}

const INVALID_REFRESH_TOKEN: InvalidRefreshToken = {
  __typename: 'InvalidRefreshTokenError',
  message: 'The refresh token is invalid, expired or revoked; sign in again',
};

/** The answer of a sign-in: an access token and the session's refresh token. */
async function payload(
  deps: SessionsDeps,
  user: UserModel,
  refresh: { token: string; refreshExpiresAt: Date },
): Promise<AuthPayload> {
  const { token, expiresAt } = await deps.signer.sign({ id: user.id, role: user.role, email: user.email });
  return {
    __typename: 'AuthPayload',
    token,
    expiresAt,
    refreshToken: refresh.token,
    refreshExpiresAt: refresh.refreshExpiresAt,
    user,
  };
}

/** Signs a user in (register, login): a new session and an access token. */
export async function signIn(deps: SessionsDeps, user: UserModel): Promise<AuthPayload> {
  const refresh = newToken();
  const session = await deps.sessions.open(user.id, refresh.hash, deps.sessionPolicy);
  return payload(deps, user, { token: refresh.token, refreshExpiresAt: session.refreshExpiresAt });
}

/**
 * Counts one password check of `email` from `clientAddress` under the login throttle (before the
 * password is compared): null when admitted, else TooManyAttemptsError.
 */
export async function throttledAttempt(
  deps: Pick<SessionsDeps, 'repository' | 'throttle' | 'log'>,
  email: string,
  clientAddress: string,
): Promise<TooManyAttempts | { failures: number }> {
  const attempt = await deps.repository.countLoginAttempt(email, clientAddress, (buckets) =>
    decideAttempt(deps.throttle, buckets),
  );
  if (attempt.admitted) return { failures: attempt.account };
  const retryAfterSeconds = Math.max(1, Math.ceil(attempt.waitSeconds));
  deps.log.warn({ retryAfterSeconds }, 'password check throttled');
  return {
    __typename: 'TooManyAttemptsError',
    message: `Too many failed sign-ins; try again in ${retryAfterSeconds} seconds`,
    retryAfterSeconds,
  };
}

/**
 * refreshSession: spends the refresh token and answers a new access token with the session's next
 * refresh token. A token that was already spent revokes its whole session (someone else holds a
 * copy). Unknown, expired, revoked and reused tokens answer the same InvalidRefreshTokenError.
 */
export async function refreshSession(
  deps: SessionsDeps,
  refreshToken: string,
): Promise<RefreshSessionOutcome> {
  const presented = hashOfPresented(refreshToken);
  if (!presented) return INVALID_REFRESH_TOKEN;
  const next = newToken();
  const outcome = await deps.sessions.rotate(presented, next.hash, deps.sessionPolicy.idleSeconds);
  if (outcome.kind === 'REUSED') {
    deps.log.warn(
      { userId: outcome.userId, sessionId: outcome.sessionId },
      'a spent refresh token was presented again: session revoked',
    );
    return INVALID_REFRESH_TOKEN;
  }
  if (outcome.kind === 'INVALID') return INVALID_REFRESH_TOKEN;
  const user = await deps.repository.findById(outcome.userId);
  if (!user) return INVALID_REFRESH_TOKEN;
  deps.log.info({ userId: user.id, sessionId: outcome.sessionId }, 'session refreshed');
  return payload(deps, user, { token: next.token, refreshExpiresAt: outcome.refreshExpiresAt });
}

/** logout: revokes the token's session. The same answer whether the token named one or not. */
export async function logout(deps: SessionsDeps, refreshToken: string): Promise<LogoutSuccess> {
  const presented = hashOfPresented(refreshToken);
  const ended = presented ? await deps.sessions.revokeByToken(presented, 'LOGOUT') : 0;
  deps.log.info({ sessionsEnded: ended }, 'logout');
  return { __typename: 'LogoutSuccess', ok: true };
}

/** logoutEverywhere: revokes every session of the signed-in user. */
export async function logoutEverywhere(
  deps: SessionsDeps,
  viewer: Viewer | null,
): Promise<LogoutEverywhereSuccess> {
  const { id } = requireViewer(viewer);
  const revokedSessions = await deps.sessions.revokeAll(id, 'LOGOUT_EVERYWHERE');
  deps.log.info({ userId: id, revokedSessions }, 'logout everywhere');
  return { __typename: 'LogoutEverywhereSuccess', revokedSessions };
}

/** checkPassword's refusal, naming the argument newPassword. */
export const asNewPassword = (refusal: InvalidInput): InvalidInput =>
  invalidInput('newPassword', refusal.message.replace(/^password/, 'newPassword'));

/** An ill-formed or overlong password given as the current one: refused before anything is counted. */
function checkCurrent(password: string): InvalidInput | null {
  if (password.length > PASSWORD_MAX * 4)
    return invalidInput('currentPassword', `currentPassword must be at most ${PASSWORD_MAX} characters`);
  if (!isWellFormed(password))
    return invalidInput('currentPassword', 'currentPassword must be well-formed Unicode text');
  return null;
}

/**
 * changePassword: the current password is checked under the login throttle (the attempt counted
 * before it is compared, per account and client address and per address), then the new one is
 * stored, every session of the user is revoked (the caller's included) and a new session is opened
 * for the caller, whose AuthPayload this answers.
 */
export async function changePassword(
  deps: SessionsDeps,
  viewer: Viewer | null,
  input: { currentPassword: string; newPassword: string },
  clientAddress: string,
): Promise<ChangePasswordOutcome> {
  const { id } = requireViewer(viewer);
  const current = checkCurrent(input.currentPassword);
  if (current) return current;
  const checked = checkPassword(input.newPassword);
  if (isInvalid(checked)) return asNewPassword(checked);
  if (checked === input.currentPassword)
    return invalidInput('newPassword', 'newPassword must differ from the current password');
  const user = await deps.repository.findById(id);
  if (!user) throw unauthenticated('The account of this token no longer exists');
  const attempt = await throttledAttempt(deps, user.email, clientAddress);
  if ('__typename' in attempt) return attempt;
  if (!(await deps.repository.authenticate(user.email, input.currentPassword))) {
    deps.log.info({ userId: id, failures: attempt.failures }, 'password change refused: wrong password');
    return { __typename: 'InvalidCredentialsError', message: 'The current password is wrong' };
  }
  await deps.repository.loginSucceeded(user.email, clientAddress);
  const passwordHash = await deps.passwords.hash(checked);
  const refresh = newToken();
  const session = await deps.sessions.changePassword(id, passwordHash, refresh.hash, deps.sessionPolicy);
  if (!session) throw unauthenticated('The account of this token no longer exists');
  deps.log.info({ userId: id }, 'password changed: every other session revoked');
  return payload(deps, user, { token: refresh.token, refreshExpiresAt: session.refreshExpiresAt });
}
