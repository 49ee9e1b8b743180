import { createHash } from 'node:crypto';
import { CLIENT_ADDRESS_HEADER, ROUTER_SECRET_HEADER } from '@shop/auth';
import { gql } from '@shop/testing';
import { email, ROUTER_SECRET, type TestEnv } from './helpers';

/** GraphQL documents and helpers of the sessions and password-reset tests. */

const SESSION_FIELDS = `__typename
  ... on AuthPayload { token expiresAt refreshToken refreshExpiresAt user { id email } }
  ... on Error { message }`;
const REFUSALS = `... on InvalidInputError { field } ... on TooManyAttemptsError { retryAfterSeconds }`;

export const REGISTER_SESSION = `mutation ($input: RegisterInput!) { register(input: $input) {
  ${SESSION_FIELDS} ... on InvalidInputError { field } } }`;
export const LOGIN_SESSION = `mutation ($input: LoginInput!) { login(input: $input) { ${SESSION_FIELDS} ${REFUSALS} } }`;
export const REFRESH = `mutation ($t: String!) { refreshSession(refreshToken: $t) { ${SESSION_FIELDS} } }`;
export const LOGOUT = `mutation ($t: String!) { logout(refreshToken: $t) { __typename ok } }`;
export const LOGOUT_EVERYWHERE = `mutation { logoutEverywhere { __typename revokedSessions } }`;
export const CHANGE_PASSWORD = `mutation ($c: String!, $n: String!) {
  changePassword(currentPassword: $c, newPassword: $n) { ${SESSION_FIELDS} ${REFUSALS} } }`;
export const REQUEST_RESET = `mutation ($e: String!) { requestPasswordReset(email: $e) {
  __typename ... on RequestPasswordResetSuccess { message } ... on Error { message }
  ... on TooManyAttemptsError { retryAfterSeconds } ... on InvalidInputError { field } } }`;
export const RESET_PASSWORD = `mutation ($t: String!, $n: String!) { resetPassword(token: $t, newPassword: $n) {
  __typename ... on ResetPasswordSuccess { email } ... on Error { message } ... on InvalidInputError { field } } }`;

export interface Session {
  __typename: string;
  token?: string;
  expiresAt?: string;
  refreshToken?: string;
  refreshExpiresAt?: string;
  message?: string;
  field?: string;
  retryAfterSeconds?: number;
  user?: { id: string; email: string | null };
}

/** One operation through the router-secret check, with an optional token and client address. */
export async function call<T>(
  env: TestEnv,
  query: string,
  variables: Record<string, unknown> = {},
  options: { token?: string; address?: string } = {},
) {
  return gql<T>(env.url, query, variables, {
    [ROUTER_SECRET_HEADER]: ROUTER_SECRET,
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    ...(options.address ? { [CLIENT_ADDRESS_HEADER]: options.address } : {}),
  });
}

/** The one field of a mutation's data; throws on a GraphQL error. */
export async function field<T>(
  env: TestEnv,
  query: string,
  variables: Record<string, unknown> = {},
  options: { token?: string; address?: string } = {},
): Promise<T> {
  const res = await call<Record<string, T>>(env, query, variables, options);
  if (!res.data) throw new Error(`${res.status}: ${JSON.stringify(res.errors)}`);
  return Object.values(res.data)[0]!;
}

export const refresh = (env: TestEnv, token: string) => field<Session>(env, REFRESH, { t: token });

/** Registers an account through GraphQL; its credentials and first session. */
export async function account(env: TestEnv, label: string) {
  const credentials = { email: email(label), password: `${label}-password-long` };
  const session = await field<Session>(env, REGISTER_SESSION, { input: { ...credentials, name: label } });
  if (session.__typename !== 'AuthPayload') throw new Error(`register refused: ${session.__typename}`);
  return { ...credentials, id: session.user!.id, session };
}

/** A further sign-in (a new session) of an account. */
export async function signIn(env: TestEnv, credentials: { email: string; password: string }) {
  const input = { email: credentials.email, password: credentials.password };
  const session = await field<Session>(env, LOGIN_SESSION, { input });
  if (session.__typename !== 'AuthPayload') throw new Error(`login refused: ${session.__typename}`);
  return session;
}

/** Every way a secret could be written down: as given, and its SHA-256 in hex and base64/base64url. */
export function forms(secret: string): string[] {
  const digest = createHash('sha256').update(secret).digest();
  return [secret, digest.toString('hex'), digest.toString('base64'), digest.toString('base64url')];
}

/** Variants of an issued token that must name nothing: other letter cases, cut, padded, wrapped. */
export function variants(token: string): string[] {
  const flip = (c: string) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase());
  const letter = [...token].findIndex((c) => /[a-zA-Z]/.test(c));
  return [
    token.toUpperCase(),
    token.toLowerCase(),
    token.slice(0, letter) + flip(token[letter]!) + token.slice(letter + 1),
    token.slice(0, -1),
    token.slice(1),
    `${token}=`,
    `${token}A`,
    ` ${token}`,
    `${token}\n`,
    Buffer.from(token, 'base64url').toString('base64'),
    Buffer.from(token, 'base64url').toString('hex'),
    '',
    'x'.repeat(10_000),
  ].filter((v) => v !== token);
}
