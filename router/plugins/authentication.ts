import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { checkAuthorization, type TokenVerifier } from '@shop/auth';
import { ErrorCode } from '@shop/errors';
import { sendGraphQLError } from '@shop/server';

/**
 * What the router does with the client's access token on `/graphql`, before anything is planned
 * (docs/sessions.md, "An expired or invalid access token").
 *
 * - No token, or a valid one: passed on to the subgraphs as it is (they verify it again).
 * - Expired (our signature, past `exp`) or invalid (anything else that is not a valid token of
 *   ours, including an Authorization header that is not `Bearer <token>`): the request goes on
 *   **anonymously**: the Authorization header is not sent to any subgraph, so public fields
 *   (products, countries) answer as usual and fields that need a viewer answer as for anyone
 *   anonymous (`me: null`, UNAUTHENTICATED). The response says what happened, for the client to
 *   act on (refresh on EXPIRED, sign in again on INVALID): `extensions.authentication` is
 *   `"EXPIRED"` or `"INVALID"`, and the `WWW-Authenticate: Bearer error="invalid_token"` header of
 *   RFC 6750 is set; the status stays what GraphQL gives it (200).
 * - The signing keys cannot be fetched (users down): 503 SERVICE_UNAVAILABLE with Retry-After, as
 *   before, since the token may well be valid and must not be told to sign in again.
 *
 * A subgraph called directly with such a token still answers UNAUTHENTICATED: only the router turns
 * a stale token into an anonymous request.
 */

/** Why the router served a request anonymously although it carried a token. */
export type AuthenticationProblem = 'EXPIRED' | 'INVALID';

/** The context fields of an authenticated request (RouterContext has both). */
export interface AuthenticatedContext {
  /** The client's Authorization header, only when it carries a valid token. */
  authorization?: string;
  /** Set when a token was dropped: the extension the response carries. */
  authentication?: AuthenticationProblem;
}

/** The WWW-Authenticate header of a dropped token (RFC 6750, section 3). */
export const WWW_AUTHENTICATE: Record<AuthenticationProblem, string> = {
  EXPIRED: 'Bearer error="invalid_token", error_description="The access token expired"',
  INVALID: 'Bearer error="invalid_token", error_description="The access token is invalid"',
};

/**
 * Checks the request's token at the edge: the context fields to serve it with, or null when the
 * answer was sent already (503: the keys could not be fetched). For a dropped token the
 * WWW-Authenticate header is set on `res` here, so it is on whatever answers the request.
 */
export async function authenticateRequest(
  req: IncomingMessage,
  res: ServerResponse,
  verifyToken: TokenVerifier,
  requestId: string,
): Promise<AuthenticatedContext | null> {
  const authorization = req.headers.authorization;
  const check = await checkAuthorization(authorization, verifyToken);
  switch (check.kind) {
    case 'ANONYMOUS':
      return {};
    case 'VIEWER':
      return { authorization: authorization! };
    case 'EXPIRED':
    case 'INVALID':
      res.setHeader('www-authenticate', WWW_AUTHENTICATE[check.kind]);
      return { authentication: check.kind };
    case 'UNAVAILABLE':
      sendGraphQLError(
        res,
        503,
        'Tokens cannot be verified right now (the users service is unavailable); try again',
        ErrorCode.SERVICE_UNAVAILABLE,
        { requestId },
        { 'retry-after': '1' },
      );
      return null;
  }
}

/**
 * Adds `extensions.authentication` to the response of a request whose token was dropped (its
 * context's `authentication`): the single result, or the first part of an incremental one. Other
 * requests get no per-request hooks at all.
 */
export function authenticationPlugin<C extends BaseContext & AuthenticatedContext>(): ApolloServerPlugin<C> {
  return {
    async requestDidStart({ contextValue }) {
      const problem = contextValue.authentication;
      if (!problem) return;
      return {
        async willSendResponse({ response }) {
          const result =
            response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult;
          result.extensions = { ...result.extensions, authentication: problem };
        },
      };
    },
  };
}
