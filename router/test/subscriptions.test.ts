import { randomUUID } from 'node:crypto';
import { createLogger } from '@shop/server';
import { memoryLog } from '@shop/testing';
import { buildSchema, parse, print, type GraphQLError } from 'graphql';
import type { Subscriber } from '../subscriptions/auth';
import { eventMappings, toLiveEvent, type LiveEvent } from '../subscriptions/events';
import { SubscriptionHub, type Connection } from '../subscriptions/hub';
import { acceptsMultipartSubscriptions } from '../subscriptions/multipart';
import { prepareSubscription, type PreparedSubscription } from '../subscriptions/operation';
import type { EventResolver, Resolution } from '../subscriptions/resolve';
import { extendApiSchema, hasSubscriptions } from '../subscriptions/schema';
import { LiveSubscription } from '../subscriptions/subscription';

/** The subscriptions' pure parts: planning, event mapping, the fan-out, one subscription's queue. */

const API = buildSchema(`
  "An instant." scalar DateTime
  "Something with an id." interface Thing { id: ID! }
  type Product implements Thing { id: ID! name: String! }
  type Gift implements Thing { id: ID! note: String }
  type Payment { id: ID! status: String! }
  type Notification { id: ID! subject: String! }
  type OrderItem { quantity: Int! thing: Thing! }
  type Order { id: ID! status: String! items(first: Int): [OrderItem!]! payment: Payment notifications: [Notification!]! }
  type Query { order(id: ID!): Order }
`);
const schema = extendApiSchema(API);
const limits = { maxDepth: 12, maxAliases: 15, maxCost: 5000, maxQueryBytes: 20_000, maxTokens: 2000 };
const prepare = (query: string, variables: Record<string, unknown> = {}, operationName?: string) => {
  const prepared = prepareSubscription(
    schema,
    { query, variables, operationName: operationName ?? null },
    limits,
  );
  if (Array.isArray(prepared)) throw new Error(prepared.map((e) => e.message).join('; '));
  return prepared;
};
const refusal = (query: string, variables: Record<string, unknown> = {}) => {
  const prepared = prepareSubscription(schema, { query, variables }, limits);
  return Array.isArray(prepared) ? prepared.map((e) => e.extensions.code) : 'accepted';
};

describe('the schema extension', () => {
  it('adds Subscription only to a schema with the types it names, once per schema', () => {
    expect(hasSubscriptions(schema)).toBe(true);
    expect(extendApiSchema(API)).toBe(schema);
    expect(hasSubscriptions(extendApiSchema(buildSchema('type Query { a: Int }')))).toBe(false);
    expect(Object.keys(schema.getSubscriptionType()!.getFields())).toEqual(['orderUpdated', 'myOrderEvents']);
  });
});

