import { operationFromDocument, type Supergraph } from '@apollo/federation-internals';
import type { ApolloGateway } from '@apollo/gateway';
import type { FetchNode, PlanNode, QueryPlanner, QueryPlanSelectionNode } from '@apollo/query-planner';
import {
  isAbstractType,
  isInterfaceType,
  isObjectType,
  Kind,
  visit,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
} from 'graphql';
import type { Logger } from '@shop/server';
import type { ShopDataSource } from '../datasource';
import { Fallback, Unsupported, type Json } from './fallback';
import { ShapeSet } from './shape';

/**
 * Compiling an operation once: Apollo's query plan into steps (sequences, parallel groups, fetches
 * at a flatten path) and each fetch's `requires` into a writer of representations as JSON; the
 * response's shape is a ShapeSet (shape.ts). What the plan executor does not do is found here, once
 * per operation, and left to Apollo's executor.
 */

export type RequestContext = Parameters<ApolloGateway['executor']>[0];

export interface SchemaState {
  apiSchema: GraphQLSchema;
  fedApiSchema: ReturnType<Supergraph['apiSchema']>;
  /** The supergraph as graphql-js sees it: entity type conditions are checked against it. */
  supergraphSchema: GraphQLSchema;
  planner: QueryPlanner;
}

export interface Prepared {
  root: Step | undefined;
  shape: ShapeSet;
}

export type Step = { kind: 'sequence'; steps: Step[] } | { kind: 'parallel'; steps: Step[] } | Fetch;

export interface Fetch {
  kind: 'fetch';
  source: ShopDataSource;
  /** The flatten path the fetch runs at (response keys and '@' for list items); [] at the root. */
  path: string[];
  operation: string;
  operationName: string | undefined;
  variableUsages: readonly string[];
  /** An entity's representation as JSON, or null when the entity has none (skipped). */
  represent?: (entity: Json) => string | null;
}

export function compileOperation(
  state: SchemaState,
  rc: RequestContext,
  sources: ReadonlyMap<string, ShopDataSource>,
  log: Logger,
): Prepared | null {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of rc.document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const rootType = state.apiSchema.getQueryType();
  if (!rootType) return null;
  try {
    const reason = unsupported(rc.document);
    if (reason) throw new Unsupported(reason);
    const shape = new ShapeSet(state.apiSchema, fragments, [rc.operation.selectionSet], rootType);
    const operation = operationFromDocument(state.fedApiSchema, rc.document, {
      operationName: rc.operationName ?? undefined,
    });
    const plan = state.planner.buildQueryPlan(operation);
    if (plan.node?.kind === 'Subscription') return null;
    const root = plan.node ? compileStep(plan.node, [], state, sources) : undefined;
    return { root, shape };
  } catch (error) {
    if (!(error instanceof Unsupported)) throw error;
    log.debug(
      { operationName: rc.operationName, reason: error.message },
      'operation left to Apollo’s executor',
    );
    return null;
  }
}

function compileStep(
  node: PlanNode,
  path: string[],
  state: SchemaState,
  sources: ReadonlyMap<string, ShopDataSource>,
): Step {
  const child = (n: PlanNode) => compileStep(n, path, state, sources);
  switch (node.kind) {
    case 'Sequence':
      return { kind: 'sequence', steps: node.nodes.map(child) };
    case 'Parallel':
      return { kind: 'parallel', steps: node.nodes.map(child) };
    case 'Flatten':
      if (path.length > 0 || node.node.kind !== 'Fetch') throw new Unsupported('nested flatten');
      if (!node.path.every((p): p is string => typeof p === 'string' && !p.startsWith('... on ')))
        throw new Unsupported('flatten path with type conditions');
      return compileFetch(node.node, node.path as string[], state, sources);
    case 'Fetch':
      return compileFetch(node, path, state, sources);
    default:
      throw new Unsupported(node.kind);
  }
}

function compileFetch(
  node: FetchNode,
  path: string[],
  state: SchemaState,
  sources: ReadonlyMap<string, ShopDataSource>,
): Fetch {
  if (node.inputRewrites?.length || node.outputRewrites?.length || node.contextRewrites?.length)
    throw new Unsupported('data rewrites');
  if (node.hasDefers) throw new Unsupported('defer');
  const source = sources.get(node.serviceName);
  if (!source) throw new Unsupported(`no data source for ${node.serviceName}`);
  return {
    kind: 'fetch',
    source,
    path,
    operation: node.operation,
    operationName: node.operationName,
    variableUsages: node.variableUsages ?? [],
    ...(node.requires ? { represent: compileRequires(node.requires, state.supergraphSchema) } : {}),
  };
}

