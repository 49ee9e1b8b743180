import type {
  ApolloServerPlugin,
  BaseContext,
  GraphQLRequestContextDidResolveOperation,
} from '@apollo/server';
import {
  getNamedType,
  GraphQLError,
  isListType,
  isNonNullType,
  isInterfaceType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
  /** Largest query document, in bytes. */
  maxQueryBytes: number;
}

/** Multiplier for a list field without a `first` argument. */
export const DEFAULT_LIST_SIZE = 10;

export interface OperationMeasure {
  depth: number;
  aliases: number;
  cost: number;
}

const isListOutput = (type: GraphQLOutputType): boolean =>
  isNonNullType(type) ? isListOutput(type.ofType) : isListType(type);

function firstArgument(
  value: ValueNode | undefined,
  variables: Record<string, unknown>,
  onVariable: () => void,
): number | undefined {
  if (!value) return undefined;
  if (value.kind === Kind.INT) return Number(value.value);
  if (value.kind === Kind.VARIABLE) {
    onVariable();
    const v = variables[value.name.value];
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  }
  return undefined;
}

/**
 * Depth, alias count and cost of one operation. Every field costs 1 plus its children; the children
 * of a field with a `first` argument count `first` times (a paginated connection), those of a list
 * field without one DEFAULT_LIST_SIZE times (unless directly under a paginated connection: `edges`
 * of a connection is already counted by its `first`). Introspection fields (`__schema`, `__type`,
 * `__typename`) are free, so tools can introspect within the limits.
 */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> = {},
): OperationMeasure {
  return measure(schema, document, operation, variables).measure;
}

/** measureOperation, and whether the result depends on the variables (a `first: $variable`). */
function measure(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): { measure: OperationMeasure; usesVariables: boolean } {
  let usesVariables = false;
  const onVariable = () => {
    usesVariables = true;
  };
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions)
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  let aliases = 0;
  let maxDepth = 0;

  const walk = (
    selectionSet: SelectionSetNode,
    parentType: unknown,
    depth: number,
    paginated: boolean,
  ): number => {
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const typeName = selection.typeCondition?.name.value;
        const type = typeName ? schema.getType(typeName) : parentType;
        cost += walk(selection.selectionSet, type, depth, paginated);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (!fragment) continue;
        // a fragment counts (cost, depth, aliases) wherever it is spread, like the fields it produces
        cost += walk(
          fragment.selectionSet,
          schema.getType(fragment.typeCondition.name.value),
          depth,
          paginated,
        );
        continue;
      }
      if (selection.alias) aliases += 1;
      const name = selection.name.value;
      if (name.startsWith('__')) continue;
      const fieldDepth = depth + 1;
      maxDepth = Math.max(maxDepth, fieldDepth);
      const field =
        isObjectType(parentType) || isInterfaceType(parentType) ? parentType.getFields()[name] : undefined;
      let childCost = 0;
      let multiplier = 1;
      let childPaginated = false;
      if (selection.selectionSet) {
        const first = firstArgument(
          selection.arguments?.find((a) => a.name.value === 'first')?.value,
          variables,
          onVariable,
        );
        if (first !== undefined) {
          multiplier = Math.max(first, 1);
          // a connection (an object with `first`): its edges/nodes lists are counted by `first`
          childPaginated = !(field && isListOutput(field.type));
        } else if (field && isListOutput(field.type) && !paginated) {
          multiplier = DEFAULT_LIST_SIZE;
        }
        childCost = walk(
          selection.selectionSet,
          field ? getNamedType(field.type) : undefined,
          fieldDepth,
          childPaginated,
        );
      }
      cost += 1 + multiplier * childCost;
    }
    return cost;
  };

  const root =
    operation.operation === 'query'
      ? schema.getQueryType()
      : operation.operation === 'mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  const cost = walk(operation.selectionSet, root, 0, false);
  return { measure: { depth: maxDepth, aliases, cost }, usesVariables };
}

/** How many measured operations the limits plugin keeps per schema. */
export const MEASURE_CACHE_SIZE = 1000;

/**
 * A small LRU of measures per schema (a reloaded supergraph starts a new one), keyed by operation
 * name and query text. Operations whose measure depends on variables are measured every time.
 */
export function createMeasureCache(size = MEASURE_CACHE_SIZE) {
  const bySchema = new WeakMap<GraphQLSchema, Map<string, OperationMeasure>>();
  let hits = 0;
  let misses = 0;
  return {
    measure(
      schema: GraphQLSchema,
      query: string,
      document: DocumentNode,
      operation: OperationDefinitionNode,
      variables: Record<string, unknown>,
    ): OperationMeasure {
      let cache = bySchema.get(schema);
      if (!cache) {
        cache = new Map();
        bySchema.set(schema, cache);
      }
      const key = `${operation.name?.value ?? ''}\n${query}`;
      const cached = cache.get(key);
      if (cached) {
        hits += 1;
        // most recently used last: re-insert
        cache.delete(key);
        cache.set(key, cached);
        return cached;
      }
      misses += 1;
      const result = measure(schema, document, operation, variables);
      if (!result.usesVariables) {
        cache.set(key, result.measure);
        if (cache.size > size) cache.delete(cache.keys().next().value!);
      }
      return result.measure;
    },
    stats: () => ({ hits, misses }),
  };
}

const limitError = (message: string, limit: string) =>
  new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', limit, http: { status: 400 } } });

/**
 * Refuses an operation over a limit before the gateway plans or sends anything to a subgraph
 * (didResolveOperation runs after validation, before execution). Token count is bounded by the
 * parser (`parseOptions.maxTokens`), the body size by the HTTP layer.
 */
export function operationLimitsPlugin<TContext extends BaseContext>(
  limits: OperationLimits,
  cache: ReturnType<typeof createMeasureCache> = createMeasureCache(),
): ApolloServerPlugin<TContext> {
  const hooks = {
    async didResolveOperation({
      request,
      document,
      operation,
      schema,
    }: GraphQLRequestContextDidResolveOperation<TContext>) {
      if (!operation) return; // Apollo answers "unknown operation" itself
      const query = request.query ?? '';
      const bytes = Buffer.byteLength(query, 'utf8');
      if (bytes > limits.maxQueryBytes) {
        throw limitError(`Query document is ${bytes} bytes; the limit is ${limits.maxQueryBytes}`, 'size');
      }
      const measure = cache.measure(schema, query, document, operation, request.variables ?? {});
      if (measure.depth > limits.maxDepth) {
        throw limitError(`Query depth ${measure.depth} exceeds the limit of ${limits.maxDepth}`, 'depth');
      }
      if (measure.aliases > limits.maxAliases) {
        throw limitError(
          `Query uses ${measure.aliases} aliases; the limit is ${limits.maxAliases}`,
          'aliases',
        );
      }
      if (measure.cost > limits.maxCost) {
        throw limitError(`Query cost ${measure.cost} exceeds the limit of ${limits.maxCost}`, 'cost');
      }
    },
  };
  return {
    // one hooks object for every request: no per-request allocation
    async requestDidStart() {
      return hooks;
    },
  };
}