describe('prepareSubscription', () => {
  it('plans orderUpdated as order(id:) with the selection, its fragments and only the variables it uses', () => {
    const prepared = prepare(
      `subscription Live($id: ID!, $n: Int) {
        live: orderUpdated(id: $id) { ...O items(first: $n) { quantity } }
      }
      fragment O on Order { s: status payment { id } }`,
      { id: 'abc', n: 2 },
    );
    expect(prepared).toMatchObject({
      field: 'orderUpdated',
      rootKey: 'live',
      orderId: 'abc',
      eventVariables: { n: 2 },
    });
    expect(print(parse(prepared.eventQuery))).toBe(
      print(
        parse(`query OrderUpdatedEvent($orderId: ID!, $n: Int) {
          order(id: $orderId) { ...O items(first: $n) { quantity } }
        }
        fragment O on Order { s: status payment { id } }`),
      ),
    );
  });

  it('adds __typename where the selection meets an abstract type, and picks names the document does not use', () => {
    const prepared = prepare(
      `subscription($orderId: ID!) {
      orderUpdated(id: $orderId) { items { thing { ... on Product { name } } } }
    }`,
      { orderId: 'x' },
    );
    expect(prepared.orderIdVariable).toBe('orderId2');
    expect(prepared.eventQuery).toContain('thing {\n        __typename\n        ... on Product');
  });

  it('plans myOrderEvents: an ownership check, one root field per OrderEvent key, ids to match payment and notification', () => {
    const prepared = prepare(`subscription {
      myOrderEvents { kind a: order { status } ...E eventId: at }
    }
    fragment E on OrderEvent { order { id } payment { status } notification { subject } }`);
    expect([...prepared.eventFields]).toEqual([
      ['a', { alias: 'e0' }],
      ['order', { alias: 'e1' }],
      ['payment', { alias: 'e2', idAlias: 'eventId2' }],
      ['notification', { alias: 'e3', idAlias: 'eventId3' }],
    ]);
    // the event's own fields (kind, at, even aliased as a name the router picks) need no query
    const query = parse(prepared.eventQuery);
    expect(print(query)).toContain('owner: order(id: $orderId) {\n    __typename\n  }');
    expect(print(query)).toContain(
      'e2: order(id: $orderId) {\n    payment {\n      eventId2: id\n      status',
    );
    expect(print(query)).toContain('e3: order(id: $orderId) {\n    notifications {\n      eventId3: id');
    // the OrderEvent fragment is not part of the event query (the gateway does not know OrderEvent)
    expect(prepared.eventQuery).not.toContain('fragment E');
  });

  it('refuses what is not a single valid subscription within the limits', () => {
    expect(refusal('{ order(id: "1") { id } }')).toEqual(['BAD_REQUEST']);
    expect(refusal('subscription { myOrderEvents { nope } }')).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(refusal('subscription { myOrderEvents { kind } orderUpdated(id: "1") { id } }')).toEqual([
      'GRAPHQL_VALIDATION_FAILED',
    ]);
    expect(refusal('subscription {')).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect(
      refusal('subscription A { myOrderEvents { kind } } subscription B { myOrderEvents { at } }'),
    ).toEqual(['OPERATION_RESOLUTION_FAILURE']);
    expect(
      refusal('subscription($s: Boolean!) { myOrderEvents @include(if: $s) { kind } }', { s: true }),
    ).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(
      refusal('subscription { ... on Subscription @skip(if: false) { myOrderEvents { kind } } }'),
    ).toEqual(['BAD_REQUEST']);
    expect(refusal('subscription($id: ID!) { orderUpdated(id: $id) { id } }', { id: ['x'] })).toEqual([
      'BAD_USER_INPUT',
    ]);
    expect(
      refusal('subscription { orderUpdated(id: "1") { items(first: 10000) { thing { id } } } }'),
    ).toEqual(['BAD_USER_INPUT']);
  });
});

describe('stream messages', () => {
  const mappings = eventMappings('p1');
  const orderId = randomUUID();
  const userId = randomUUID();
  const paid = {
    eventId: 'e',
    orderId,
    orderNumber: 'SO-1',
    userId,
    paymentId: 'p',
    total: { amount: 1, currency: 'EUR' },
    items: [],
    paidAt: 'T',
  };

  it('become events of their order and user, with the ids the event is about', () => {
    expect(toLiveEvent(mappings, 'p1.orders.paid', paid)).toEqual({ kind: 'PAID', at: 'T', orderId, userId });
    expect(
      toLiveEvent(mappings, 'p1.notifications.sent', {
        eventId: 'e',
        notificationId: 'n'.repeat(22),
        orderId,
        userId,
        channel: 'SMS',
        kind: 'ORDER_SHIPPED',
        status: 'FAILED',
        at: 'T',
      }),
    ).toEqual({ kind: 'NOTIFICATION_FAILED', at: 'T', orderId, userId, notificationId: 'n'.repeat(22) });
  });

  it('are ignored when malformed, of another prefix or subject, or with ids in another form', () => {
    expect(toLiveEvent(mappings, 'orders.paid', paid)).toBeUndefined();
    expect(toLiveEvent(mappings, 'p1.orders.refund_requested', paid)).toBeUndefined();
    expect(toLiveEvent(mappings, 'p1.orders.paid', { ...paid, paidAt: undefined })).toBeUndefined();
    expect(
      toLiveEvent(mappings, 'p1.orders.paid', { ...paid, orderId: orderId.toUpperCase() }),
    ).toBeUndefined();
    expect(toLiveEvent(mappings, 'p1.orders.paid', { ...paid, userId: `{${userId}}` })).toBeUndefined();
    expect(toLiveEvent(mappings, 'p1.orders.paid', undefined)).toBeUndefined();
  });
});

