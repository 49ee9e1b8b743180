/**
 * What the sessions suite shares: the operations through the gateway, a way to get an access token
 * users signed that has expired, and readers of what the stores and the logs hold.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTokenSigner, type SigningKey, type Viewer } from '@shop/auth';
import { connectNats, jetstreamManager, natsNames } from '@shop/messaging';
import { gql } from '@shop/testing';
import type { TestEnvironment } from '../environment';

const PAYLOAD = `__typename
  ... on AuthPayload { token expiresAt refreshToken refreshExpiresAt user { id email } }
  ... on Error { message }`;

export const REGISTER = `mutation ($input: RegisterInput!) { register(input: $input) { ${PAYLOAD} } }`;
export const LOGIN = `mutation ($input: LoginInput!) { login(input: $input) { ${PAYLOAD} } }`;
export const REFRESH = `mutation ($t: String!) { refreshSession(refreshToken: $t) { ${PAYLOAD} } }`;
export const LOGOUT = `mutation ($t: String!) { logout(refreshToken: $t) { __typename ok } }`;
export const LOGOUT_EVERYWHERE = `mutation { logoutEverywhere { __typename revokedSessions } }`;
export const CHANGE_PASSWORD = `mutation ($c: String!, $n: String!) {
  changePassword(currentPassword: $c, newPassword: $n) { ${PAYLOAD} } }`;
export const REQUEST_RESET = `mutation ($e: String!) { requestPasswordReset(email: $e) {
  __typename ... on RequestPasswordResetSuccess { message } ... on Error { message } } }`;
export const RESET_PASSWORD = `mutation ($t: String!, $n: String!) { resetPassword(token: $t, newPassword: $n) {
  __typename ... on ResetPasswordSuccess { email } ... on Error { message } } }`;
export const ME = '{ me { id email } }';
export const PRODUCTS = '{ products(first: 2) { edges { node { id name } } } }';

export interface Payload {
  __typename: string;
  token?: string;
  refreshToken?: string;
  refreshExpiresAt?: string;
  message?: string;
  user?: { id: string; email: string | null };
}

export type Response<T> = Awaited<ReturnType<typeof gql<T>>> & { extensions?: Record<string, unknown> };

/** One operation through the gateway, optionally with an Authorization header. */
export async function send<T = Record<string, unknown>>(
  env: TestEnvironment,
  query: string,
  variables: Record<string, unknown> = {},
  authorization?: string,
): Promise<Response<T>> {
  return gql<T>(env.url, query, variables, authorization ? { authorization } : {});
}

/** The one field of a mutation through the gateway; throws on a GraphQL error. */
export async function field<T>(
  env: TestEnvironment,
  query: string,
  variables: Record<string, unknown> = {},
  authorization?: string,
): Promise<T> {
  const res = await send<Record<string, T>>(env, query, variables, authorization);
  if (!res.data) throw new Error(`${res.status}: ${JSON.stringify(res.errors)}`);
  return Object.values(res.data)[0]!;
}

export const bearer = (token: string) => `Bearer ${token}`;

/** An access token users' own key signed for `viewer`, already expired when it is returned. */
export async function expiredToken(env: TestEnvironment, viewer: Viewer): Promise<string> {
  const keys = (JSON.parse(env.jwtPrivateKeys) as SigningKey['privateJwk'][]).map((jwk) => ({
    kid: jwk.kid!,
    privateJwk: jwk,
  }));
  const { token, expiresAt } = await (await createTokenSigner(keys, 1)).sign(viewer);
  await sleep(Math.max(0, expiresAt.getTime() - Date.now()) + 1_100);
  return token;
}

/** Every way a secret could be written down: as given, its SHA-256 in hex and base64/base64url. */
export function forms(secret: string): string[] {
  const digest = createHash('sha256').update(secret).digest();
  return [secret, digest.toString('hex'), digest.toString('base64'), digest.toString('base64url')];
}

/** Everything the notifications KV bucket holds (every subject's last message), as one string. */
export async function bucketContents(env: TestEnvironment): Promise<string> {
  const nc = await connectNats(env.stores.natsUrl, 'e2e-sessions-audit');
  try {
    const jsm = await jetstreamManager(nc);
    const bucket = natsNames(env.stores.natsPrefix).buckets.notifications;
    const stream = `KV_${bucket}`;
    // no catch: a bucket that is not there must fail the check, not pass it
    const info = await jsm.streams.info(stream, { subjects_filter: `$KV.${bucket}.>` });
    const parts: string[] = [];
    for (const subject of Object.keys(info.state.subjects ?? {})) {
      const msg = await jsm.streams.getMessage(stream, { last_by_subj: subject }).catch(() => null);
      if (msg) parts.push(`${subject} ${msg.string()}`);
    }
    return parts.join('\n');
  } finally {
    await nc.close();
  }
}
