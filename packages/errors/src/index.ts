import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/**
 * Thrown errors are for authentication, authorization, bad input shape and bugs. Expected
 * business failures are data (mutation result unions), never thrown.
 */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  RATE_LIMITED: 'RATE_LIMITED',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
  /** The HTTP request itself is malformed (body not JSON, too large). */
  BAD_REQUEST: 'BAD_REQUEST',
  GRAPHQL_PARSE_FAILED: 'GRAPHQL_PARSE_FAILED',
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  /** An unknown operationName, or several operations without one (Apollo Server's code). */
  OPERATION_RESOLUTION_FAILURE: 'OPERATION_RESOLUTION_FAILURE',
  /** Automatic persisted queries (Apollo Server's codes). */
  PERSISTED_QUERY_NOT_FOUND: 'PERSISTED_QUERY_NOT_FOUND',
  PERSISTED_QUERY_NOT_SUPPORTED: 'PERSISTED_QUERY_NOT_SUPPORTED',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const unauthenticated = (message = 'Authentication required') =>
  new GraphQLError(message, { extensions: { code: ErrorCode.UNAUTHENTICATED } });

export const forbidden = (message = 'Not allowed') =>
  new GraphQLError(message, { extensions: { code: ErrorCode.FORBIDDEN } });

export const badUserInput = (message: string, field?: string) =>
  new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, ...(field ? { field } : {}) } });

export const rateLimited = (message: string, retryAfterSeconds: number) =>
  new GraphQLError(message, { extensions: { code: ErrorCode.RATE_LIMITED, retryAfterSeconds } });

export const serviceUnavailable = (message: string) =>
  new GraphQLError(message, { extensions: { code: ErrorCode.SERVICE_UNAVAILABLE } });

/**
 * The one shape of a GraphQL-over-HTTP error response body (as Apollo Server writes it), for
 * answers written before GraphQL runs: refused secrets, bad bodies, rate limits.
 */
export function errorResponse(message: string, code: ErrorCode, extensions: Record<string, unknown> = {}) {
  return { errors: [{ message, extensions: { code, ...extensions } }] };
}

/** Codes whose message is safe to show a client as it is. */
const PUBLIC_CODES = new Set<string>([
  ErrorCode.UNAUTHENTICATED,
  ErrorCode.FORBIDDEN,
  ErrorCode.BAD_USER_INPUT,
  ErrorCode.RATE_LIMITED,
  ErrorCode.SERVICE_UNAVAILABLE,
  ErrorCode.GRAPHQL_PARSE_FAILED,
  ErrorCode.GRAPHQL_VALIDATION_FAILED,
  ErrorCode.BAD_REQUEST,
  ErrorCode.OPERATION_RESOLUTION_FAILURE,
  ErrorCode.PERSISTED_QUERY_NOT_FOUND,
  ErrorCode.PERSISTED_QUERY_NOT_SUPPORTED,
]);

/** "Did you mean ...?" leaks the schema to someone probing it. */
const stripSuggestions = (message: string) => message.replace(/\s*Did you mean .*\?$/s, '');

/**
 * Formats an error for the client. Errors with a public code keep their message (without schema
 * suggestions or stack traces); anything else is a bug and is masked as INTERNAL_SERVER_ERROR with
 * the request id, so the client can quote it and we can find it in the logs.
 */
export function maskError(
  formatted: GraphQLFormattedError,
  requestId: string | undefined,
): GraphQLFormattedError {
  const code = typeof formatted.extensions?.code === 'string' ? formatted.extensions.code : undefined;
  if (code && PUBLIC_CODES.has(code)) {
    // Internals never reach a client: stack traces, and the gateway's record of a subgraph response
    // (which carries the subgraph's URL).
    const {
      stacktrace: _s,
      exception: _e,
      response: _r,
      http: _h,
      ...extensions
    } = formatted.extensions ?? {};
    return {
      ...formatted,
      message: stripSuggestions(formatted.message),
      extensions: { ...extensions, ...(requestId ? { requestId } : {}) },
    };
  }
  return {
    message: 'Internal server error',
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, ...(requestId ? { requestId } : {}) },
  };
}

/** True when the error would be masked (so it should be logged in full). */
export function isUnexpected(formatted: GraphQLFormattedError): boolean {
  const code = formatted.extensions?.code;
  return !(typeof code === 'string' && PUBLIC_CODES.has(code));
}