describe('multipart Accept', () => {
  it.each([
    ['multipart/mixed;subscriptionSpec="1.0", application/json', true],
    ['multipart/mixed;boundary=graphql;subscriptionSpec=1.0,application/graphql-response+json', true],
    ['application/json, multipart/mixed; subscriptionSpec=1.0', true],
    ['multipart/mixed;deferSpec=20220824', false],
    ['application/json', false],
    [undefined, false],
  ])('%s -> %s', (accept, expected) => expect(acceptsMultipartSubscriptions(accept)).toBe(expected));
});

// ---- one subscription, the fan-out ---------------------------------------------------------------

const log = createLogger({ name: 'subs-unit', level: 'debug' }, memoryLog().stream);
const subscriber = (expiresInMs = 60_000, id: string = randomUUID()): Subscriber => ({
  viewer: { id, role: 'CUSTOMER', email: 'a@example.com' },
  authorization: 'Bearer t',
  expiresAt: Date.now() + expiresInMs,
});
const event = (
  kind: LiveEvent['kind'],
  orderId: string = randomUUID(),
  userId: string = randomUUID(),
): LiveEvent => ({
  kind,
  orderId,
  userId,
  at: 'T',
});

/** A resolver answering each call after `delayMs` with the event's kind (or 'SNAPSHOT'). */
function fakeResolver(delayMs = 0, answer?: (event: LiveEvent | undefined) => Resolution) {
  const calls: (LiveEvent | undefined)[] = [];
  const resolver = {
    resolve: async (
      _p: PreparedSubscription,
      _s: Subscriber,
      _a: string | undefined,
      _o: string,
      e: LiveEvent | undefined,
    ) => {
      calls.push(e);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return answer?.(e) ?? { kind: 'payload', result: { data: { kind: e?.kind ?? 'SNAPSHOT' } } };
    },
  } as unknown as EventResolver;
  return { resolver, calls };
}

function live(
  prepared: PreparedSubscription,
  options: Partial<ConstructorParameters<typeof LiveSubscription>[0]> = {},
) {
  return new LiveSubscription({
    prepared,
    subscriber: subscriber(),
    resolver: fakeResolver().resolver,
    queueMax: 100,
    log,
    onEnd: () => undefined,
    ...options,
  });
}

describe('LiveSubscription', () => {
  const events = prepare('subscription { myOrderEvents { kind } }');
  const orderId = randomUUID();
  const updated = prepare(`subscription { orderUpdated(id: "${orderId}") { status } }`);

  it('sends the snapshot first, then the events that came meanwhile, in order', async () => {
    const { resolver, calls } = fakeResolver(20);
    const sub = live(updated, { resolver });
    const first = sub.next();
    sub.push(event('PAID', orderId));
    sub.push(event('NOTIFICATION_SENT', orderId));
    const results = [await first, await sub.next(), await sub.next()].map(
      (r) => (r.value as { data: { kind: string } }).data.kind,
    );
    expect(results).toEqual(['SNAPSHOT', 'PAID', 'NOTIFICATION_SENT']);
    expect(calls.map((c) => c?.kind)).toEqual([undefined, 'PAID', 'NOTIFICATION_SENT']);
    await sub.return();
    expect(await sub.next()).toEqual({ done: true, value: undefined });
  });

  it('ends with BAD_USER_INPUT when the snapshot is hidden, or the id is in another form (no query)', async () => {
    const { resolver, calls } = fakeResolver(0, () => ({ kind: 'hidden' }));
    const hidden = live(updated, { resolver });
    await expect(hidden.next()).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    const upper = live(prepare(`subscription { orderUpdated(id: "${orderId.toUpperCase()}") { status } }`), {
      resolver,
    });
    await expect(upper.next()).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(calls).toHaveLength(1);
  });

  it('skips events that resolve hidden and keeps at most queueMax waiting (the oldest dropped)', async () => {
    const { resolver } = fakeResolver(0, (e) =>
      e?.kind === 'CANCELLED' ? { kind: 'hidden' } : { kind: 'payload', result: { data: { kind: e!.kind } } },
    );
    const sub = live(events, { resolver, queueMax: 4 });
    for (const kind of ['PLACED', 'CANCELLED', 'PAID', 'FULFILLED', 'DELIVERED'] as const)
      sub.push(event(kind));
    expect(sub.dropped).toBe(1);
    const kinds = [await sub.next(), await sub.next(), await sub.next()].map(
      (r) => (r.value as { data: { kind: string } }).data.kind,
    );
    expect(kinds).toEqual(['PAID', 'FULFILLED', 'DELIVERED']);
    expect(sub.delivered).toBe(3);
  });

  it('ends with UNAUTHENTICATED at the token’s expiry, waking a waiting next()', async () => {
    let ended = 0;
    const sub = live(events, { subscriber: subscriber(150), onEnd: () => void (ended += 1) });
    const started = Date.now();
    await expect(sub.next()).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(await sub.next()).toEqual({ done: true, value: undefined });
    sub.end();
    expect(ended).toBe(1);
  });
});

