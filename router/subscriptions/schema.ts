import { readFileSync } from 'node:fs';
import type { ApolloGateway } from '@apollo/gateway';
import {
  execute,
  extendSchema,
  Kind,
  type ExecutionResult,
  type SelectionSetNode,
  GraphQLSchema,
  isObjectType,
  parse,
  printSchema,
  buildSchema,
  type DocumentNode,
} from 'graphql';

/** router/subscriptions.graphql: the router-level extension (Subscription, OrderEvent, OrderEventKind). */
export const SUBSCRIPTIONS_SDL_PATH = new URL('../subscriptions.graphql', import.meta.url);

let cached: DocumentNode | undefined;

/** The extension's SDL, parsed once. */
export function subscriptionsExtension(): DocumentNode {
  cached ??= parse(readFileSync(SUBSCRIPTIONS_SDL_PATH, 'utf8'));
  return cached;
}

/** The types of the API schema the extension refers to. */
const NEEDED = ['Order', 'Payment', 'Notification', 'DateTime'] as const;

/**
 * The API schema with the extension merged in and `subscription: Subscription` as its root; the
 * schema unchanged when it already has a subscription root or lacks a type the extension names (a
 * test graph without orders), so a supergraph never fails to load because of it.
 */
export function extendApiSchema(apiSchema: GraphQLSchema): GraphQLSchema {
  let extended = extendedSchemas.get(apiSchema);
  if (!extended) {
    extended = extend(apiSchema, subscriptionsExtension());
    extendedSchemas.set(apiSchema, extended);
  }
  return extended;
}

/** Each API schema's extended schema, so that every user of one supergraph shares one schema object. */
const extendedSchemas = new WeakMap<GraphQLSchema, GraphQLSchema>();

function extend(apiSchema: GraphQLSchema, extension: DocumentNode): GraphQLSchema {
  if (apiSchema.getSubscriptionType()) return apiSchema;
  if (NEEDED.some((name) => !apiSchema.getType(name))) return apiSchema;
  const extended = extendSchema(apiSchema, extension, { assumeValidSDL: false });
  const subscription = extended.getType('Subscription');
  if (!isObjectType(subscription)) return apiSchema;
  return new GraphQLSchema({ ...extended.toConfig(), subscription });
}

/** Whether a schema carries the extension (its Subscription root has the extension's fields). */
export const hasSubscriptions = (schema: GraphQLSchema | undefined): schema is GraphQLSchema =>
  !!schema?.getSubscriptionType()?.getFields().orderUpdated;

/**
 * The printed API schema (schema/supergraph-api.graphql, what client codegen reads) with the
 * extension merged in: schema/compose.ts writes this, so Apollo Client codegen sees the
 * subscriptions; the supergraph and the partner contract never get them.
 */
export function extendApiSdl(apiSdl: string): string {
  const extended = extendApiSchema(buildSchema(apiSdl));
  return `${printSchema(extended)}\n`;
}

/** Whether every root field of a selection (through fragments) is __schema, __type or __typename. */
function isIntrospectionOnly(document: DocumentNode, selectionSet: SelectionSetNode): boolean {
  return selectionSet.selections.every((selection) => {
    if (selection.kind === Kind.FIELD) return selection.name.value.startsWith('__');
    if (selection.kind === Kind.INLINE_FRAGMENT) return isIntrospectionOnly(document, selection.selectionSet);
    const fragment = document.definitions.find(
      (d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value,
    );
    return (
      fragment?.kind === Kind.FRAGMENT_DEFINITION && isIntrospectionOnly(document, fragment.selectionSet)
    );
  });
}

type Gateway = Pick<ApolloGateway, 'load' | 'onSchemaLoadOrUpdate' | 'stop'>;
type SchemaCallback = Parameters<ApolloGateway['onSchemaLoadOrUpdate']>[0];

/**
 * The gateway as Apollo Server sees it: the same gateway (planning and executing with the
 * supergraph's own API schema), but every schema it announces is extended first, so Apollo Server
 * validates and introspects against the schema with the subscriptions. `onSchema` gets each one
 * (the subscription server validates subscribe requests against it).
 */
export function extendedGateway(gateway: Gateway, onSchema: (schema: GraphQLSchema) => void): Gateway {
  gateway.onSchemaLoadOrUpdate(({ apiSchema }) => onSchema(extendApiSchema(apiSchema)));
  const load = async (options?: Parameters<Gateway['load']>[0]) => {
    const loaded = await gateway.load(options);
    const executor = loaded.executor;
    if (!executor) return loaded;
    return {
      // The gateway answers __schema / __type from its own API schema (without the extension):
      // an introspection-only operation (Sandbox's, codegen's) runs here on the extended one.
      // In an operation that also selects data, introspection stays the gateway's.
      executor: (rc: Parameters<typeof executor>[0]) =>
        isIntrospectionOnly(rc.document, rc.operation.selectionSet)
          ? Promise.resolve(
              execute({
                schema: rc.schema,
                document: rc.document,
                operationName: rc.operationName,
                variableValues: rc.request.variables ?? {},
              }) as ExecutionResult<Record<string, unknown>>,
            )
          : executor(rc),
    };
  };
  return {
    load: load as Gateway['load'],
    stop: () => gateway.stop(),
    onSchemaLoadOrUpdate: (callback: SchemaCallback) =>
      gateway.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) =>
        callback({ apiSchema: extendApiSchema(apiSchema), coreSupergraphSdl }),
      ),
  };
}
