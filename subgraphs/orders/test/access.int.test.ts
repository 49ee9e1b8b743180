import { randomUUID } from 'node:crypto';
import { gql } from '@shop/testing';
import { admin, bootWithFakeProducts, customer, pid, placeFor, type FakeHarness } from './helpers';

describe('who may read an order', () => {
  let h: FakeHarness;
  const alice = customer('alice');
  const bob = customer('bob');
  const aliceOrders: string[] = [];

  beforeAll(async () => {
    h = await bootWithFakeProducts(
      { [pid('cup')]: { sku: 'CUP', name: 'Cup', price: { amount: 800, currency: 'EUR' }, stock: 1000 } },
      { runExpiry: false },
    );
    for (let i = 1; i <= 5; i += 1) {
      const { order } = await placeFor(h, [{ productId: pid('cup'), quantity: i }], alice);
      aliceOrders.push(order.id);
    }
  });
  afterAll(async () => {
    await h.stop();
  });

  const ORDER = 'query($id: ID!) { order(id: $id) { id items { quantity } } }';
  const USER_ORDERS = `query($reps: [_Any!]!, $first: Int, $after: String) {
    _entities(representations: $reps) { ... on User { id orders(first: $first, after: $after) {
      edges { cursor node { id items { quantity } } } pageInfo { hasNextPage hasPreviousPage endCursor } } } }
  }`;
  const ORDER_ENTITIES =
    'query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Order { id status } } }';
  const orderReps = (ids: string[]) => ids.map((id) => ({ __typename: 'Order', id }));

  it('lets the owner and an admin read an order through order(id)', async () => {
    const own = await (await h.as(alice))<{ order: { id: string } }>(ORDER, { id: aliceOrders[0] });
    expect(own.data!.order.id).toBe(aliceOrders[0]);
    const byAdmin = await (await h.as(admin()))<{ order: { id: string } }>(ORDER, { id: aliceOrders[0] });
    expect(byAdmin.data!.order.id).toBe(aliceOrders[0]);
  });

  it('gives another customer null for order(id), exactly like a missing order', async () => {
    const run = await h.as(bob);
    const other = await run<{ order: unknown }>(ORDER, { id: aliceOrders[0] });
    expect(other.errors).toBeUndefined();
    expect(other.data!.order).toBeNull();
    const missing = await run<{ order: unknown }>(ORDER, { id: randomUUID() });
    expect(missing.data!.order).toBeNull();
  });

  it('requires a token for order(id)', async () => {
    const res = await (await h.as(null))(ORDER, { id: aliceOrders[0] });
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses User.orders of someone else with FORBIDDEN, through _entities', async () => {
    const res = await (await h.as(bob))(USER_ORDERS, { reps: [{ __typename: 'User', id: alice.id }] });
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(JSON.stringify(res.data)).not.toContain(aliceOrders[0]);
  });

  it("returns null for another customer's order through _entities, and the order to its owner", async () => {
    const asBob = await (
      await h.as(bob)
    )<{ _entities: unknown[] }>(ORDER_ENTITIES, { reps: orderReps(aliceOrders) });
    expect(asBob.data!._entities).toEqual(aliceOrders.map(() => null));
    const asAlice = await (
      await h.as(alice)
    )<{ _entities: { id: string }[] }>(ORDER_ENTITIES, { reps: orderReps(aliceOrders) });
    expect(asAlice.data!._entities.map((o) => o.id)).toEqual(aliceOrders);
  });

  it('answers null for Order and User representations whose id is not a string, keeping the rest', async () => {
    const run = await h.as(alice);
    const bad: unknown[] = [{ $gt: '' }, 42, null, '', ['x']];
    const orders = await run<{ _entities: unknown[] }>(ORDER_ENTITIES, {
      reps: [aliceOrders[0], ...bad].map((id) => ({ __typename: 'Order', id })),
    });
    expect(orders.errors).toBeUndefined();
    expect(orders.data!._entities).toEqual([
      { id: aliceOrders[0], status: expect.any(String) },
      ...bad.map(() => null),
    ]);
    const users = await run<{ _entities: unknown[] }>(
      'query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User { id } } }',
      { reps: [alice.id, ...bad].map((id) => ({ __typename: 'User', id })) },
    );
    expect(users.errors).toBeUndefined();
    expect(users.data!._entities).toEqual([{ id: alice.id }, ...bad.map(() => null)]);
  });

  it('pages User.orders newest first with cursors', async () => {
    const run = await h.as(alice);
    type Page = {
      _entities: {
        orders: {
          edges: { node: { id: string; items: { quantity: number }[] } }[];
          pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string };
        };
      }[];
    };
    const reps = [{ __typename: 'User', id: alice.id }];
    const first = await run<Page>(USER_ORDERS, { reps, first: 3 });
    const page1 = first.data!._entities[0]!.orders;
    expect(page1.edges.map((e) => e.node.id)).toEqual([...aliceOrders].reverse().slice(0, 3));
    expect(page1.edges[0]!.node.items).toEqual([{ quantity: 5 }]);
    expect(page1.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const second = await run<Page>(USER_ORDERS, { reps, first: 3, after: page1.pageInfo.endCursor });
    const page2 = second.data!._entities[0]!.orders;
    expect(page2.edges.map((e) => e.node.id)).toEqual([...aliceOrders].reverse().slice(3));
    expect(page2.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });

    const tooMany = await run(USER_ORDERS, { reps, first: 101 });
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const badCursor = await run(USER_ORDERS, { reps, after: 'garbage' });
    expect(badCursor.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('refuses requests that do not come through the router', async () => {
    const res = await gql(
      h.url,
      ORDER,
      { id: aliceOrders[0] },
      { authorization: await h.issuer.bearer(alice) },
    );
    expect(res.status).toBe(403);
    expect(res.data).toBeUndefined();
  });

  it('answers health and readiness', async () => {
    const base = h.url.replace(/\/graphql$/, '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ready' });
  });
});