describe('SubscriptionHub', () => {
  const events = prepare('subscription { myOrderEvents { kind } }');

  it('fans an event out to the subscriptions of its order and its owner only', () => {
    const hub = new SubscriptionHub({ perConnection: 10, perUser: 20, connections: 10 });
    const connection = hub.open('websocket') as Connection;
    const ada = subscriber();
    const orderId = randomUUID();
    const mine = live(events, { subscriber: ada, onEnd: (s) => hub.remove(connection, s) });
    const theirs = live(events, { onEnd: (s) => hub.remove(connection, s) });
    const order = live(prepare(`subscription { orderUpdated(id: "${orderId}") { id } }`), {
      onEnd: (s) => hub.remove(connection, s),
    });
    for (const s of [mine, theirs, order]) hub.add(connection, s);
    const pushed: string[] = [];
    for (const [name, s] of Object.entries({ mine, theirs, order })) s.push = () => void pushed.push(name);
    hub.dispatch(event('PAID', orderId, ada.viewer.id));
    expect(pushed.sort()).toEqual(['mine', 'order']);
    expect(hub.stats()).toMatchObject({
      connections: 1,
      subscriptions: 3,
      orderUpdated: 1,
      myOrderEvents: 2,
      users: 3,
      events: 1,
      fannedOut: 2,
    });
    hub.close(connection);
    expect(hub.stats()).toMatchObject({ connections: 0, subscriptions: 0, users: 0 });
  });

  it('refuses beyond the limits of a connection, a user and the process', () => {
    const hub = new SubscriptionHub({ perConnection: 2, perUser: 3, connections: 2 });
    const a = hub.open('websocket') as Connection;
    const b = hub.open('multipart') as Connection;
    expect((hub.open('websocket') as GraphQLError).extensions).toMatchObject({
      code: 'RATE_LIMITED',
      limit: 'SUBSCRIPTION_CONNECTIONS_MAX',
    });
    const ada = subscriber();
    for (const connection of [a, a, b]) {
      expect(hub.refusal(connection, ada.viewer.id)).toBeUndefined();
      hub.add(connection, live(events, { subscriber: ada, onEnd: (s) => hub.remove(connection, s) }));
    }
    expect(hub.refusal(a, randomUUID())?.extensions.limit).toBe('SUBSCRIPTIONS_PER_CONNECTION');
    expect(hub.refusal(b, ada.viewer.id)?.extensions.limit).toBe('SUBSCRIPTIONS_PER_USER');
    expect(hub.refusal(b, randomUUID())).toBeUndefined();
    [...a.subscriptions][0]!.end();
    expect(hub.refusal(a, ada.viewer.id)).toBeUndefined();
  });
});
