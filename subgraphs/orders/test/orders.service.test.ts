import type { Viewer } from '@shop/auth';
import { GraphQLError } from 'graphql';
import type { OrderItemModel, OrderModel } from '../src/models';
import { withoutCheckout } from '../src/models';
import type { OrdersRepository } from '../src/orders.repository';
import { OrdersService, type ProductsClient } from '../src/orders.service';

/** The service's ownership rules, over a fake repository (no datastore). */

/** Ids in the issued form (lower-case UUIDs), by a readable name. */
const ID = {
  alice: '0a11ce00-0000-4000-8000-000000000001',
  bob: '0b0b0000-0000-4000-8000-000000000002',
  root: '000a0000-0000-4000-8000-000000000003',
  a1: 'a1a1a1a1-0000-4000-8000-000000000001',
  a2: 'a2a2a2a2-0000-4000-8000-000000000002',
  b1: 'b1b1b1b1-0000-4000-8000-000000000003',
  missing: 'dddddddd-0000-4000-8000-000000000004',
} as const;
const alice: Viewer = { id: ID.alice, role: 'CUSTOMER', email: 'alice@example.test' };
const bob: Viewer = { id: ID.bob, role: 'CUSTOMER', email: 'bob@example.test' };
const admin: Viewer = { id: ID.root, role: 'ADMIN', email: 'root@example.test' };

const order = (id: string, userId: string, seq: number): OrderModel => ({
  id,
  seq,
  number: `SO-${seq}`,
  userId,
  status: 'PENDING_PAYMENT',
  total: { amount: 100, currency: 'EUR' },
  ...withoutCheckout({ amount: 100, currency: 'EUR' }),
  idempotencyKey: id,
  fingerprint: id,
  createdAt: new Date(0),
  expiresAt: new Date(0),
  paidAt: null,
  cancelledAt: null,
  paymentId: null,
  paymentLeaseUntil: null,
  refundRequestedAt: null,
  refundedAt: null,
  fulfilledAt: null,
  deliveredAt: null,
  carrier: null,
  trackingNumber: null,
});
const item = (orderId: string): OrderItemModel => ({
  orderId,
  position: 0,
  productId: 'p',
  variantId: 'p-1',
  sku: 'P',
  productName: 'P',
  variantTitle: '',
  quantity: 1,
  unitPrice: { amount: 100, currency: 'EUR' },
  lineTotal: { amount: 100, currency: 'EUR' },
});

const orders = [order(ID.a1, ID.alice, 1), order(ID.a2, ID.alice, 2), order(ID.b1, ID.bob, 3)];
const calls = { findByIds: 0, itemsForOrders: [] as string[][], listForUser: 0 };
const repository = {
  async findByIds(ids: readonly string[]) {
    calls.findByIds += 1;
    return orders.filter((o) => ids.includes(o.id));
  },
  async itemsForOrders(ids: readonly string[]) {
    calls.itemsForOrders.push([...ids]);
    return ids.map(item);
  },
  async listForUser(userId: string, limit: number) {
    calls.listForUser += 1;
    return orders.filter((o) => o.userId === userId).slice(0, limit);
  },
} as unknown as OrdersRepository;
const products: ProductsClient = {
  reserve: () => Promise.reject(new Error('not used')),
  release: () => Promise.reject(new Error('not used')),
};
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const service = new OrdersService({
  repository,
  refunds: {} as never,
  carts: {} as never,
  discounts: {} as never,
  shipping: {} as never,
  users: {} as never,
  products,
  log: silent as never,
  ttlSeconds: 60,
  maxCartLines: 50,
});

const codeOf = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GraphQLError);
  return { code: (error as GraphQLError).extensions.code, message: (error as GraphQLError).message };
};

