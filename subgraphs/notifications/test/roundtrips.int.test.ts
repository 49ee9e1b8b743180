import { setTimeout as sleep } from 'node:timers/promises';
import { countingProxy, endpoints, roundTrips, type CountingProxy } from '@shop/testing';
import type { NotificationModel } from '../src/models';
import { notificationId } from '../src/notifications.repository';
import { scenario } from './harness';

/**
 * The N+1 check of this subgraph: NATS round trips of one GraphQL request (as the router sends it)
 * for lists of 1, 10 and 30, counted by a proxy between the subgraph and NATS.
 */

const SIZES = [1, 10, 30] as const;

const ORDERS = `query ($r: [_Any!]!) {
  _entities(representations: $r) { ... on Order { id notifications { id channel status } } }
}`;
const USER = `query ($r: [_Any!]!) {
  _entities(representations: $r) { ... on User { notifications(first: 100) { edges { node { id } } } } }
}`;
const NOTIFICATIONS = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Notification { id status } } }`;

interface Customer {
  id: string;
  email: string;
  orderIds: string[];
  notificationIds: string[];
}

describe('NATS round trips per request', () => {
  let s: Awaited<ReturnType<typeof scenario>>;
  let proxy: CountingProxy;
  let url: string;
  const customers = new Map<number, Customer>();
  const admin = { id: 'admin-rt', email: 'admin@example.com', role: 'ADMIN' as const };

  beforeAll(async () => {
    s = await scenario('notif-rt');
    proxy = await countingProxy('nats', endpoints.nats);
    ({ url } = await s.startApp({ NATS_URL: proxy.url }));
    for (const size of SIZES) {
      const customer = s.customer();
      const c: Customer = { id: customer.id, email: customer.email, orderIds: [], notificationIds: [] };
      for (let i = 0; i < size; i++) {
        const event = s.paidEvent(customer.id);
        const model: NotificationModel = {
          id: notificationId(event.eventId, 'EMAIL'),
          eventId: event.eventId,
          channel: 'EMAIL',
          kind: 'ORDER_CONFIRMATION',
          recipient: 'j***@example.com',
          subject: `Your order ${event.orderNumber} is confirmed`,
          status: 'SENT',
          attempts: 1,
          lastError: null,
          createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
          sentAt: new Date(Date.UTC(2026, 0, 1, 0, 1, i)).toISOString(),
          orderId: event.orderId,
          userId: customer.id,
        };
        await s.repo.createNotification(model);
        c.orderIds.push(event.orderId);
        c.notificationIds.push(model.id);
      }
      customers.set(size, c);
    }
  });
  afterAll(async () => {
    await s.cleanup();
    await proxy.close();
  });

  /**
   * Round trips of one request: after a warm-up, the smallest delta of three runs (a background
   * request of the orders.paid consumer falling into one window does not count).
   */
  async function measure(
    query: string,
    representations: object[],
    viewer: { id: string; email: string; role?: 'CUSTOMER' | 'ADMIN' },
    check: (entities: unknown[]) => void,
  ): Promise<Record<string, number>> {
    const run = async () => {
      const res = await s.query(url, query, { r: representations }, viewer);
      expect(res.errors).toBeUndefined();
      check((res.data as { _entities: unknown[] })._entities);
    };
    await run();
    const deltas: Record<string, number>[] = [];
    for (let i = 0; i < 3; i++) {
      const before = proxy.snapshot();
      await run();
      await sleep(50);
      const after = proxy.snapshot();
      deltas.push(Object.fromEntries(Object.keys(after).map((k) => [k, (after[k] ?? 0) - (before[k] ?? 0)])));
    }
    const total = (d: Record<string, number>) => roundTrips('nats', d);
    return deltas.reduce((min, d) => (total(d) < total(min) ? d : min));
  }

  const orderReps = (c: Customer) => c.orderIds.map((id) => ({ __typename: 'Order', id }));
  const oneSentEmailEach = (c: Customer) => (entities: unknown[]) => {
    expect(entities).toEqual(
      c.orderIds.map((id, i) => ({
        id,
        notifications: [{ id: c.notificationIds[i], channel: 'EMAIL', status: 'SENT' }],
      })),
    );
  };

  it('Order.notifications of the owner’s orders: one order by key, 10 and 30 in one round trip', async () => {
    const counts = [];
    for (const size of SIZES) {
      const c = customers.get(size)!;
      counts.push(await measure(ORDERS, orderReps(c), c, oneSentEmailEach(c)));
    }
    // one order: direct gets of its index entry and its record, no consumer
    expect(counts[0]).toMatchObject({ 'kv.get': 2, 'consumer.create': 0 });
    expect(roundTrips('nats', counts[0]!)).toBe(2);
    // more: one ordered consumer on user.<viewer>.> delivers the records themselves
    expect(counts.slice(1).map((d) => roundTrips('nats', d))).toEqual([1, 1]);
    expect(counts.slice(1).map((d) => d['consumer.create'])).toEqual([1, 1]);
  });

  it('User.notifications: one round trip for 1, 10 and 30 notifications', async () => {
    const counts = [];
    for (const size of SIZES) {
      const c = customers.get(size)!;
      const check = (entities: unknown[]) => {
        const ids = (
          entities[0] as { notifications: { edges: { node: { id: string } }[] } }
        ).notifications.edges.map((e) => e.node.id);
        expect(ids).toEqual([...c.notificationIds].reverse());
      };
      counts.push(roundTrips('nats', await measure(USER, [{ __typename: 'User', id: c.id }], c, check)));
    }
    expect(counts).toEqual(SIZES.map(() => 1));
  });

  it('Notification references of the viewer’s own: one round trip for 1, 10 and 30', async () => {
    const counts = [];
    for (const size of SIZES) {
      const c = customers.get(size)!;
      const reps = c.notificationIds.map((id) => ({ __typename: 'Notification', id }));
      const check = (entities: unknown[]) =>
        expect(entities).toEqual(c.notificationIds.map((id) => ({ id, status: 'SENT' })));
      counts.push(roundTrips('nats', await measure(NOTIFICATIONS, reps, c, check)));
    }
    expect(counts).toEqual(SIZES.map(() => 1));
  });

  it('an admin reading another user’s orders: one read for the owner, plus one owner lookup per order', async () => {
    const perSize = [];
    for (const size of SIZES) {
      const c = customers.get(size)!;
      perSize.push(await measure(ORDERS, orderReps(c), admin, oneSentEmailEach(c)));
    }
    // one order: by key (its index entry, its record), no consumer
    expect(perSize[0]).toMatchObject({ 'kv.get': 2, 'consumer.create': 0 });
    expect(roundTrips('nats', perSize[0]!)).toBe(2);
    // more: consumers (the admin's own records, then the owner's), independent of the list length
    expect(perSize.slice(1).map((d) => d['consumer.create'])).toEqual([2, 2]);
    // `order.<id>` lookups, pipelined: the only per-order cost, for orders that are not the viewer's
    expect(perSize.slice(1).map((d) => d['kv.get'] ?? 0)).toEqual(SIZES.slice(1));
  });
});
