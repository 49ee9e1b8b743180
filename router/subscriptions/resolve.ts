import { randomUUID } from 'node:crypto';
import type { ApolloServer } from '@apollo/server';
import { maskError } from '@shop/errors';
import type { Logger } from '@shop/server';
import {
  execute,
  type FormattedExecutionResult,
  type GraphQLFieldResolver,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import type { RouterContext } from '../context';
import type { Subscriber } from './auth';
import type { LiveEvent } from './events';
import { OWNER_ALIAS, type PreparedSubscription } from './operation';

type Json = Record<string, unknown>;

/** What one event (or the initial snapshot) came to for one subscriber. */
export type Resolution =
  /** The payload to send. */
  | { kind: 'payload'; result: FormattedExecutionResult }
  /** The viewer may not see the order (or it does not exist): nothing is sent. */
  | { kind: 'hidden' }
  /** The order could not be resolved at all (a subgraph error): these are the errors. */
  | { kind: 'failed'; errors: GraphQLFormattedError[] };

interface EventContext {
  prepared: PreparedSubscription;
  data: Json;
  event: LiveEvent | undefined;
}

const asObject = (value: unknown): Json | undefined =>
  value !== null && typeof value === 'object' ? (value as Json) : undefined;

/**
 * Reads the event query's answer in the shape of the subscriber's document: the subscription field
 * gives the order (orderUpdated) or the event (myOrderEvents); OrderEvent's fields come from the
 * event and from the root alias planned for them; every other field is its response key in the
 * answer (which has the subscriber's own aliases, as its selection was copied).
 */
const resolveField: GraphQLFieldResolver<unknown, EventContext> = (source, _args, ctx, info) => {
  if (info.parentType === info.schema.getSubscriptionType()) {
    return ctx.prepared.field === 'orderUpdated' ? ctx.data.order : {};
  }
  if (info.parentType.name === 'OrderEvent' && ctx.event) {
    const event = ctx.event;
    switch (info.fieldName) {
      case 'kind':
        return event.kind;
      case 'at':
        return event.at;
      case 'order':
        return ctx.data[ctx.prepared.eventFields.get(info.path.key as string)?.alias ?? ''];
      case 'payment':
      case 'notification': {
        const plan = ctx.prepared.eventFields.get(info.path.key as string);
        const wanted = info.fieldName === 'payment' ? event.paymentId : event.notificationId;
        if (!plan?.idAlias || !wanted) return null;
        const order = asObject(ctx.data[plan.alias]);
        if (info.fieldName === 'payment') {
          const payment = asObject(order?.payment);
          return payment?.[plan.idAlias] === wanted ? payment : null;
        }
        const list = Array.isArray(order?.notifications) ? (order.notifications as unknown[]) : [];
        return list.map(asObject).find((n) => n?.[plan.idAlias!] === wanted) ?? null;
      }
      default:
        return null;
    }
  }
  return asObject(source)?.[info.path.key as string];
};

/** An event query error's path in the subscriber's payload (best effort: the root alias is replaced). */
function remapError(prepared: PreparedSubscription, error: GraphQLFormattedError): GraphQLFormattedError {
  if (!error.path?.length) return error;
  const [alias, ...rest] = error.path;
  if (prepared.field === 'orderUpdated') return { ...error, path: [prepared.rootKey, ...rest] };
  const key = [...prepared.eventFields].find(([, plan]) => plan.alias === alias)?.[0];
  return { ...error, path: key ? [prepared.rootKey, key, ...rest] : [prepared.rootKey] };
}

export interface EventResolverOptions {
  /** The router's /graphql Apollo Server. */
  apollo(): ApolloServer<RouterContext>;
  /** The API schema with the subscriptions (the subscriber's document runs against it). */
  schema(): GraphQLSchema | undefined;
  log: Logger;
}

/**
 * Resolves an event for one subscriber through the supergraph like any query: the subscription's
 * event query runs through the router's own Apollo Server and gateway (plan executor, shared
 * subgraph fetches) with the SUBSCRIBER's Authorization, so every subgraph checks ownership per
 * event, and any field of Order works. An order the viewer may not see resolves to null: the event
 * is not delivered.
 */
export class EventResolver {
  constructor(private readonly options: EventResolverOptions) {}

  async resolve(
    prepared: PreparedSubscription,
    subscriber: Subscriber,
    clientAddress: string | undefined,
    orderId: string,
    event: LiveEvent | undefined,
  ): Promise<Resolution> {
    const requestId = randomUUID();
    const context: RouterContext = {
      requestId,
      authorization: subscriber.authorization,
      limitsChecked: true,
      ...(clientAddress ? { clientAddress } : {}),
    };
    const response = await this.options.apollo().executeOperation(
      {
        query: prepared.eventQuery,
        operationName: prepared.eventOperationName,
        variables: { ...prepared.eventVariables, [prepared.orderIdVariable]: orderId },
      },
      { contextValue: context },
    );
    if (response.body.kind !== 'single') return { kind: 'failed', errors: [] };
    const { data, errors } = response.body.singleResult;
    const answer = (data ?? {}) as Json;
    const visible =
      prepared.field === 'orderUpdated'
        ? asObject(answer.order)
        : asObject(answer[OWNER_ALIAS]) &&
          [...prepared.eventFields.values()].every((plan) => plan.idAlias || asObject(answer[plan.alias]));
    if (!visible) return errors?.length ? { kind: 'failed', errors: [...errors] } : { kind: 'hidden' };
    const schema = this.options.schema();
    if (!schema) return { kind: 'failed', errors: [] };
    const result = await execute({
      schema,
      document: prepared.document,
      ...(prepared.operationName ? { operationName: prepared.operationName } : {}),
      variableValues: prepared.variables,
      contextValue: { prepared, data: answer, event } satisfies EventContext,
      fieldResolver: resolveField,
    });
    const all = [
      ...(errors ?? []).map((e) => remapError(prepared, e)),
      ...(result.errors ?? []).map((e) => maskError(e.toJSON(), requestId)),
    ];
    if (result.errors?.length) {
      this.options.log.warn(
        { errors: result.errors.map((e) => e.message), requestId },
        'subscription payload incomplete',
      );
    }
    return {
      kind: 'payload',
      result: { data: result.data ?? null, ...(all.length ? { errors: all } : {}) },
    };
  }
}
