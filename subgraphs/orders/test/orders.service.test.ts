import type { Viewer } from '@shop/auth';
import { GraphQLError } from 'graphql';
import type { OrderItemModel, OrderModel } from '../src/models';
import type { OrdersRepository } from '../src/orders.repository';
import { OrdersService, type ProductsClient } from '../src/orders.service';

/** The service's ownership rules, over a fake repository (no datastore). */

const alice: Viewer = { id: 'alice', role: 'CUSTOMER', email: 'alice@example.test' };
const bob: Viewer = { id: 'bob', role: 'CUSTOMER', email: 'bob@example.test' };
const admin: Viewer = { id: 'root', role: 'ADMIN', email: 'root@example.test' };

const order = (id: string, userId: string, seq: number): OrderModel => ({
  id,
  seq,
  number: `SO-${seq}`,
  userId,
  status: 'PENDING_PAYMENT',
  total: { amount: 100, currency: 'EUR' },
  idempotencyKey: id,
  fingerprint: id,
  createdAt: new Date(0),
  expiresAt: new Date(0),
  paidAt: null,
  cancelledAt: null,
  paymentId: null,
});
const item = (orderId: string): OrderItemModel => ({
  orderId,
  position: 0,
  productId: 'p',
  sku: 'P',
  productName: 'P',
  quantity: 1,
  unitPrice: { amount: 100, currency: 'EUR' },
  lineTotal: { amount: 100, currency: 'EUR' },
});

const orders = [order('a1', 'alice', 1), order('a2', 'alice', 2), order('b1', 'bob', 3)];
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
    expect((await service.orderFor(alice, 'a1'))?.id).toBe('a1');
    expect((await service.orderFor(admin, 'a1'))?.id).toBe('a1');
    expect(await service.orderFor(bob, 'a1')).toBeNull();
    expect(await service.orderFor(bob, 'missing')).toBeNull();
    expect(await codeOf(service.orderFor(null, 'a1'))).toEqual({
      code: 'UNAUTHENTICATED',
      message: 'Authentication required',
    });
  });

  it('ordersFor: one batch, in the order asked, null for what the viewer may not see', async () => {
    const before = calls.findByIds;
    expect((await service.ordersFor(bob, ['a1', 'b1', 'x', 'a2'])).map((o) => o?.id ?? null)).toEqual([
      null,
      'b1',
      null,
      null,
    ]);
    expect(calls.findByIds).toBe(before + 1);
    expect((await service.ordersFor(admin, ['a2', 'b1'])).map((o) => o?.id)).toEqual(['a2', 'b1']);
    expect(await service.ordersFor(null, ['a1', 'b1'])).toEqual([null, null]);
  });

  it('itemsFor: the items of visible orders in one query, none for the others', async () => {
    const [a1, a2, b1] = orders as [OrderModel, OrderModel, OrderModel];
    calls.itemsForOrders.length = 0;
    const items = await service.itemsFor(alice, [a1, b1, a2]);
    expect(items.map((list) => list.map((i) => i.orderId))).toEqual([['a1'], [], ['a2']]);
    expect(calls.itemsForOrders).toEqual([['a1', 'a2']]);
    expect(await service.itemsFor(null, [a1])).toEqual([[]]);
    expect((await service.itemsFor(admin, [b1]))[0]).toHaveLength(1);
  });

  it("listOrders: the user themself or an admin; someone else's FORBIDDEN, anonymous UNAUTHENTICATED", async () => {
    expect((await service.listOrders(alice, 'alice', 10, null)).edges.map((e) => e.node.id)).toEqual([
      'a1',
      'a2',
    ]);
    expect((await service.listOrders(admin, 'bob', 10, null)).edges.map((e) => e.node.id)).toEqual(['b1']);
    const before = calls.listForUser;
    expect(await codeOf(service.listOrders(bob, 'alice', 10, null))).toEqual({
      code: 'FORBIDDEN',
      message: "Only the user themself or an admin may list a user's orders",
    });
    expect((await codeOf(service.listOrders(null, 'alice', 10, null))).code).toBe('UNAUTHENTICATED');
    expect(calls.listForUser).toBe(before); // refused before any query
  });

  it('checks access before the page arguments', async () => {
    expect((await codeOf(service.listOrders(bob, 'alice', 1000, 'garbage'))).code).toBe('FORBIDDEN');
    expect((await codeOf(service.listOrders(alice, 'alice', 1000, null))).code).toBe('BAD_USER_INPUT');
  });
});
