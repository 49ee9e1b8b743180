import { createHash } from 'node:crypto';
import type { Viewer } from '@shop/auth';
import type { NotificationModel } from '../src/models';
import { NotificationsService } from '../src/notifications.service';
import { memoryRepository } from './memory-repository';

/** Ids in the forms the graph issues (isUserId, isOrderId, isNotificationId of @shop/messaging). */
const USER_1 = 'ab1b2c3d-0000-4000-8000-00000000000a';
const USER_2 = 'ab1b2c3d-0000-4000-8000-00000000000b';
/** A lower-case UUID per name, always the same one. */
const order = (name: string) => {
  const hex = createHash('sha256').update(name).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};
/** A 22-character notification id that sorts by i. */
const nid = (i: number) => `n${String(i).padStart(2, '0')}${'A'.repeat(19)}`;

const jane: Viewer = { id: USER_1, role: 'CUSTOMER', email: 'jane@example.com' };
const bob: Viewer = { id: USER_2, role: 'CUSTOMER', email: 'bob@example.com' };
const admin: Viewer = {
  id: '00000000-0000-4000-8000-0000000000ad',
  role: 'ADMIN',
  email: 'admin@example.com',
};

const notification = (i: number, orderId = order('1')): NotificationModel => ({
  id: nid(i),
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
  userId: USER_1,
});

async function seeded(count: number) {
  const repo = memoryRepository();
  for (let i = 1; i <= count; i++) await repo.createNotification(notification(i, order(`${i % 2}`)));
  return new NotificationsService({ repository: repo });
}

/** `count` orders of user-1 with one notification each, plus one order of user-2. */
async function orders(count: number) {
  const repo = memoryRepository();
  for (let i = 1; i <= count; i++) await repo.createNotification(notification(i, order(`${i}`)));
  await repo.createNotification({ ...notification(99, order('bob')), userId: USER_2 });
  const ids = Array.from({ length: count }, (_, i) => order(`${i + 1}`));
  return { repo, service: new NotificationsService({ repository: repo }), ids };
}

