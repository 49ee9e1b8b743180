import type { ApolloGateway } from '@apollo/gateway';
import { Supergraph, operationFromDocument } from '@apollo/federation-internals';
import {
  QueryPlanner,
  type FetchNode,
  type PlanNode,
  type QueryPlanSelectionNode,
} from '@apollo/query-planner';
import {
  getNamedType,
  getVariableValues,
  isAbstractType,
  isCompositeType,
  isEnumType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  visit,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import type { Logger } from '@shop/server';
import {
  DistinctJson,
  recordSubgraphResponses,
  subgraphRequestBody,
  type RouterContext,
  type ShopDataSource,
} from './datasource';

type ApolloExecutor = ApolloGateway['executor'];
type RequestContext = Parameters<ApolloExecutor>[0];
type ExecutionResult = Awaited<ReturnType<ApolloExecutor>>;
type Json = Record<string, unknown>;

/**
 * Thrown wherever the plan executor meets something it leaves to Apollo's executor: a subgraph error
 * or failure, a null in a non-null position, a value of the wrong type. Queries only ever take this
 * way out, and Apollo's executor then answers the request with exactly its own errors and nulls,
 * replaying the subgraph responses already received (recordSubgraphResponses) instead of asking again.
 */
class Fallback extends Error {}

/** Operations whose compiled plan is kept (least recently used first out). */
export const PLAN_CACHE_ENTRIES = 500;

/**
 * The router's query plan executor: Apollo's QueryPlanner plans, this executes. It does what
 * @apollo/gateway's executeQueryPlan does for the plans our operations get (sequences, parallel
 * groups, flattened entity fetches) with a fraction of its CPU and garbage: the plan and
 * the response's shape are compiled once per operation (representations are written straight to
 * JSON, each distinct one sent once; the response is built by walking precomputed field lists), and
 * there are no tracing spans or usage-reporting trace nodes per fetch.
 *
 * Only successful queries are answered here. Mutations, subscriptions, @defer, @skip/@include,
 * introspection, plans with data rewrites (interface objects, @context), invalid variables, and every
 * request that meets a subgraph error or an invalid value are answered by Apollo's executor, so
 * errors, partial data and null propagation stay exactly Apollo's.
 */
export class PlanExecutor {
  private state: SchemaState | undefined;
  private readonly plans = new Map<string, Prepared | null>();

  /**
   * `shareFetches`: a subgraph request identical to one in flight (same body and Authorization)
   * waits for that one's answer instead of being sent again.
   */
  constructor(
    private readonly sources: ReadonlyMap<string, ShopDataSource>,
    private readonly log: Logger,
    private readonly shareFetches: boolean,
  ) {}

  /** A new supergraph: plan with it from now on (or leave everything to Apollo's if that fails). */
  update(apiSchema: GraphQLSchema, supergraphSdl: string): void {
    this.plans.clear();
    this.state = undefined;
    try {
      const supergraph = Supergraph.build(supergraphSdl);
      this.state = {
        apiSchema,
        fedApiSchema: supergraph.apiSchema(),
        supergraphSchema: supergraph.schema.toGraphQLJSSchema(),
        planner: new QueryPlanner(supergraph),
      };
    } catch (err) {
      this.log.error(
        { err },
        'plan executor cannot use the supergraph; Apollo’s executor answers everything',
      );
    }
  }

  /** The gateway executor: this executor where it can, Apollo's (`fallback`) where it does not. */
  async execute(rc: RequestContext, fallback: ApolloExecutor): Promise<ExecutionResult> {
    const state = this.state;
    const context = rc.context as RouterContext | undefined;
    if (!state || !context || rc.operation.operation !== 'query') return fallback(rc);
    const prepared = this.prepare(state, rc);
    if (!prepared) return fallback(rc);
    const variables = rc.request.variables ?? {};
    if (rc.operation.variableDefinitions?.length) {
      // Apollo's executor reports invalid variables
      const { errors } = getVariableValues(state.apiSchema, rc.operation.variableDefinitions, variables);
      if (errors) return fallback(rc);
    }
    recordSubgraphResponses(context);
    const data: Json = {};
    try {
      if (prepared.root) await run(prepared.root, { data, variables, context, share: this.shareFetches });
      return { data: shapeObject(data, prepared.shape) };
    } catch (error) {
      if (error instanceof Fallback) {
        this.log.debug(
          { operationName: rc.operationName, reason: error.message },
          'answered by Apollo’s executor',
        );
      } else {
        this.log.warn(
          { err: error, operationName: rc.operationName },
          'plan executor failed; answered by Apollo’s',
        );
      }
      return fallback(rc);
    }
  }

  private prepare(state: SchemaState, rc: RequestContext): Prepared | null {
    const key = `${rc.queryHash}\n${rc.operationName ?? ''}`;
    const cached = this.plans.get(key);
    if (cached !== undefined) {
      // least recently used first out: move the hit to the end
      this.plans.delete(key);
      this.plans.set(key, cached);
      return cached;
    }
    let prepared: Prepared | null;
    try {
      prepared = compileOperation(state, rc, this.sources, this.log);
    } catch (error) {
      this.log.warn(
        { err: error, operationName: rc.operationName },
        'plan executor cannot compile; using Apollo’s',
      );
      prepared = null;
    }
    this.plans.set(key, prepared);
    if (this.plans.size > PLAN_CACHE_ENTRIES) this.plans.delete(this.plans.keys().next().value!);
    return prepared;
  }
}

interface SchemaState {
  apiSchema: GraphQLSchema;
  fedApiSchema: ReturnType<Supergraph['apiSchema']>;
  /** The supergraph as graphql-js sees it: entity type conditions are checked against it. */
  supergraphSchema: GraphQLSchema;
  planner: QueryPlanner;
}

interface Prepared {
  root: Step | undefined;
  shape: ShapeSet;
}

// ---------------------------------------------------------------------------------------------------
// Plans

type Step = { kind: 'sequence'; steps: Step[] } | { kind: 'parallel'; steps: Step[] } | Fetch;

interface Fetch {
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

interface RunState {
  data: Json;
  variables: Record<string, unknown>;
  context: RouterContext;
  share: boolean;
}

/** Unsupported plans and operations: Apollo's executor takes them (compile returns null). */
class Unsupported extends Error {}

function compileOperation(
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

async function run(step: Step, state: RunState): Promise<void> {
  switch (step.kind) {
    case 'sequence':
      for (const s of step.steps) await run(s, state);
      return;
    case 'parallel':
      await Promise.all(step.steps.map((s) => run(s, state)));
      return;
    case 'fetch':
      return runFetch(step, state);
  }
}

async function runFetch(fetch: Fetch, state: RunState): Promise<void> {
  const entities: Json[] = [];
  collect(state.data, fetch.path, 0, entities);
  if (entities.length === 0) return;
  let variables: Record<string, unknown> | undefined;
  for (const name of fetch.variableUsages) {
    const value = state.variables[name];
    if (value !== undefined && Object.hasOwn(state.variables, name)) (variables ??= {})[name] = value;
  }
  if (!fetch.represent) {
    const body = subgraphRequestBody(fetch.operation, fetch.operationName, variables);
    const received = await send(fetch, body, state);
    if (received.errors?.length) throw new Fallback(`errors from ${fetch.source.subgraph}`);
    for (const entity of entities) deepMerge(entity, received.data);
    return;
  }
  // one representation per distinct entity; `slots[i]` is entity i's, -1 when it has none
  const distinct = new DistinctJson();
  const slots = new Array<number>(entities.length);
  for (let i = 0; i < entities.length; i++) {
    const json = fetch.represent(entities[i]!);
    slots[i] = json === null ? -1 : distinct.slotOf(json);
  }
  const representations = distinct.json;
  if (representations.length === 0) return;
  const body = subgraphRequestBody(fetch.operation, fetch.operationName, variables, representations);
  const received = await send(fetch, body, state);
  const answers = (received.data as Json | null | undefined)?._entities;
  if (received.errors?.length || !Array.isArray(answers) || answers.length !== representations.length)
    throw new Fallback(`errors or no matching _entities from ${fetch.source.subgraph}`);
  for (let i = 0; i < entities.length; i++) {
    const slot = slots[i]!;
    if (slot < 0) continue;
    const answer = answers[slot] as Json | null;
    const entity = entities[i]!;
    if (answer && !answer.__typename) answer.__typename = entity.__typename;
    deepMerge(entity, answer);
  }
}

async function send(fetch: Fetch, body: string, state: RunState) {
  try {
    return await fetch.source.fetch(body, state.context, { share: state.share });
  } catch {
    throw new Fallback(`${fetch.source.subgraph} failed`); // logged by the data source
  }
}

/** The non-null objects at `path` (as @apollo/gateway's flattenResultsAtPath, nulls dropped). */
function collect(value: unknown, path: string[], at: number, out: Json[]): void {
  if (value === null || value === undefined) return;
  if (at === path.length) {
    if (Array.isArray(value)) {
      for (const item of value) if (item !== null && item !== undefined) out.push(item as Json);
    } else out.push(value as Json);
    return;
  }
  const key = path[at]!;
  if (key === '@') {
    if (!Array.isArray(value)) throw new Fallback('not a list at a flatten path');
    for (const item of value) collect(item, path, at + 1, out);
    return;
  }
  if (Array.isArray(value) || typeof value !== 'object')
    throw new Fallback('not an object at a flatten path');
  collect(Object.hasOwn(value, key) ? (value as Json)[key] : undefined, path, at + 1, out);
}

const isPlainObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** @apollo/gateway's deepMerge: objects merged key by key, equal-length lists item by item. */
function deepMerge(target: Json, source: unknown): void {
  if (source === null || source === undefined) return;
  for (const key of Object.keys(source as Json)) {
    const value = (source as Json)[key];
    if (value === undefined) continue;
    if (key === '__proto__') throw new Fallback('a __proto__ key');
    const existing = target[key];
    if (existing && isPlainObject(value)) {
      deepMerge(existing as Json, value);
    } else if (Array.isArray(value) && Array.isArray(existing) && value.length === existing.length) {
      for (let i = 0; i < value.length; i++) {
        if (isPlainObject(existing[i]) && isPlainObject(value[i])) deepMerge(existing[i] as Json, value[i]);
        else existing[i] = value[i];
      }
    } else {
      target[key] = value;
    }
  }
}

// ---------------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------------
// The response

/** A field's type as completion needs it: nullability and list nesting (graphql-js's checks are dear). */
interface TypeShape {
  nonNull: boolean;
  /** Lists: the items' type. */
  item?: TypeShape;
}

function typeShape(type: GraphQLOutputType): TypeShape {
  const nonNull = isNonNullType(type);
  const inner = nonNull ? type.ofType : type;
  return isListType(inner) ? { nonNull, item: typeShape(inner.ofType) } : { nonNull };
}

interface FieldShape {
  key: string;
  /** `__typename`: the object's type name. */
  typename: boolean;
  type: TypeShape;
  /** Leaf fields: is a subgraph's value valid for the type? */
  valid?: (value: unknown) => boolean;
  /** Composite fields: the merged selections. */
  children?: ShapeSet;
}

/** The response fields of one object type. */
interface ObjectShape {
  type: string;
  fields: FieldShape[];
}

/**
 * A selection set of the client's operation (several, merged, where fragments and repeated fields
 * meet) on a field of type `declared`, compiled for each object type a value turns out to have (once,
 * on first sight: compiling every possible type up front could multiply along nested interfaces) into
 * the response's fields in order, as graphql-js's collectFields orders them.
 */
class ShapeSet {
  private readonly byType = new Map<string, ObjectShape>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    private readonly selectionSets: readonly SelectionSetNode[],
    readonly declared: GraphQLCompositeType,
  ) {}

  /** The runtime type of a value (its __typename, or the declared type) and its response fields. */
  shapeOf(value: Json): ObjectShape {
    const typename = value.__typename;
    const name = typename === undefined && isObjectType(this.declared) ? this.declared.name : typename;
    if (typeof name !== 'string') throw new Fallback(`no __typename where ${this.declared.name} is expected`);
    let shape = this.byType.get(name);
    if (!shape) {
      const type = this.schema.getType(name);
      const possible =
        isObjectType(type) &&
        (type === this.declared ||
          (isAbstractType(this.declared) && this.schema.isSubType(this.declared, type)));
      if (!possible) throw new Fallback(`__typename ${name} where ${this.declared.name} is expected`);
      shape = { type: name, fields: this.compile(type) };
      this.byType.set(name, shape);
    }
    return shape;
  }

  private compile(type: GraphQLObjectType): FieldShape[] {
    const merged = new Map<string, { name: string; sets: SelectionSetNode[] }>();
    const visited = new Set<string>();
    const visit = (set: SelectionSetNode) => {
      for (const selection of set.selections) {
        if (selection.kind === Kind.FIELD) {
          const key = selection.alias?.value ?? selection.name.value;
          let entry = merged.get(key);
          if (!entry) {
            entry = { name: selection.name.value, sets: [] };
            merged.set(key, entry);
          }
          if (selection.selectionSet) entry.sets.push(selection.selectionSet);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          if (this.applies(selection.typeCondition?.name.value, type)) visit(selection.selectionSet);
        } else {
          const name = selection.name.value;
          const fragment = this.fragments.get(name)!; // the document is validated
          if (visited.has(name)) continue;
          visited.add(name);
          if (this.applies(fragment.typeCondition.name.value, type)) visit(fragment.selectionSet);
        }
      }
    };
    for (const set of this.selectionSets) visit(set);
    const fieldMap = type.getFields();
    return [...merged].map(([key, { name, sets }]): FieldShape => {
      if (name === '__typename') return { key, typename: true, type: { nonNull: true } };
      const field = fieldMap[name]!; // validated; introspection fields were refused by unsupported()
      const named = getNamedType(field.type);
      if (isCompositeType(named)) {
        const children = new ShapeSet(this.schema, this.fragments, sets, named);
        return { key, typename: false, type: typeShape(field.type), children };
      }
      return { key, typename: false, type: typeShape(field.type), valid: leafCheck(named) };
    });
  }

  private applies(condition: string | undefined, type: GraphQLObjectType): boolean {
    if (condition === undefined || condition === type.name) return true;
    const conditional = this.schema.getType(condition);
    return !!conditional && isAbstractType(conditional) && this.schema.isSubType(conditional, type);
  }
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

/** The leaf values @apollo/federation-internals' isValidLeafValue accepts. */
function leafCheck(type: GraphQLNamedType): (value: unknown) => boolean {
  const isInteger = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < 1e21;
  switch (type.name) {
    case 'Int':
      return isInteger;
    case 'Float':
      return (v) => typeof v === 'number' && Number.isFinite(v);
    case 'String':
      return (v) => typeof v === 'string';
    case 'Boolean':
      return (v) => typeof v === 'boolean';
    case 'ID':
      return (v) => typeof v === 'string' || isInteger(v);
  }
  if (isEnumType(type)) {
    const values = new Set(type.getValues().map((v) => v.name));
    return (v) => typeof v === 'string' && values.has(v);
  }
  return () => true; // custom scalars: as the subgraph serialized them
}

function shapeObject(input: Json, set: ShapeSet): Json {
  const { type, fields } = set.shapeOf(input);
  const out: Json = {};
  for (const field of fields) {
    if (field.typename) {
      out[field.key] = type;
      continue;
    }
    const value = Object.hasOwn(input, field.key) ? input[field.key] : undefined;
    out[field.key] = complete(value ?? null, field.type, field);
  }
  return out;
}

function complete(value: unknown, type: TypeShape, field: FieldShape): unknown {
  if (value === null || value === undefined) {
    if (type.nonNull) throw new Fallback(`null for the non-null ${field.key}`); // Apollo's reports it
    return null;
  }
  if (type.item) {
    if (!Array.isArray(value)) throw new Fallback(`not a list for ${field.key}`);
    const items = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) items[i] = complete(value[i], type.item, field);
    return items;
  }
  if (field.children) {
    if (!isPlainObject(value)) throw new Fallback(`not an object for ${field.key}`);
    return shapeObject(value, field.children);
  }
  if (!field.valid!(value)) throw new Fallback(`an invalid value for ${field.key}`);
  return value;
}
