import {
  getArgumentValues,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  isAbstractType,
  Kind,
  parse,
  print,
  TypeInfo,
  validate,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
  type VariableDefinitionNode,
} from 'graphql';
import { ErrorCode, badUserInput } from '@shop/errors';
import { analyseOperation, type OperationLimits } from '../plugins/limits';

/** What a client sends to subscribe (the graphql-ws Subscribe payload, a multipart POST body). */
export interface SubscribeRequest {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

/** Where an OrderEvent field of the subscriber's selection is found in the event query's answer. */
export interface EventFieldPlan {
  /** The event query's root alias holding it. */
  alias: string;
  /** payment / notification: the alias of the id this router selects to match the event's. */
  idAlias?: string;
}

/**
 * A subscription, checked and planned once when it is subscribed: the subscriber's document (run
 * again per event by graphql-js over the event query's answer, so aliases, fragments, @skip/@include
 * and __typename come out exactly as asked) and the query that resolves one event through the
 * supergraph: `order(id: $id) { <the subscriber's selection on Order> }` (fragments included).
 */
export interface PreparedSubscription {
  field: 'orderUpdated' | 'myOrderEvents';
  /** The response key of the subscription field (its alias, else its name). */
  rootKey: string;
  /** orderUpdated: the order, as given in the id argument. */
  orderId?: string;
  document: DocumentNode;
  operationName?: string;
  /** The subscriber's variables as sent (the document runs again per event with them). */
  variables: Record<string, unknown>;
  /** The query of one event, its operation name, and its variables but the order id. */
  eventQuery: string;
  eventOperationName: string;
  eventVariables: Record<string, unknown>;
  /** The event query's variable carrying the order id. */
  orderIdVariable: string;
  /** myOrderEvents: OrderEvent response key -> where its value is in the answer. */
  eventFields: Map<string, EventFieldPlan>;
}

const EVENT_OPERATION = { orderUpdated: 'OrderUpdatedEvent', myOrderEvents: 'MyOrderEventsEvent' } as const;
/** myOrderEvents: the root alias that checks the viewer may see the order at all. */
export const OWNER_ALIAS = 'owner';

const error = (message: string, code: string, extensions: Record<string, unknown> = {}) =>
  new GraphQLError(message, { extensions: { code, ...extensions } });

const limitMessages = {
  depth: (value: number, max: number) => `Query depth ${value} exceeds the limit of ${max}`,
  aliases: (value: number, max: number) => `Query uses ${value} aliases; the limit is ${max}`,
  cost: (value: number, max: number) => `Query cost ${value} exceeds the limit of ${max}`,
};

/** The fields of a selection set, through inline fragments and fragment spreads (directives ignored). */
function flatten(
  selectionSet: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  out: FieldNode[] = [],
  seen = new Set<string>(),
): FieldNode[] {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) out.push(selection);
    else if (selection.kind === Kind.INLINE_FRAGMENT) flatten(selection.selectionSet, fragments, out, seen);
    else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = fragments.get(selection.name.value);
      if (fragment) flatten(fragment.selectionSet, fragments, out, seen);
    }
  }
  return out;
}

/** Whether a root selection (or a fragment on the way to the field) carries @skip / @include. */
function hasDirectives(selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>) {
  return selectionSet.selections.some((s): boolean => {
    if (s.directives?.length) return true;
    if (s.kind === Kind.INLINE_FRAGMENT) return hasDirectives(s.selectionSet, fragments);
    if (s.kind === Kind.FRAGMENT_SPREAD) {
      const fragment = fragments.get(s.name.value);
      return !!fragment && (!!fragment.directives?.length || hasDirectives(fragment.selectionSet, fragments));
    }
    return false;
  });
}

const responseKey = (field: FieldNode) => field.alias?.value ?? field.name.value;
const name = (value: string) => ({ kind: Kind.NAME, value }) as const;
const variable = (value: string) => ({ kind: Kind.VARIABLE, name: name(value) }) as const;

function fieldNode(
  fieldName: string,
  selections: readonly SelectionNode[] | undefined,
  options: {
    alias?: string;
    orderIdVariable?: string;
  } = {},
): FieldNode {
  return {
    kind: Kind.FIELD,
    name: name(fieldName),
    ...(options.alias ? { alias: name(options.alias) } : {}),
    arguments: options.orderIdVariable
      ? [{ kind: Kind.ARGUMENT, name: name('id'), value: variable(options.orderIdVariable) }]
      : [],
    directives: [],
    ...(selections ? { selectionSet: { kind: Kind.SELECTION_SET, selections } } : {}),
  };
}

