import {
  GraphQLError,
  Kind,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { ErrorCode } from '@shop/errors';

/**
 * The error, if any, for an operation whose type (`mutation`, `subscription`) has no root type in
 * the schema (the partner contract has neither Mutation nor Subscription): HTTP 400,
 * `GRAPHQL_VALIDATION_FAILED` (graphql-js 16 does not validate it; its executor, and
 * @apollo/gateway's, then fail with a 500). A subscription on a schema that has them (/graphql,
 * the router-level extension) is HTTP 400 `BAD_REQUEST` when it reaches Apollo Server: the router
 * serves subscriptions itself, over WebSocket or multipart HTTP.
 */
export function unsupportedOperationError(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
): GraphQLError | undefined {
  if (operation.operation === 'subscription' && schema.getSubscriptionType()) {
    // the router serves subscriptions itself (subscriptions/), never through Apollo Server
    return new GraphQLError(
      'Subscriptions are served over WebSocket (graphql-ws, subprotocol graphql-transport-ws) or multipart HTTP (a POST with Accept: multipart/mixed;subscriptionSpec=1.0), not as a plain request.',
      { nodes: operation, extensions: { code: ErrorCode.BAD_REQUEST, http: { status: 400 } } },
    );
  }
  if (schema.getRootType(operation.operation)) return undefined;
  return new GraphQLError(`The ${operation.operation} operation is not supported by the schema.`, {
    nodes: operation,
    extensions: { code: ErrorCode.GRAPHQL_VALIDATION_FAILED, http: { status: 400 } },
  });
}

/**
 * The error for a request whose operation could not be picked from its document (Apollo's
 * `getOperationAST` found none): HTTP 400, `OPERATION_RESOLUTION_FAILURE`.
 */
export function operationResolutionError(
  document: DocumentNode,
  operationName: string | null | undefined,
): GraphQLError {
  const count = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION).length;
  const message = operationName
    ? `Unknown operation named "${operationName}".`
    : count > 1
      ? 'Must provide operation name if query contains multiple operations.'
      : 'Must provide an operation.';
  return new GraphQLError(message, {
    extensions: { code: ErrorCode.OPERATION_RESOLUTION_FAILURE, http: { status: 400 } },
  });
}
