/**
 * Query.orders (issue 17): administrators list every customer's orders, newest first, filtered by
 * status, placing time (placedFrom inclusive, placedTo exclusive) and customer, in Relay pages of
 * 1 to 100 with opaque cursors. A userId in another form than users issues names nobody (an empty
 * page). Real MariaDB; the orders are placed at chosen times through the service's clock.
 */
import { randomUUID } from 'node:crypto';
import type { Viewer } from '@shop/auth';
import {
  admin,
  bootWithFakeProducts,
  customer,
  paymentEvent,
  pid,
  placeFor,
  type FakeHarness,
} from './helpers';
import { afterPayment } from './fulfilment.fixtures';

const BOOK = pid('admin-list-book');
const T0 = Date.parse('2031-03-01T00:00:00.000Z');
const HOUR = 3_600_000;

const LIST = `query List($filter: OrderFilter, $first: Int, $after: String) {
  orders(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id status createdAt user { id } items { quantity } statusHistory { status } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

interface Page {
  edges: { cursor: string; node: { id: string; status: string; createdAt: string; user: { id: string } } }[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
}

describe('Query.orders (admins)', () => {
  let h: FakeHarness;
  let at = T0;
  const alice = customer('alice');
  const bob = customer('bob');
  /** The orders placed, oldest first, with their final status. */
  const placed: { id: string; userId: string; status: string; createdAt: number }[] = [];

  beforeAll(async () => {
    h = await bootWithFakeProducts(
      { [BOOK]: { sku: 'BOOK-1', name: 'Book', price: { amount: 1200, currency: 'EUR' }, stock: 100_000 } },
      { runExpiry: false, runAudit: false, now: () => new Date(at) },
    );
    const api = afterPayment(h);
    const place = async (user: Viewer, hours: number, to: string) => {
      at = T0 + hours * HOUR;
      const { order } = await placeFor(h, [{ productId: BOOK, quantity: 1 }], user);
      if (to === 'CANCELLED') await h.app.service.cancelOrder(user, order.id);
      if (to !== 'PENDING_PAYMENT' && to !== 'CANCELLED')
        expect(await h.app.service.applyPaymentEvent(paymentEvent(order, user.id))).toBe('PAID');
      if (to === 'FULFILLED' || to === 'DELIVERED') await api.fulfil(order.id, 'DHL', `BOOK-${hours}`);
      if (to === 'DELIVERED') await api.deliver(order.id);
      if (to === 'REFUNDED') await api.refund(order.id);
      placed.push({ id: order.id, userId: user.id, status: to, createdAt: at });
    };
    await place(alice, 0, 'PENDING_PAYMENT');
    await place(bob, 1, 'PAID');
    await place(alice, 2, 'FULFILLED');
    await place(bob, 3, 'CANCELLED');
    await place(alice, 4, 'DELIVERED');
    await place(bob, 5, 'REFUNDED');
    // Seven more, of other customers, for the pages.
    for (let i = 0; i < 7; i += 1) await place(customer(`c${i}`), 6 + i, 'PENDING_PAYMENT');
  });
  afterAll(async () => {
    await h.stop();
  });

  const list = async (variables: Record<string, unknown>, viewer: Viewer | null = admin()) =>
    (await h.as(viewer))<{ orders: Page }>(LIST, variables);
  const ids = async (variables: Record<string, unknown>) => {
    const res = await list(variables);
    expect(res.errors).toBeUndefined();
    return res.data!.orders.edges.map((e) => e.node.id);
  };
  const newestFirst = (pick: (o: (typeof placed)[number]) => boolean) =>
    placed
      .filter(pick)
      .map((o) => o.id)
      .reverse();
  const codeOf = async (variables: Record<string, unknown>, viewer: Viewer | null = admin()) => {
    const res = await list(variables, viewer);
    expect(res.data?.orders ?? null).toBeNull();
    return res.errors?.[0]?.extensions?.code;
  };
  const iso = (ms: number) => new Date(ms).toISOString();

  it('customers are FORBIDDEN and anonymous callers UNAUTHENTICATED', async () => {
    expect(await codeOf({}, alice)).toBe('FORBIDDEN');
    expect(await codeOf({ filter: { userId: alice.id } }, alice)).toBe('FORBIDDEN');
    expect(await codeOf({}, null)).toBe('UNAUTHENTICATED');
  });

  it('lists every order newest first, with items and history resolved for each node', async () => {
    const res = await list({ first: 100 });
    const page = res.data!.orders;
    expect(page.edges.map((e) => e.node.id)).toEqual(newestFirst(() => true));
    expect(page.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
    for (const { node } of page.edges) {
      const want = placed.find((o) => o.id === node.id)!;
      expect(node).toMatchObject({
        status: want.status,
        createdAt: iso(want.createdAt),
        user: { id: want.userId },
      });
      expect(node).toMatchObject({ items: [{ quantity: 1 }] });
    }
    expect(page.edges.find((e) => e.node.status === 'DELIVERED')!.node).toMatchObject({
      statusHistory: [
        { status: 'PENDING_PAYMENT' },
        { status: 'PAID' },
        { status: 'FULFILLED' },
        { status: 'DELIVERED' },
      ],
    });
  });

  it('filters by each status', async () => {
    for (const status of ['PENDING_PAYMENT', 'PAID', 'FULFILLED', 'DELIVERED', 'CANCELLED', 'REFUNDED'])
      expect(await ids({ filter: { status }, first: 100 })).toEqual(newestFirst((o) => o.status === status));
    expect((await list({ filter: { status: 'SHIPPED' } })).errors?.[0]?.extensions?.code).toBe(
      'BAD_USER_INPUT',
    );
  });

  it('filters by customer; a user id in another form (or unknown) is an empty page', async () => {
    expect(await ids({ filter: { userId: alice.id } })).toEqual(newestFirst((o) => o.userId === alice.id));
    expect(await ids({ filter: { userId: alice.id } })).toHaveLength(3);
    for (const userId of [alice.id.toUpperCase(), `{${alice.id}}`, ` ${alice.id}`, randomUUID(), '']) {
      const res = await list({ filter: { userId } });
      expect(res.data!.orders).toEqual({
        edges: [],
        pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
      });
    }
  });

  it('filters by placing time: placedFrom inclusive, placedTo exclusive, to the millisecond', async () => {
    const range = (from: number, to: number) =>
      ids({ filter: { placedFrom: iso(from), placedTo: iso(to) }, first: 100 });
    expect(await range(T0 + HOUR, T0 + 3 * HOUR)).toEqual([placed[2]!.id, placed[1]!.id]);
    expect(await range(T0 + HOUR, T0 + 3 * HOUR + 1)).toEqual([placed[3]!.id, placed[2]!.id, placed[1]!.id]);
    expect(await range(T0 + HOUR + 1, T0 + 3 * HOUR)).toEqual([placed[2]!.id]);
    expect(await range(T0 + HOUR, T0 + HOUR)).toEqual([]);
    expect(await ids({ filter: { placedFrom: iso(T0 + 10 * HOUR) }, first: 100 })).toEqual(
      newestFirst((o) => o.createdAt >= T0 + 10 * HOUR),
    );
    expect(await ids({ filter: { placedTo: iso(T0 + 2 * HOUR) } })).toEqual([placed[1]!.id, placed[0]!.id]);
    // Not UTC in the input: the same instant.
    expect(
      await ids({ filter: { placedFrom: '2031-03-01T02:00:00.000+01:00', placedTo: iso(T0 + 2 * HOUR) } }),
    ).toEqual([placed[1]!.id]);
  });

  it('placedFrom after placedTo, or a date that is not one, is BAD_USER_INPUT', async () => {
    expect(await codeOf({ filter: { placedFrom: iso(T0 + 1), placedTo: iso(T0) } })).toBe('BAD_USER_INPUT');
    expect(await codeOf({ filter: { placedFrom: 'yesterday' } })).toBe('BAD_USER_INPUT');
    expect(await codeOf({ filter: { placedTo: '2031-13-45T99:00:00Z' } })).toBe('BAD_USER_INPUT');
  });

  it('combines the conditions', async () => {
    expect(await ids({ filter: { status: 'PAID', userId: bob.id } })).toEqual([placed[1]!.id]);
    expect(await ids({ filter: { status: 'FULFILLED', userId: bob.id } })).toEqual([]);
    expect(
      await ids({ filter: { status: 'PENDING_PAYMENT', placedFrom: iso(T0), placedTo: iso(T0 + 8 * HOUR) } }),
    ).toEqual([placed[7]!.id, placed[6]!.id, placed[0]!.id]);
  });

  it('pages through everything with first and after: no order twice, none left out', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const res = await list({ first: 4, after });
      const page: Page = res.data!.orders;
      pages += 1;
      expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
      expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor ?? null);
      seen.push(...page.edges.map((e) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      expect(page.edges).toHaveLength(4);
      after = page.pageInfo.endCursor;
    }
    expect(pages).toBe(4);
    expect(seen).toEqual(newestFirst(() => true));
    // A cursor keeps working under a filter, and a cursor of User.orders (the same kind) works too.
    const [firstAlice] = (await list({ filter: { userId: alice.id }, first: 1 })).data!.orders.edges;
    expect(await ids({ filter: { userId: alice.id }, after: firstAlice!.cursor })).toEqual(
      newestFirst((o) => o.userId === alice.id).slice(1),
    );
  });

  it('first is 1 to 100 (default 20); anything else, and cursors not made by the server, are BAD_USER_INPUT', async () => {
    expect(await ids({ first: 1 })).toHaveLength(1);
    expect(await ids({ first: 100 })).toHaveLength(placed.length);
    expect(await ids({})).toHaveLength(placed.length);
    for (const first of [0, -1, 101, 2 ** 31 - 1]) expect(await codeOf({ first })).toBe('BAD_USER_INPUT');
    const cursor = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    for (const after of [
      'nope',
      '',
      cursor(['1']),
      cursor([0]),
      cursor([1.5]),
      cursor([1, 2]),
      cursor({ seq: 3 }),
    ])
      expect(await codeOf({ after })).toBe('BAD_USER_INPUT');
  });
});
