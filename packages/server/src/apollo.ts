import type { ApolloServerOptions, ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { unwrapResolverError } from '@apollo/server/errors';
import { isUnexpected, maskError } from '@shop/errors';
import { currentRequestId, type Logger } from './logger';

/**
 * Apollo Server options every server shares: masked unknown errors (logged in full with the
 * request id), no stack traces, Apollo's own messages through our logger, no federated inline
 * tracing (we do not report to Apollo GraphOS, and it costs CPU per request), and no signal
 * handlers of Apollo's own: each main.ts stops its app gracefully on SIGINT/SIGTERM.
 */
export function sharedApolloOptions<TContext extends BaseContext>(
  log: Logger,
): Pick<
  ApolloServerOptions<TContext>,
  'formatError' | 'includeStacktraceInErrorResponses' | 'plugins' | 'logger' | 'stopOnTerminationSignals'
> & { plugins: ApolloServerPlugin<TContext>[] } {
  return {
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false,
    logger: log,
    formatError: (formatted, error) => {
      if (isUnexpected(formatted)) {
        log.error({ err: unwrapResolverError(error), path: formatted.path }, 'unexpected error');
      }
      return maskError(formatted, currentRequestId());
    },
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  };
}