/** A name not used anywhere in the document (aliases, fields, variables, fragments). */
function freshNames(document: DocumentNode) {
  const used = new Set<string>();
  visit(document, {
    Name(node) {
      used.add(node.value);
    },
  });
  return (base: string) => {
    let candidate = base;
    for (let i = 2; used.has(candidate); i++) candidate = `${base}${i}`;
    used.add(candidate);
    return candidate;
  };
}

/**
 * The event query's document: the operation, the subscriber's fragments it spreads (transitively),
 * the subscriber's variable definitions it uses, and `__typename` in every selection set of an
 * abstract type (graphql-js needs it to run the subscriber's document over the answer).
 */
function eventDocument(
  schema: GraphQLSchema,
  operationName: string,
  orderIdVariable: string,
  selections: SelectionNode[],
  fragments: Map<string, FragmentDefinitionNode>,
  definitions: readonly VariableDefinitionNode[],
): { document: DocumentNode; variableNames: Set<string> } {
  const spread = new Set<string>();
  const variableNames = new Set<string>();
  const walk = (node: SelectionSetNode | FragmentDefinitionNode) =>
    visit(node, {
      FragmentSpread(s) {
        if (spread.has(s.name.value)) return;
        spread.add(s.name.value);
        const fragment = fragments.get(s.name.value);
        if (fragment) walk(fragment);
      },
      Variable(v) {
        variableNames.add(v.name.value);
      },
    });
  const selectionSet: SelectionSetNode = { kind: Kind.SELECTION_SET, selections };
  walk(selectionSet);
  variableNames.delete(orderIdVariable);
  const operation: OperationDefinitionNode = {
    kind: Kind.OPERATION_DEFINITION,
    operation: 'query' as OperationDefinitionNode['operation'],
    name: name(operationName),
    variableDefinitions: [
      {
        kind: Kind.VARIABLE_DEFINITION,
        variable: variable(orderIdVariable),
        type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: name('ID') } },
        directives: [],
      },
      ...definitions.filter((d) => variableNames.has(d.variable.name.value)),
    ],
    directives: [],
    selectionSet,
  };
  const document: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [operation, ...[...spread].map((n) => fragments.get(n)!).filter(Boolean)],
  };
  const typeInfo = new TypeInfo(schema);
  const typed = visit(
    document,
    visitWithTypeInfo(typeInfo, {
      SelectionSet: {
        leave(node) {
          const type = typeInfo.getParentType();
          if (!type || !isAbstractType(type)) return undefined;
          const has = node.selections.some(
            (s) => s.kind === Kind.FIELD && !s.alias && s.name.value === '__typename',
          );
          return has
            ? undefined
            : { ...node, selections: [fieldNode('__typename', undefined), ...node.selections] };
        },
      },
    }),
  );
  return { document: typed, variableNames };
}

/**
 * Checks a subscription as /graphql checks a query (document size, tokens, validation against the
 * API schema with the subscriptions, operation resolution, depth/aliases/cost, variables) and plans
 * its event query. Errors are the client's: GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED,
 * OPERATION_RESOLUTION_FAILURE, BAD_REQUEST (not a subscription), BAD_USER_INPUT (limits, variables).
 */
