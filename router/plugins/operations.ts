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
 * the schema (neither supergraph has a Subscription, the partner contract no Mutation): HTTP 400,
 * `GRAPHQL_VALIDATION_FAILED` (graphql-js 16 does not validate it; its executor, and
 * @apollo/gateway's, then fail with a 500).
 */
export function unsupportedOperationError(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
): GraphQLError | undefined {
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
