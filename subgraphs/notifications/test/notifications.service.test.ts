import type { Viewer } from '@shop/auth';
import type { NotificationModel } from '../src/models';
import { NotificationsService } from '../src/notifications.service';
import { memoryRepository } from './memory-repository';

const jane: Viewer = { id: 'user-1', role: 'CUSTOMER', email: 'jane@example.com' };
const bob: Viewer = { id: 'user-2', role: 'CUSTOMER', email: 'bob@example.com' };
const admin: Viewer = { id: 'admin', role: 'ADMIN', email: 'admin@example.com' };

const notification = (i: number, orderId = 'order-1'): NotificationModel => ({
  id: `n${String(i).padStart(2, '0')}`,
  eventId: `e${i}`,
  channel: 'EMAIL',
  kind: 'ORDER_CONFIRMATION',
  recipient: 'j***@example.com',
  subject: `Your order ${i} is confirmed`,
  status: 'SENT',
  attempts: 1,
  lastError: null,
  createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
  sentAt: null,
  orderId,
  userId: 'user-1',
});

async function seeded(count: number) {
  const repo = memoryRepository();
  for (let i = 1; i <= count; i++) await repo.createNotification(notification(i, `order-${i % 2}`));
  return new NotificationsService({ repository: repo });
}

/** `count` orders of user-1 with one notification each, plus one order of user-2. */
async function orders(count: number) {
  const repo = memoryRepository();
  for (let i = 1; i <= count; i++) await repo.createNotification(notification(i, `order-${i}`));
  await repo.createNotification({ ...notification(99, 'order-bob'), userId: 'user-2' });
  const ids = Array.from({ length: count }, (_, i) => `order-${i + 1}`);
  return { repo, service: new NotificationsService({ repository: repo }), ids };
}

describe('notification service', () => {
  it('pages a user’s notifications newest first with cursors', async () => {
    const service = await seeded(5);
    const page1 = await service.listForUser(jane, 'user-1', 2, null);
    expect(page1.edges.map((e) => e.node.id)).toEqual(['n05', 'n04']);
    expect(page1.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const page2 = await service.listForUser(jane, 'user-1', 2, page1.pageInfo.endCursor);
    expect(page2.edges.map((e) => e.node.id)).toEqual(['n03', 'n02']);
    const page3 = await service.listForUser(jane, 'user-1', 2, page2.pageInfo.endCursor);
    expect(page3.edges.map((e) => e.node.id)).toEqual(['n01']);
    expect(page3.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
  });

  it('lets only the user themself or an admin list them', async () => {
    const service = await seeded(1);
    await expect(service.listForUser(admin, 'user-1', 10, null)).resolves.toMatchObject({
      edges: [{ node: { id: 'n01' } }],
    });
    await expect(service.listForUser(bob, 'user-1', 10, null)).rejects.toMatchObject({
      extensions: { code: 'FORBIDDEN' },
    });
    await expect(service.listForUser(null, 'user-1', 10, null)).rejects.toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it('rejects a bad page size and a bad cursor', async () => {
    const service = await seeded(1);
    await expect(service.listForUser(jane, 'user-1', 101, null)).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT' },
    });
    await expect(service.listForUser(jane, 'user-1', 10, 'garbage')).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('shows an order’s notifications to its owner only', async () => {
    const service = await seeded(4);
    expect((await service.listForOrder(jane, 'order-1')).map((n) => n.id)).toEqual(['n01', 'n03']);
    await expect(service.listForOrder(bob, 'order-1')).rejects.toMatchObject({
      extensions: { code: 'FORBIDDEN' },
    });
    await expect(service.listForOrder(bob, 'order-unknown')).resolves.toEqual([]);
  });

  it('answers a batch of the owner’s orders with one read, whatever its size', async () => {
    for (const size of [1, 10, 30]) {
      const { repo, service, ids } = await orders(size);
      const lists = await service.listForOrders(jane, ids);
      expect(repo.reads()).toBe(1);
      expect(lists.map((l) => (Array.isArray(l) ? l.map((n) => n.orderId) : l))).toEqual(
        ids.map((id) => [id]),
      );
    }
  });

  it('lets an admin read another user’s orders in a batch: one read for them, one per order to find the owner', async () => {
    const { repo, service, ids } = await orders(10);
    const lists = await service.listForOrders(admin, [...ids, 'order-bob', 'order-unknown']);
    expect(lists.map((l) => (Array.isArray(l) ? l.map((n) => n.id) : l))).toEqual([
      ...ids.map((_, i) => [`n${String(i + 1).padStart(2, '0')}`]),
      ['n99'],
      [],
    ]);
    // the admin's own records, the owner of each of the 12 orders, then users 1 and 2
    expect(repo.reads()).toBe(1 + 12 + 2);
  });

  it('answers FORBIDDEN for someone else’s order in a batch, and the rest of the batch normally', async () => {
    const { service } = await orders(2);
    const [first, bobs, unknown] = await service.listForOrders(jane, ['order-1', 'order-bob', 'order-x']);
    expect(first).toEqual([expect.objectContaining({ id: 'n01' })]);
    expect(bobs).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    expect(unknown).toEqual([]);
    await expect(service.listForOrders(null, ['order-1'])).rejects.toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it('resolves a batch of entity references: own ones in one read, others null or FORBIDDEN', async () => {
    const { repo, service } = await orders(30);
    const ids = Array.from({ length: 30 }, (_, i) => `n${String(i + 1).padStart(2, '0')}`);
    const found = await service.findNotifications(jane, ids);
    expect(found.map((n) => (n && !(n instanceof Error) ? n.id : n))).toEqual(ids);
    expect(repo.reads()).toBe(1);
    const [own, bobs, unknown] = await service.findNotifications(jane, ['n01', 'n99', 'nope']);
    expect(own).toMatchObject({ id: 'n01' });
    expect(bobs).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    expect(unknown).toBeNull();
    expect(await service.findNotifications(admin, ['n99', 'n01'])).toEqual([
      expect.objectContaining({ id: 'n99', userId: 'user-2' }),
      expect.objectContaining({ id: 'n01', userId: 'user-1' }),
    ]);
  });

  it('authorizes entity references', async () => {
    const service = await seeded(0);
    expect(service.authorize(jane, notification(1))?.id).toBe('n01');
    expect(service.authorize(jane, null)).toBeNull();
    expect(() => service.authorize(bob, notification(1))).toThrow('You may only read your own notifications');
  });
});