export function prepareSubscription(
  schema: GraphQLSchema,
  request: SubscribeRequest,
  limits: OperationLimits & { maxTokens: number },
): PreparedSubscription | GraphQLError[] {
  if (typeof request.query !== 'string') return [error('The query must be a string', ErrorCode.BAD_REQUEST)];
  const bytes = Buffer.byteLength(request.query, 'utf8');
  if (bytes > limits.maxQueryBytes) {
    return [
      error(
        `Query document is ${bytes} bytes; the limit is ${limits.maxQueryBytes}`,
        ErrorCode.BAD_USER_INPUT,
        {
          limit: 'size',
        },
      ),
    ];
  }
  let document: DocumentNode;
  try {
    document = parse(request.query, { maxTokens: limits.maxTokens });
  } catch (e) {
    return [error((e as Error).message, ErrorCode.GRAPHQL_PARSE_FAILED)];
  }
  let invalid: readonly GraphQLError[];
  try {
    invalid = validate(schema, document);
  } catch (e) {
    // graphql-js 16's SingleFieldSubscriptionsRule evaluates @skip/@include on the root without
    // variables, and throws when they use one
    invalid = [error((e as Error).message, ErrorCode.GRAPHQL_VALIDATION_FAILED)];
  }
  if (invalid.length > 0) {
    return invalid.map((e) => error(e.message, ErrorCode.GRAPHQL_VALIDATION_FAILED));
  }
  const operationName = request.operationName ?? undefined;
  const operation = getOperationAST(document, operationName);
  if (!operation) {
    const message = operationName
      ? `Unknown operation named "${operationName}".`
      : 'Must provide operation name if query contains multiple operations.';
    return [error(message, ErrorCode.OPERATION_RESOLUTION_FAILURE)];
  }
  if (operation.operation !== 'subscription') {
    return [
      error(
        `Only subscriptions are served here; send a ${operation.operation} as a plain request to /graphql`,
        ErrorCode.BAD_REQUEST,
      ),
    ];
  }
  const raw = request.variables ?? {};
  const analysis = analyseOperation(schema, document, operation, raw, limits);
  if (analysis.exceeded) {
    const max = { depth: limits.maxDepth, aliases: limits.maxAliases, cost: limits.maxCost }[
      analysis.exceeded
    ];
    const value = analysis.measure[analysis.exceeded];
    return [
      error(limitMessages[analysis.exceeded](value, max), ErrorCode.BAD_USER_INPUT, {
        limit: analysis.exceeded,
      }),
    ];
  }
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], raw, { maxErrors: 10 });
  if (coerced.errors) return coerced.errors.map((e) => badUserInput(e.message));

  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions)
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  if (hasDirectives(operation.selectionSet, fragments)) {
    return [error('@skip and @include are not supported on the subscription field', ErrorCode.BAD_REQUEST)];
  }
  const roots = flatten(operation.selectionSet, fragments);
  const root = roots[0]!;
  const rootKey = responseKey(root);
  const field = root.name.value as PreparedSubscription['field'];
  const subscriptionType = schema.getSubscriptionType()!;
  const fresh = freshNames(document);
  const orderIdVariable = fresh('orderId');
  const rootSelections = roots.flatMap((f) => f.selectionSet?.selections ?? []);
  const definitions = operation.variableDefinitions ?? [];

  let selections: SelectionNode[];
  const eventFields = new Map<string, EventFieldPlan>();
  let orderId: string | undefined;
  if (field === 'orderUpdated') {
    const args = getArgumentValues(subscriptionType.getFields().orderUpdated!, root, coerced.coerced);
    orderId = String(args.id);
    selections = [fieldNode('order', rootSelections, { orderIdVariable })];
  } else {
    // one root field per OrderEvent response key: its own selection, so that aliases inside never meet
    const byKey = new Map<string, FieldNode[]>();
    for (const f of flatten({ kind: Kind.SELECTION_SET, selections: rootSelections }, fragments)) {
      const key = responseKey(f);
      byKey.set(key, [...(byKey.get(key) ?? []), f]);
    }
    selections = [
      fieldNode('order', [fieldNode('__typename', undefined)], { alias: OWNER_ALIAS, orderIdVariable }),
    ];
    let n = 0;
    for (const [key, nodes] of byKey) {
      const kind = nodes[0]!.name.value;
      const inner = nodes.flatMap((f) => f.selectionSet?.selections ?? []);
      if (kind !== 'order' && kind !== 'payment' && kind !== 'notification') continue;
      const alias = `e${n++}`;
      if (kind === 'order') {
        selections.push(fieldNode('order', inner, { alias, orderIdVariable }));
        eventFields.set(key, { alias });
      } else {
        const idAlias = fresh('eventId');
        const wrapped = [fieldNode('id', undefined, { alias: idAlias }), ...inner];
        const list = kind === 'payment' ? 'payment' : 'notifications';
        selections.push(fieldNode('order', [fieldNode(list, wrapped)], { alias, orderIdVariable }));
        eventFields.set(key, { alias, idAlias });
      }
    }
  }
  const eventOperationName = EVENT_OPERATION[field];
  const built = eventDocument(
    schema,
    eventOperationName,
    orderIdVariable,
    selections,
    fragments,
    definitions,
  );
  const eventVariables = Object.fromEntries(
    Object.entries(raw).filter(([key]) => built.variableNames.has(key)),
  );
  return {
    field,
    rootKey,
    ...(orderId !== undefined ? { orderId } : {}),
    document,
    ...(operationName ? { operationName } : {}),
    variables: raw,
    eventQuery: print(built.document),
    eventOperationName,
    eventVariables,
    orderIdVariable,
    eventFields,
  };
}
