import { timingSafeEqual, createHash } from 'node:crypto';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors as joseErrors,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  SignJWT,
  type JSONWebKeySet,
  type JWK,
  type JWTVerifyGetKey,
} from 'jose';
import { GraphQLError } from 'graphql';
import { unauthenticated, forbidden } from '@shop/errors';

export const ROLES = ['CUSTOMER', 'ADMIN'] as const;
export type Role = (typeof ROLES)[number];

/** Who is asking: the verified claims of the access token. */
export interface Viewer {
  id: string;
  role: Role;
  email: string;
}

export const TOKEN_ISSUER = 'shop-users';
export const TOKEN_AUDIENCE = 'shop';
export const TOKEN_ALG = 'EdDSA';

/** The header the router adds to every subgraph request. */
export const ROUTER_SECRET_HEADER = 'x-router-secret';

/**
 * The address of the client as the router saw it, added by the router to every subgraph request
 * (subgraphs trust it only on requests carrying the router secret), e.g. for per-address login limits.
 */
export const CLIENT_ADDRESS_HEADER = 'x-client-address';

// ---- signing (users subgraph, tests) ----------------------------------------------------------

export interface SigningKey {
  kid: string;
  privateJwk: JWK;
}

export async function generateSigningKey(kid: string): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair(TOKEN_ALG, { crv: 'Ed25519', extractable: true });
  return { kid, privateJwk: { ...(await exportJWK(privateKey)), kid, alg: TOKEN_ALG, use: 'sig' } };
}

/** The public half of a signing key, for the JWKS. */
export function publicJwk(key: SigningKey): JWK {
  const { d: _private, ...pub } = key.privateJwk;
  return { ...pub, kid: key.kid, alg: TOKEN_ALG, use: 'sig' };
}

/**
 * Signs access tokens with the first key; the JWKS publishes all keys, so tokens signed by the
 * previous key stay valid until they expire while a new key is rolled out.
 */
