import type { ApolloServerOptions, ApolloServerPlugin, BaseContext } from '@apollo/server';
import { isUnexpected, maskError } from '@shop/errors';
import { unwrapResolverError } from '@apollo/server/errors';
import { currentRequestId, type Logger } from './logger';

/**
 * Apollo Server options every subgraph shares: masked unknown errors (logged in full with the
 * request id), no stack traces, no CSRF-able GET mutations (Apollo's default CSRF prevention).
 */
export function sharedApolloOptions<TContext extends BaseContext>(
  log: Logger,
): Pick<ApolloServerOptions<TContext>, 'formatError' | 'includeStacktraceInErrorResponses' | 'plugins'> {
  return {
    includeStacktraceInErrorResponses: false,
    formatError: (formatted, error) => {
      if (isUnexpected(formatted)) {
        log.error({ err: unwrapResolverError(error), path: formatted.path }, 'unexpected error');
      }
      return maskError(formatted, currentRequestId());
    },
    plugins: [] as ApolloServerPlugin<TContext>[],
  };
}
