import { checkAuthorization, type TokenVerifier, type Viewer } from '@shop/auth';
import { serviceUnavailable, unauthenticated } from '@shop/errors';
import type { GraphQLError } from 'graphql';

/** Who holds a subscription: the verified viewer, the token (sent on with every event's query), its expiry. */
export interface Subscriber {
  viewer: Viewer;
  /** "Bearer <token>", as the subgraphs get it with every event's query. */
  authorization: string;
  /** The token's exp, in ms since the epoch: the subscription ends with UNAUTHENTICATED then. */
  expiresAt: number;
}

/** How a connection authenticated: a subscriber, nobody (no token), or a token that was refused. */
export type ConnectionAuth =
  | { kind: 'subscriber'; subscriber: Subscriber }
  | { kind: 'anonymous' }
  | { kind: 'refused'; error: GraphQLError };

/** The `exp` claim of a token whose signature was verified, in ms; 0 when absent (verification requires it). */
function expiryOf(authorization: string): number {
  const payload = authorization.trim().split(' ')[1]?.split('.')[1];
  if (!payload) return 0;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp * 1000 : 0;
  } catch {
    return 0;
  }
}

/**
 * Verifies an Authorization value ("Bearer <JWT>") against users' JWKS (checkAuthorization, as the
 * edge of /graphql does): no value is anonymous; an expired or invalid token is UNAUTHENTICATED
 * (subscriptions never fall back to anonymous, as queries do); keys that cannot be fetched are
 * SERVICE_UNAVAILABLE (the client should retry, not sign in again).
 */
export async function authenticate(
  authorization: string | undefined,
  verifyToken: TokenVerifier,
): Promise<ConnectionAuth> {
  const check = await checkAuthorization(authorization, verifyToken);
  switch (check.kind) {
    case 'ANONYMOUS':
      return { kind: 'anonymous' };
    case 'EXPIRED':
      return { kind: 'refused', error: expiredToken() };
    case 'INVALID':
      return {
        kind: 'refused',
        error: unauthenticated(
          check.malformed ? 'The authorization must be "Bearer <token>"' : 'The access token is invalid',
        ),
      };
    case 'UNAVAILABLE':
      return {
        kind: 'refused',
        error: serviceUnavailable(
          'Tokens cannot be verified right now (the users service is unavailable); try again',
        ),
      };
    case 'VIEWER': {
      const expiresAt = expiryOf(authorization!);
      if (expiresAt <= Date.now()) return { kind: 'refused', error: expiredToken() };
      return {
        kind: 'subscriber',
        subscriber: { viewer: check.viewer, authorization: authorization!.trim(), expiresAt },
      };
    }
  }
}

/** The subscriber of a connection, or the error that refuses its subscription. */
export function subscriberOf(auth: ConnectionAuth): Subscriber | GraphQLError {
  if (auth.kind === 'refused') return auth.error;
  if (auth.kind === 'anonymous') {
    return unauthenticated(
      'Subscriptions need a signed-in user: send the access token (graphql-ws connectionParams { authorization: "Bearer <token>" }, or the Authorization header)',
    );
  }
  if (auth.subscriber.expiresAt <= Date.now()) return expiredToken();
  return auth.subscriber;
}

/** The error that ends a subscription when its token expires (and refuses new ones on the connection). */
export const expiredToken = () =>
  unauthenticated('The access token has expired; connect again with a fresh one');