export async function createTokenSigner(keys: SigningKey[], ttlSeconds: number) {
  const [current] = keys;
  if (!current) throw new Error('at least one signing key is required');
  const privateKey = await importJWK(current.privateJwk, TOKEN_ALG);
  return {
    jwks: (): JSONWebKeySet => ({ keys: keys.map(publicJwk) }),
    ttlSeconds,
    sign: async (viewer: Viewer): Promise<{ token: string; expiresAt: Date }> => {
      const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
      const token = await new SignJWT({ role: viewer.role, email: viewer.email })
        .setProtectedHeader({ alg: TOKEN_ALG, kid: current.kid, typ: 'JWT' })
        .setSubject(viewer.id)
        .setIssuer(TOKEN_ISSUER)
        .setAudience(TOKEN_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
        .sign(privateKey);
      return { token, expiresAt };
    },
  };
}
export type TokenSigner = Awaited<ReturnType<typeof createTokenSigner>>;

// ---- verifying (every subgraph) ---------------------------------------------------------------

export type KeySource = { jwksUrl: string } | { jwks: JSONWebKeySet };

export function createTokenVerifier(source: KeySource) {
  const getKey: JWTVerifyGetKey =
    'jwksUrl' in source
      ? createRemoteJWKSet(new URL(source.jwksUrl), { cooldownDuration: 5_000, cacheMaxAge: 10 * 60_000 })
      : createLocalJWKSet(source.jwks);
  return async function verify(token: string): Promise<Viewer> {
    const { payload } = await jwtVerify(token, getKey, {
      algorithms: [TOKEN_ALG],
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      requiredClaims: ['sub', 'exp', 'role', 'email'],
    });
    const role = payload.role;
    if (
      typeof payload.sub !== 'string' ||
      typeof payload.email !== 'string' ||
      !ROLES.includes(role as Role)
    ) {
      // a jose error: a token of ours that can never verify is INVALID, not a reason to retry
      throw new joseErrors.JWTClaimValidationFailed(
        'token claims are malformed',
        payload,
        'role',
        'check_failed',
      );
    }
    return { id: payload.sub, role: role as Role, email: payload.email };
  };
}
export type TokenVerifier = ReturnType<typeof createTokenVerifier>;

/**
 * What an Authorization header says, without throwing: no header (ANONYMOUS), a verified token
 * (VIEWER), a token whose signature is ours but whose time is over (EXPIRED: jose checks the
 * signature before the claims), anything else that is not a valid token of ours (INVALID: not
 * "Bearer <token>", another key, tampered, wrong issuer or audience, malformed claims), or the keys
 * could not be fetched (UNAVAILABLE: the users subgraph is down or slow; the token may be fine).
 */
export type AuthorizationCheck =
  | { kind: 'ANONYMOUS' }
  | { kind: 'VIEWER'; viewer: Viewer }
  | { kind: 'EXPIRED' }
  | { kind: 'INVALID'; malformed: boolean }
  | { kind: 'UNAVAILABLE' };

export async function checkAuthorization(
  authorization: string | undefined,
  verify: TokenVerifier,
): Promise<AuthorizationCheck> {
  if (!authorization) return { kind: 'ANONYMOUS' };
  const match = /^Bearer ([A-Za-z0-9_\-.]+)$/.exec(authorization.trim());
  if (!match?.[1]) return { kind: 'INVALID', malformed: true };
  try {
    return { kind: 'VIEWER', viewer: await verify(match[1]) };
  } catch (error) {
    // jose's errors say the token is bad; anything else (the JWKS could not be fetched because the
    // users subgraph is down or slow) is our problem, and the client should retry, not log in again.
    if (error instanceof joseErrors.JWTExpired) return { kind: 'EXPIRED' };
    if (error instanceof joseErrors.JOSEError && !(error instanceof joseErrors.JWKSTimeout))
      return { kind: 'INVALID', malformed: false };
    return { kind: 'UNAVAILABLE' };
  }
}

/**
 * The viewer of a request: null without an Authorization header; a present but invalid token is
 * an UNAUTHENTICATED error (a client with a stale token must hear about it, not be served as anonymous).
 */
export async function viewerFromAuthorization(
  authorization: string | undefined,
  verify: TokenVerifier,
): Promise<Viewer | null> {
  const check = await checkAuthorization(authorization, verify);
  switch (check.kind) {
    case 'ANONYMOUS':
      return null;
    case 'VIEWER':
      return check.viewer;
    case 'INVALID':
      throw invalidToken(
        check.malformed ? 'Authorization header must be "Bearer <token>"' : 'Invalid or expired token',
      );
    case 'EXPIRED':
      throw invalidToken('Invalid or expired token');
    case 'UNAVAILABLE':
      throw keysUnavailable();
  }
}

/** SERVICE_UNAVAILABLE with HTTP 503: the signing keys could not be fetched. */
function keysUnavailable() {
  return new GraphQLError(
    'Tokens cannot be verified right now (the users service is unavailable); try again',
    {
      extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } },
    },
  );
}

/** UNAUTHENTICATED with HTTP 401: Apollo Server uses extensions.http for the response status. */
function invalidToken(message: string) {
  return new GraphQLError(message, {
    extensions: {
      code: 'UNAUTHENTICATED',
      http: { status: 401 },
    },
  });
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Constant-time check of the router's shared secret. */
export function hasRouterSecret(headerValue: string | string[] | undefined, secret: string): boolean {
  if (typeof headerValue !== 'string') return false;
  return timingSafeEqual(digest(headerValue), digest(secret));
}

// ---- authorization helpers --------------------------------------------------------------------

export function requireViewer(viewer: Viewer | null): Viewer {
  if (!viewer) throw unauthenticated();
  return viewer;
}

export function requireAdmin(viewer: Viewer | null): Viewer {
  const v = requireViewer(viewer);
  if (v.role !== 'ADMIN') throw forbidden('Administrators only');
  return v;
}

/** The owner of a record or an admin. */
export function canAccess(viewer: Viewer | null, ownerId: string): boolean {
  return !!viewer && (viewer.role === 'ADMIN' || viewer.id === ownerId);
}
