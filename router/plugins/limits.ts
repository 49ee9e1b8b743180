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
import { ErrorCode } from '@shop/errors';
import { operationResolutionError, unsupportedOperationError } from './operations';

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

/** A limit an operation was found to exceed. */
export type LimitName = 'depth' | 'aliases' | 'cost';

export interface OperationAnalysis {
  /**
   * The measure; when `exceeded` is set, the walk stopped there and the figures are lower bounds
   * (the exceeded one is already over its limit).
   */
  measure: OperationMeasure;
  /** Whether the measure depends on the variables (a `first: $variable`). */
  usesVariables: boolean;
  /** The first limit found exceeded, when limits were given. */
  exceeded?: LimitName;
  /** Selections visited: at most about twice the document's selections (each fragment is walked once per context). */
  visits: number;
}

/** A selection set's figures relative to where it is used: its depth counts its own fields as 1. */
interface Figures {
  depth: number;
  aliases: number;
  cost: number;
}

class LimitExceeded extends Error {
  constructor(
    readonly limit: LimitName,
    readonly partial: OperationMeasure,
  ) {
    super(`${limit} limit exceeded`);
  }
}

/**
 * Depth, alias count and cost of one operation. Every field costs 1 plus its children; the children
 * of a field with a `first` argument count `first` times (a paginated connection), those of a list
 * field without one DEFAULT_LIST_SIZE times (unless directly under a paginated connection: `edges`
 * of a connection is already counted by its `first`). Introspection fields (`__schema`, `__type`,
 * `__typename`) are free, so tools can introspect within the limits. A fragment counts wherever it
 * is spread, but is walked only once (see analyseOperation).
 */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> = {},
): OperationMeasure {
  return analyseOperation(schema, document, operation, variables).measure;
}

/**
 * measureOperation, compositionally: a fragment's cost, relative depth and aliases depend only on
 * the fragment and whether it is spread directly under a paginated connection, so each fragment is
 * measured at most twice and its figures are reused wherever it is spread (a fragment "bomb" whose
 * fragments each spread the previous one twice is linear work, not exponential). With `limits`, the
 * walk stops as soon as one is exceeded (all figures only grow, so a partial figure over a limit
 * means the whole is over it too).
 */
export function analyseOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> = {},
  limits?: Pick<OperationLimits, 'maxDepth' | 'maxAliases' | 'maxCost'>,
): OperationAnalysis {
  let usesVariables = false;
  let visits = 0;
  const onVariable = () => {
    usesVariables = true;
  };
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions)
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  // fragment name + paginated flag -> its figures; `null` while it is being measured (a cycle,
  // which validation refuses anyway, counts nothing)
  const measured = new Map<string, Figures | null>();

  /** Throws LimitExceeded when `partial`, found at `offset` levels below the root, is over a limit. */
  const check = (partial: Figures, offset: number) => {
    if (!limits) return;
    const depth = offset + partial.depth;
    const limit: LimitName | undefined =
      depth > limits.maxDepth
        ? 'depth'
        : partial.aliases > limits.maxAliases
          ? 'aliases'
          : partial.cost > limits.maxCost
            ? 'cost'
            : undefined;
    if (limit) throw new LimitExceeded(limit, { ...partial, depth });
  };

  const fragmentMeasure = (name: string, offset: number, paginated: boolean): Figures => {
    const key = `${paginated ? 'p' : '-'}${name}`;
    const known = measured.get(key);
    if (known) return known;
    const fragment = fragments.get(name);
    if (known === null || !fragment) return { depth: 0, aliases: 0, cost: 0 };
    measured.set(key, null);
    const result = walk(
      fragment.selectionSet,
      schema.getType(fragment.typeCondition.name.value),
      offset,
      paginated,
    );
    measured.set(key, result);
    return result;
  };

  /** The figures of a selection set, relative to it; `offset` (its fields' depth - 1) is only for `check`. */
  const walk = (
    selectionSet: SelectionSetNode,
    parentType: unknown,
    offset: number,
    paginated: boolean,
  ): Figures => {
    const total: Figures = { depth: 0, aliases: 0, cost: 0 };
    const add = (part: Figures, extraDepth: number) => {
      total.depth = Math.max(total.depth, part.depth + extraDepth);
      total.aliases += part.aliases;
      total.cost += part.cost;
      check(total, offset);
    };
    for (const selection of selectionSet.selections) {
      visits += 1;
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const typeName = selection.typeCondition?.name.value;
        const type = typeName ? schema.getType(typeName) : parentType;
        add(walk(selection.selectionSet, type, offset, paginated), 0);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        // a fragment counts (cost, depth, aliases) wherever it is spread, like the fields it produces
        add(fragmentMeasure(selection.name.value, offset, paginated), 0);
        continue;
      }
      const alias = selection.alias ? 1 : 0;
      const name = selection.name.value;
      if (name.startsWith('__')) {
        add({ depth: 0, aliases: alias, cost: 0 }, 0);
        continue;
      }
      const field =
        isObjectType(parentType) || isInterfaceType(parentType) ? parentType.getFields()[name] : undefined;
      let children: Figures = { depth: 0, aliases: 0, cost: 0 };
      let multiplier = 1;
      if (selection.selectionSet) {
        let childPaginated = false;
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
        children = walk(
          selection.selectionSet,
          field ? getNamedType(field.type) : undefined,
          offset + 1,
          childPaginated,
        );
      }
      add(
        { depth: children.depth, aliases: alias + children.aliases, cost: 1 + multiplier * children.cost },
        1,
      );
    }
    return total;
  };

  const root = schema.getRootType(operation.operation);
  try {
    const result = walk(operation.selectionSet, root, 0, false);
    return { measure: result, usesVariables, visits };
  } catch (error) {
    if (!(error instanceof LimitExceeded)) throw error;
    return { measure: error.partial, usesVariables, exceeded: error.limit, visits };
  }
}

