import { randomUUID } from 'node:crypto';
import { Kvm } from '@nats-io/kv';
import type { Channel, NotificationModel } from '../src/models';
import { keyToken, notificationId } from '../src/notifications.repository';
import { scenario } from './harness';

/**
 * The `order.<orderId>` index entry that one order's notifications are read by (direct gets, no
 * consumer): kept under concurrent creations, completed for entries written before it listed ids,
 * and never pointing a read at a record that is not there.
 */
describe('the order index of notifications', () => {
  let s: Awaited<ReturnType<typeof scenario>>;

  beforeAll(async () => {
    s = await scenario('notif-index');
  });
  afterAll(() => s.cleanup());

  const kv = () => new Kvm(s.nc).open(s.names.buckets.notifications);

  function model(userId: string, orderId: string, channel: Channel, second = 0): NotificationModel {
    const eventId = randomUUID();
    return {
      id: notificationId(eventId, channel),
      eventId,
      channel,
      kind: 'ORDER_CONFIRMATION',
      recipient: 'j***@example.com',
      subject: 'Your order is confirmed',
      status: 'PENDING',
      attempts: 0,
      lastError: null,
      createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString(),
      sentAt: null,
      orderId,
      userId,
    };
  }

  it('lists every notification of an order created at once, each once, and reads them by key', async () => {
    const userId = randomUUID();
    const orderId = randomUUID();
    const models = Array.from({ length: 8 }, (_, i) => model(userId, orderId, i % 2 ? 'SMS' : 'EMAIL', i));
    await Promise.all(models.map((m) => s.repo.createNotification(m)));
    // a retry of one creation (redelivery) lists nothing twice
    await s.repo.createNotification(models[3]!);
    const entry = await (await kv()).get(`order.${keyToken(orderId)}`);
    const index = entry?.json<{ userId: string; notificationIds: string[] }>();
    expect(index?.userId).toBe(userId);
    expect([...(index?.notificationIds ?? [])].sort()).toEqual(models.map((m) => m.id).sort());
    const read = await s.repo.notificationsOfOrder(orderId);
    expect(read?.userId).toBe(userId);
    expect(read?.notifications.map((n) => n.id).sort()).toEqual(models.map((m) => m.id).sort());
  });

  it('reads an order with no notifications, or another form of its id, as null', async () => {
    const orderId = randomUUID();
    await s.repo.createNotification(model(randomUUID(), orderId, 'EMAIL'));
    expect(await s.repo.notificationsOfOrder(randomUUID())).toBeNull();
    expect(await s.repo.notificationsOfOrder(orderId.toUpperCase())).toBeNull();
  });

  it('leaves out an id listed before its record was written (a crash between the two)', async () => {
    const userId = randomUUID();
    const orderId = randomUUID();
    const written = model(userId, orderId, 'EMAIL');
    await s.repo.createNotification(written);
    const bucket = await kv();
    const key = `order.${keyToken(orderId)}`;
    await bucket.put(key, JSON.stringify({ userId, notificationIds: [written.id, 'never-written'] }));
    const read = await s.repo.notificationsOfOrder(orderId);
    expect(read?.notifications.map((n) => n.id)).toEqual([written.id]);
  });

  it('reads an entry written before it listed ids from the stream, and completes it on the next creation', async () => {
    const userId = randomUUID();
    const orderId = randomUUID();
    const first = model(userId, orderId, 'EMAIL', 1);
    await s.repo.createNotification(first);
    const bucket = await kv();
    const key = `order.${keyToken(orderId)}`;
    // the entry as earlier versions wrote it
    await bucket.put(key, JSON.stringify({ userId }));
    expect((await s.repo.notificationsOfOrder(orderId))?.notifications.map((n) => n.id)).toEqual([first.id]);
    const second = model(userId, orderId, 'SMS', 2);
    await s.repo.createNotification(second);
    const index = (await bucket.get(key))?.json<{ notificationIds: string[] }>();
    expect(index?.notificationIds).toEqual([first.id, second.id]);
    const read = await s.repo.notificationsOfOrder(orderId);
    expect(read?.notifications.map((n) => n.id).sort()).toEqual([first.id, second.id].sort());
  });
});