// Representations

/**
 * Compiles a fetch's `requires` (inline fragments on entity types, as the planner writes them) into
 * a function writing an entity's representation as JSON, the same object @apollo/gateway's
 * executeSelectionSet builds (fields in selection order; null when a required field is missing).
 * An entity matched by more than one fragment is left to Apollo's executor.
 */
function compileRequires(
  requires: readonly QueryPlanSelectionNode[],
  schema: GraphQLSchema,
): (entity: Json) => string | null {
  const topFields = requires.filter((s) => s.kind === 'Field');
  const groups: { typeCondition: string | undefined; write: Writer; hasTypename: boolean }[] = [];
  if (topFields.length > 0) {
    groups.push({
      typeCondition: undefined,
      write: compileFields(topFields),
      hasTypename: topFields.some((f) => (f.alias ?? f.name) === '__typename'),
    });
  }
  for (const s of requires) {
    if (s.kind !== 'InlineFragment' || !s.typeCondition) continue; // Apollo skips those too
    const fields = s.selections.filter((f) => f.kind === 'Field');
    if (fields.length !== s.selections.length) throw new Unsupported('nested fragment in requires');
    groups.push({
      typeCondition: s.typeCondition,
      write: compileFields(fields),
      hasTypename: fields.some((f) => (f.alias ?? f.name) === '__typename'),
    });
  }
  const matches = new Map<string, boolean>();
  const isOfType = (typename: string, condition: string) => {
    if (typename === condition) return true;
    const key = `${condition}\n${typename}`;
    let result = matches.get(key);
    if (result === undefined) {
      const type = schema.getType(typename);
      const conditional = schema.getType(condition);
      result =
        !!type &&
        !!conditional &&
        isAbstractType(conditional) &&
        (isObjectType(type) || isInterfaceType(type)) &&
        schema.isSubType(conditional, type);
      matches.set(key, result);
    }
    return result;
  };
  return (entity) => {
    let found: (typeof groups)[number] | undefined;
    const typename = entity.__typename;
    for (const group of groups) {
      if (group.typeCondition !== undefined) {
        if (typeof typename !== 'string' || !typename || !isOfType(typename, group.typeCondition)) continue;
      }
      if (found) throw new Fallback('an entity matching two fragments of requires');
      found = group;
    }
    if (!found || !found.hasTypename) return null;
    return found.write(entity);
  };
}

type Writer = (source: Json) => string | null;

function compileFields(fields: readonly QueryPlanSelectionNode[]): Writer {
  const parts = fields.map((f) => {
    if (f.kind !== 'Field') throw new Unsupported('fragment in a key field');
    const key = f.alias ?? f.name;
    return {
      key,
      prefix: `${JSON.stringify(key)}:`,
      sub: f.selections ? compileFields(f.selections) : undefined,
    };
  });
  const value = (v: unknown, sub: Writer): string => {
    if (v === null) return 'null';
    if (Array.isArray(v)) return `[${v.map((item) => value(item, sub)).join(',')}]`;
    if (typeof v !== 'object') throw new Fallback('a scalar where a key field has fields');
    return sub(v as Json) ?? 'null';
  };
  return (source) => {
    let json = '{';
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const v = Object.hasOwn(source, part.key) ? source[part.key] : undefined;
      if (v === undefined) return null;
      if (i > 0) json += ',';
      json += part.prefix;
      json += part.sub ? value(v, part.sub) : JSON.stringify(v);
    }
    return `${json}}`;
  };
}

/** Directives that make a selection conditional or incremental: Apollo's executor handles those. */
const CONDITIONAL = new Set(['skip', 'include', 'defer', 'stream']);

/** Why the plan executor leaves an operation's document to Apollo's executor, if it does. */
function unsupported(document: DocumentNode): string | undefined {
  let reason: string | undefined;
  visit(document, {
    Directive(node) {
      if (CONDITIONAL.has(node.name.value)) reason ??= `@${node.name.value}`;
    },
    Field(node) {
      if (node.name.value.startsWith('__') && node.name.value !== '__typename') reason ??= 'introspection';
    },
  });
  return reason;
}