/** How many measured operations the limits plugin keeps per schema. */
export const MEASURE_CACHE_SIZE = 1000;

/**
 * A small LRU of measures per schema (a reloaded supergraph starts a new one), keyed by operation
 * name and query text. Operations whose measure depends on variables are measured every time, and
 * so are refused ones (their walk stopped at the first exceeded limit, which is cheap).
 */
export function createMeasureCache(size = MEASURE_CACHE_SIZE) {
  const bySchema = new WeakMap<GraphQLSchema, Map<string, OperationMeasure>>();
  let hits = 0;
  let misses = 0;
  return {
    /**
     * The operation's measure; with `limits`, `exceeded` names the first limit it is over, and
     * `lowerBound` says the walk stopped there (the figures are at least these).
     */
    measure(
      schema: GraphQLSchema,
      query: string,
      document: DocumentNode,
      operation: OperationDefinitionNode,
      variables: Record<string, unknown>,
      limits?: Pick<OperationLimits, 'maxDepth' | 'maxAliases' | 'maxCost'>,
    ): OperationMeasure & { exceeded?: LimitName; lowerBound?: true } {
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
        return limits ? { ...cached, ...exceededOf(cached, limits) } : cached;
      }
      misses += 1;
      const result = analyseOperation(schema, document, operation, variables, limits);
      // the walk stopped at the first limit exceeded: the figures are lower bounds
      if (result.exceeded) return { ...result.measure, exceeded: result.exceeded, lowerBound: true };
      if (!result.usesVariables) {
        cache.set(key, result.measure);
        if (cache.size > size) cache.delete(cache.keys().next().value!);
      }
      return result.measure;
    },
    stats: () => ({ hits, misses }),
  };
}

/** The first limit a complete measure is over, if any. */
function exceededOf(
  measure: OperationMeasure,
  limits: Pick<OperationLimits, 'maxDepth' | 'maxAliases' | 'maxCost'>,
): { exceeded?: LimitName } {
  if (measure.depth > limits.maxDepth) return { exceeded: 'depth' };
  if (measure.aliases > limits.maxAliases) return { exceeded: 'aliases' };
  if (measure.cost > limits.maxCost) return { exceeded: 'cost' };
  return {};
}

const limitError = (message: string, limit: string) =>
  new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, limit, http: { status: 400 } } });

const limitMessages: Record<LimitName, (m: OperationMeasure, l: OperationLimits, more: string) => string> = {
  depth: (m, l, more) => `Query depth ${m.depth}${more} exceeds the limit of ${l.maxDepth}`,
  aliases: (m, l, more) => `Query uses ${m.aliases}${more} aliases; the limit is ${l.maxAliases}`,
  cost: (m, l, more) => `Query cost ${m.cost}${more} exceeds the limit of ${l.maxCost}`,
};

/**
 * Refuses an operation over a limit before the gateway plans or sends anything to a subgraph
 * (didResolveOperation runs after validation, before execution), and a request whose operation
 * cannot be resolved (unknown or missing `operationName`) or whose type the schema lacks (a
 * subscription; a mutation on the contract): HTTP 400 instead of the gateway executor's 500. Token
 * count is bounded by the parser (`parseOptions.maxTokens`), the body and document size by the
 * HTTP layer (serveApollo; the size is checked here again for other callers).
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
      contextValue,
    }: GraphQLRequestContextDidResolveOperation<TContext>) {
      if (!operation) throw operationResolutionError(document, request.operationName);
      // an event query of a subscription (RouterContext.limitsChecked): measured when subscribed
      if ((contextValue as { limitsChecked?: boolean }).limitsChecked === true) return;
      const query = request.query ?? '';
      const bytes = Buffer.byteLength(query, 'utf8');
      if (bytes > limits.maxQueryBytes) {
        throw limitError(`Query document is ${bytes} bytes; the limit is ${limits.maxQueryBytes}`, 'size');
      }
      const measure = cache.measure(schema, query, document, operation, request.variables ?? {}, limits);
      if (measure.exceeded) {
        const message = limitMessages[measure.exceeded](
          measure,
          limits,
          measure.lowerBound ? ' or more' : '',
        );
        throw limitError(message, measure.exceeded);
      }
      // after the limits: an alias flood of mutations on the contract is refused as one, like on /graphql
      const unsupported = unsupportedOperationError(schema, operation);
      if (unsupported) throw unsupported;
    },
  };
  return {
    // one hooks object for every request: no per-request allocation
    async requestDidStart() {
      return hooks;
    },
  };
}