describe('OrdersService: who may see what', () => {
  it('orderFor: the owner and an admin get the order, anybody else null, anonymous UNAUTHENTICATED', async () => {
    expect((await service.orderFor(alice, ID.a1))?.id).toBe(ID.a1);
    expect((await service.orderFor(admin, ID.a1))?.id).toBe(ID.a1);
    expect(await service.orderFor(bob, ID.a1)).toBeNull();
    expect(await service.orderFor(bob, ID.missing)).toBeNull();
    expect(await codeOf(service.orderFor(null, ID.a1))).toEqual({
      code: 'UNAUTHENTICATED',
      message: 'Authentication required',
    });
  });

  it('ordersFor: one batch, in the order asked, null for what the viewer may not see', async () => {
    const before = calls.findByIds;
    expect(
      (await service.ordersFor(bob, [ID.a1, ID.b1, ID.missing, ID.a2])).map((o) => o?.id ?? null),
    ).toEqual([null, ID.b1, null, null]);
    expect(calls.findByIds).toBe(before + 1);
    expect((await service.ordersFor(admin, [ID.a2, ID.b1])).map((o) => o?.id)).toEqual([ID.a2, ID.b1]);
    expect(await service.ordersFor(null, [ID.a1, ID.b1])).toEqual([null, null]);
  });

  it('itemsFor: the items of visible orders in one query, none for the others', async () => {
    const [a1, a2, b1] = orders as [OrderModel, OrderModel, OrderModel];
    calls.itemsForOrders.length = 0;
    const items = await service.itemsFor(alice, [a1, b1, a2]);
    expect(items.map((list) => list.map((i) => i.orderId))).toEqual([[ID.a1], [], [ID.a2]]);
    expect(calls.itemsForOrders).toEqual([[ID.a1, ID.a2]]);
    expect(await service.itemsFor(null, [a1])).toEqual([[]]);
    expect((await service.itemsFor(admin, [b1]))[0]).toHaveLength(1);
  });

  it("listOrders: the user themself or an admin; someone else's FORBIDDEN, anonymous UNAUTHENTICATED", async () => {
    expect((await service.listOrders(alice, ID.alice, 10, null)).edges.map((e) => e.node.id)).toEqual([
      ID.a1,
      ID.a2,
    ]);
    expect((await service.listOrders(admin, ID.bob, 10, null)).edges.map((e) => e.node.id)).toEqual([ID.b1]);
    const before = calls.listForUser;
    expect(await codeOf(service.listOrders(bob, ID.alice, 10, null))).toEqual({
      code: 'FORBIDDEN',
      message: "Only the user themself or an admin may list a user's orders",
    });
    expect((await codeOf(service.listOrders(null, ID.alice, 10, null))).code).toBe('UNAUTHENTICATED');
    expect(calls.listForUser).toBe(before); // refused before any query
  });

  it('checks access before the page arguments', async () => {
    expect((await codeOf(service.listOrders(bob, ID.alice, 1000, 'garbage'))).code).toBe('FORBIDDEN');
    expect((await codeOf(service.listOrders(alice, ID.alice, 1000, null))).code).toBe('BAD_USER_INPUT');
  });
});

describe('OrdersService: ids not in the issued form name nothing (finding 1)', () => {
  const variants = (id: string) => [
    id.toUpperCase(),
    `${id.slice(0, 8).toUpperCase()}${id.slice(8)}`,
    `{${id}}`,
    ` ${id}`,
    id.replaceAll('-', ''),
  ];

  it('orderFor and ordersFor: null for every variant, without a query', async () => {
    const before = calls.findByIds;
    for (const variant of variants(ID.a1)) {
      expect(await service.orderFor(alice, variant)).toBeNull();
      expect(await service.orderFor(admin, variant)).toBeNull();
    }
    expect(calls.findByIds).toBe(before);
    expect((await service.ordersFor(admin, [ID.a1.toUpperCase(), ID.a1])).map((o) => o?.id ?? null)).toEqual([
      null,
      ID.a1,
    ]);
  });

  it('listOrders: another form of the user id is FORBIDDEN to the user, and an empty page to an admin', async () => {
    const before = calls.listForUser;
    for (const variant of variants(ID.alice)) {
      expect((await codeOf(service.listOrders(alice, variant, 10, null))).code).toBe('FORBIDDEN');
      const page = await service.listOrders(admin, variant, 10, null);
      expect(page.edges).toEqual([]);
      expect(page.pageInfo.hasNextPage).toBe(false);
    }
    expect(calls.listForUser).toBe(before);
  });

  it('userReference: a stub for the issued form, null for the rest', () => {
    expect(service.userReference(ID.alice)).toEqual({ id: ID.alice });
    for (const variant of [...variants(ID.alice), null, ''])
      expect(service.userReference(variant)).toBeNull();
  });
});