describe('notification service', () => {
  it('pages a user’s notifications newest first with cursors', async () => {
    const service = await seeded(5);
    const page1 = await service.listForUser(jane, USER_1, 2, null);
    expect(page1.edges.map((e) => e.node.id)).toEqual([nid(5), nid(4)]);
    expect(page1.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const page2 = await service.listForUser(jane, USER_1, 2, page1.pageInfo.endCursor);
    expect(page2.edges.map((e) => e.node.id)).toEqual([nid(3), nid(2)]);
    const page3 = await service.listForUser(jane, USER_1, 2, page2.pageInfo.endCursor);
    expect(page3.edges.map((e) => e.node.id)).toEqual([nid(1)]);
    expect(page3.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
  });

  it('lets only the user themself or an admin list them', async () => {
    const service = await seeded(1);
    await expect(service.listForUser(admin, USER_1, 10, null)).resolves.toMatchObject({
      edges: [{ node: { id: nid(1) } }],
    });
    await expect(service.listForUser(bob, USER_1, 10, null)).rejects.toMatchObject({
      extensions: { code: 'FORBIDDEN' },
    });
    await expect(service.listForUser(null, USER_1, 10, null)).rejects.toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it('rejects a bad page size and a bad cursor', async () => {
    const service = await seeded(1);
    await expect(service.listForUser(jane, USER_1, 101, null)).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT' },
    });
    await expect(service.listForUser(jane, USER_1, 10, 'garbage')).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('shows an order’s notifications to its owner only', async () => {
    const service = await seeded(4);
    expect((await service.listForOrder(jane, order('1'))).map((n) => n.id)).toEqual([nid(1), nid(3)]);
    await expect(service.listForOrder(bob, order('1'))).rejects.toMatchObject({
      extensions: { code: 'FORBIDDEN' },
    });
    await expect(service.listForOrder(bob, order('unknown'))).resolves.toEqual([]);
  });

  it('answers a batch of the owner’s orders with one read, whatever its size; one order by key', async () => {
    for (const size of [1, 10, 30]) {
      const { repo, service, ids } = await orders(size);
      const lists = await service.listForOrders(jane, ids);
      // one order: its index entry and its one record; more: one read of the owner's records
      expect(repo.reads()).toBe(size === 1 ? 2 : 1);
      expect(lists.map((l) => (Array.isArray(l) ? l.map((n) => n.orderId) : l))).toEqual(
        ids.map((id) => [id]),
      );
    }
  });

  it('lets an admin read another user’s orders in a batch: one read for them, one per order to find the owner', async () => {
    const { repo, service, ids } = await orders(10);
    const lists = await service.listForOrders(admin, [...ids, order('bob'), order('unknown')]);
    expect(lists.map((l) => (Array.isArray(l) ? l.map((n) => n.id) : l))).toEqual([
      ...ids.map((_, i) => [nid(i + 1)]),
      [nid(99)],
      [],
    ]);
    // the admin's own records, the owner of each of the 12 orders, then users 1 and 2
    expect(repo.reads()).toBe(1 + 12 + 2);
  });

  it('answers FORBIDDEN for someone else’s order in a batch, and the rest of the batch normally', async () => {
    const { service } = await orders(2);
    const [first, bobs, unknown] = await service.listForOrders(jane, [order('1'), order('bob'), order('x')]);
    expect(first).toEqual([expect.objectContaining({ id: nid(1) })]);
    expect(bobs).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    expect(unknown).toEqual([]);
    await expect(service.listForOrders(null, [order('1')])).rejects.toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it('resolves a batch of entity references: own ones in one read, others null or FORBIDDEN', async () => {
    const { repo, service } = await orders(30);
    const ids = Array.from({ length: 30 }, (_, i) => nid(i + 1));
    const found = await service.findNotifications(jane, ids);
    expect(found.map((n) => (n && !(n instanceof Error) ? n.id : n))).toEqual(ids);
    expect(repo.reads()).toBe(1);
    const [own, bobs, unknown] = await service.findNotifications(jane, [nid(1), nid(99), 'nope']);
    expect(own).toMatchObject({ id: nid(1) });
    expect(bobs).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    expect(unknown).toBeNull();
    expect(await service.findNotifications(admin, [nid(99), nid(1)])).toEqual([
      expect.objectContaining({ id: nid(99), userId: USER_2 }),
      expect.objectContaining({ id: nid(1), userId: USER_1 }),
    ]);
  });

  it('authorizes entity references', async () => {
    const service = await seeded(0);
    expect(service.authorize(jane, notification(1))?.id).toBe(nid(1));
    expect(service.authorize(jane, null)).toBeNull();
    expect(() => service.authorize(bob, notification(1))).toThrow('You may only read your own notifications');
  });

  it('treats another form of a user, order or notification id as nothing, without reading the bucket', async () => {
    const { repo, service } = await orders(2);
    const reads = repo.reads();
    for (const variant of [USER_1.toUpperCase(), `{${USER_1}}`, ` ${USER_1}`, USER_1.replaceAll('-', '')]) {
      expect(await service.listForUser(admin, variant, 10, null)).toMatchObject({ edges: [] });
      expect(await service.listForUser(jane, variant, 10, null)).toMatchObject({ edges: [] });
    }
    const variants = [order('1').toUpperCase(), `{${order('1')}}`, `${order('1')}\n`];
    expect(await service.listForOrders(admin, variants)).toEqual([[], [], []]);
    expect(
      await service.findNotifications(admin, [`${nid(1)} `, `${nid(1)}A`, nid(1).slice(1), '../n01']),
    ).toEqual([null, null, null, null]);
    expect(repo.reads()).toBe(reads);
    // Mixed with issued ids, only those are read, and only they are found.
    const [upper, issued] = await service.listForOrders(jane, [order('1').toUpperCase(), order('1')]);
    expect(upper).toEqual([]);
    expect(issued).toEqual([expect.objectContaining({ id: nid(1) })]);
    // one issued order: its index entry and its record
    expect(repo.reads()).toBe(reads + 2);
  });

  it('refuses a cursor whose id is not a notification id', async () => {
    const service = await seeded(3);
    const { pageInfo } = await service.listForUser(jane, USER_1, 1, null);
    const [createdAt] = JSON.parse(Buffer.from(pageInfo.endCursor!, 'base64url').toString()) as string[];
    for (const forged of [
      [createdAt, 'x'],
      [createdAt, `${nid(1)}'`],
      ['yesterday', nid(1)],
    ]) {
      const cursor = Buffer.from(JSON.stringify(forged)).toString('base64url');
      await expect(service.listForUser(jane, USER_1, 1, cursor)).rejects.toMatchObject({
        extensions: { code: 'BAD_USER_INPUT' },
      });
    }
  });
});
