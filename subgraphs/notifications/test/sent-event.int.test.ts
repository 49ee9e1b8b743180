import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager, NotificationSentEvent, type NatsConnection } from '@shop/messaging';
import { claimIdOf, sentEventOf } from '../src/confirmations.service';
import { sentEventsPublisher } from '../src/messaging';
import { notificationId } from '../src/notifications.repository';
import type { NotificationModel } from '../src/models';
import { mailsTo, scenario, waitFor } from './harness';

type Scenario = Awaited<ReturnType<typeof scenario>>;

/** Every notifications.sent on the scenario's NOTIFICATIONS stream, with its Nats-Msg-Id. */
async function sentEvents(nc: NatsConnection, stream: string) {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream);
  const out: { msgId: string | undefined; event: NotificationSentEvent }[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq += 1) {
    const msg = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (!msg) continue;
    out.push({ msgId: msg.header.get('Nats-Msg-Id'), event: NotificationSentEvent.parse(msg.json()) });
  }
  return out;
}

/** The events of one order, once `count` have arrived and nothing more came for a moment. */
async function eventsOfOrder(s: Scenario, orderId: string, count: number) {
  const of = async () =>
    (await sentEvents(s.nc, s.names.streams.notifications)).filter((e) => e.event.orderId === orderId);
  await waitFor(async () => ((await of()).length >= count ? true : null));
  await waitFor(() => s.drained());
  await sleep(300);
  return of();
}

/** A stored notification by id (expected to exist). */
const stored = async (s: Scenario, id: string): Promise<NotificationModel> =>
  (await s.repo.getNotification(id))!.value;

describe('notifications.sent (NATS, KV, Mailpit)', () => {
  let s: Scenario;
  /** What a subscriber saw of each event as it arrived: the status the record had at that moment. */
  const seen: { event: NotificationSentEvent; recordStatus: string | undefined }[] = [];

  beforeAll(async () => {
    s = await scenario('nsent');
    s.nc.subscribe(s.names.events.notificationsSent, {
      callback: (_err, msg) => {
        const event = NotificationSentEvent.parse(msg.json());
        void s.repo
          .getNotification(event.notificationId)
          .then((n) => seen.push({ event, recordStatus: n?.value.status }));
      },
    });
    await s.nc.flush();
    await s.startApp({ MAX_DELIVER: '4', BACKOFF_MS: '100' }, { sms: flakySms });
  });
  afterAll(async () => {
    await s.cleanup();
  });

  /** SMS to numbers ending in 0 fail twice, to numbers ending in 9 always; the rest succeed. */
  const smsCalls = new Map<string, number>();
  const flakySms = {
    async send(message: { to: string; idempotencyKey: string }) {
      const n = (smsCalls.get(message.idempotencyKey) ?? 0) + 1;
      smsCalls.set(message.idempotencyKey, n);
      if (message.to.endsWith('9') || (message.to.endsWith('0') && n <= 2))
        throw new Error('sms gateway down');
    },
  };

  it("a paid order's confirmation: one SENT event per channel, published after its record, with the record's fields", async () => {
    const jane = s.customer('+49 170 1234567');
    const paid = s.paidEvent(jane.id);
    await s.publish(paid);
    await mailsTo(jane.email);
    const events = await eventsOfOrder(s, paid.orderId, 2);

    expect(events.map((e) => e.event.channel).sort()).toEqual(['EMAIL', 'SMS']);
    for (const { msgId, event } of events) {
      const id = notificationId(paid.eventId, event.channel);
      const record = await stored(s, id);
      expect(record.status).toBe('SENT');
      expect(event).toEqual({
        eventId: `${id}:SENT`,
        notificationId: id,
        orderId: paid.orderId,
        userId: jane.id,
        channel: event.channel,
        kind: 'ORDER_CONFIRMATION',
        status: 'SENT',
        at: record.sentAt,
      });
      expect(msgId).toBe(`${id}:SENT`);
    }
    // The record said SENT already when each event arrived.
    const arrived = await waitFor(() => {
      const mine = seen.filter((x) => x.event.orderId === paid.orderId);
      return mine.length === 2 ? mine : null;
    });
    expect(arrived.map((x) => x.recordStatus)).toEqual(['SENT', 'SENT']);
  });

  it('a redelivered orders.paid (in turn and twice at once, new msg ids) publishes no second event', async () => {
    const joe = s.customer('+49 170 7654321');
    const paid = s.paidEvent(joe.id);
    await s.publish(paid);
    expect(await eventsOfOrder(s, paid.orderId, 2)).toHaveLength(2);

    await s.publish(paid, `${paid.eventId}-again`);
    await Promise.all([s.publish(paid, `${paid.eventId}-a`), s.publish(paid, `${paid.eventId}-b`)]);
    await waitFor(() => s.drained());
    const after = await eventsOfOrder(s, paid.orderId, 2);
    expect(after).toHaveLength(2);
    expect((await mailsTo(joe.email)).length).toBe(1);
  });

  it('two orders.paid of one order at once (new event ids) each announce their own notifications, once', async () => {
    const ann = s.customer();
    const first = s.paidEvent(ann.id);
    const second = s.paidEvent(ann.id, { orderId: first.orderId, orderNumber: first.orderNumber });
    await Promise.all([s.publish(first), s.publish(second)]);
    const events = await eventsOfOrder(s, first.orderId, 2);
    // A confirmation is per event (claimIdOf), so each event has its own EMAIL notification.
    expect(events.map((e) => e.event.notificationId).sort()).toEqual(
      [notificationId(first.eventId, 'EMAIL'), notificationId(second.eventId, 'EMAIL')].sort(),
    );
  });

  it('a channel that fails twice and then sends: the other channel is announced once, this one once when SENT', async () => {
    const max = s.customer('+49 170 1234560');
    const paid = s.paidEvent(max.id);
    await s.publish(paid);
    const smsId = notificationId(paid.eventId, 'SMS');
    await waitFor(async () => ((await s.repo.getNotification(smsId))?.value.status === 'SENT' ? true : null));
    const events = await eventsOfOrder(s, paid.orderId, 2);
    expect(smsCalls.get(smsId)).toBe(3);
    expect(events.map((e) => `${e.event.channel}:${e.event.status}`).sort()).toEqual([
      'EMAIL:SENT',
      'SMS:SENT',
    ]);
  });

  it('a channel that fails for good: EMAIL SENT and SMS FAILED (msg id <id>:FAILED) after the last delivery', async () => {
    const eva = s.customer('+49 170 1234569');
    const paid = s.paidEvent(eva.id);
    await s.publish(paid);
    const smsId = notificationId(paid.eventId, 'SMS');
    const events = await eventsOfOrder(s, paid.orderId, 2);
    expect(smsCalls.get(smsId)).toBe(4); // MAX_DELIVER
    const sms = events.find((e) => e.event.channel === 'SMS')!;
    expect(sms.msgId).toBe(`${smsId}:FAILED`);
    expect(sms.event).toMatchObject({ status: 'FAILED', eventId: `${smsId}:FAILED`, userId: eva.id });
    expect((await stored(s, smsId)).status).toBe('FAILED');
    expect(events.find((e) => e.event.channel === 'EMAIL')!.event.status).toBe('SENT');
    expect((await s.repo.getEvent(paid.eventId))?.value.status).toBe('FAILED');
  });

  it('shipped notices are claimed per order: two orders.fulfilled of one order announce one EMAIL', async () => {
    const kim = s.customer();
    const paid = s.paidEvent(kim.id);
    const shipped = s.fulfilledEvent(kim.id, paid);
    await s.publishFulfilled(shipped);
    await s.publishFulfilled(s.fulfilledEvent(kim.id, paid));
    const events = await eventsOfOrder(s, paid.orderId, 1);
    expect(events.map((e) => e.event)).toEqual([
      expect.objectContaining({
        notificationId: notificationId(claimIdOf('ORDER_SHIPPED', shipped), 'EMAIL'),
        kind: 'ORDER_SHIPPED',
        status: 'SENT',
        userId: kim.id,
      }),
    ]);
  });

  it("JetStream drops a second publication of one outcome (the msg id), not the other outcome's", async () => {
    const publisher = sentEventsPublisher(s.nc, s.names, { warn: () => undefined, error: () => undefined });
    const base: NotificationModel = {
      id: notificationId('manual-event', 'EMAIL'),
      eventId: 'manual-event',
      channel: 'EMAIL',
      kind: 'REFUND',
      recipient: 'j***@example.com',
      subject: 'x',
      status: 'SENT',
      attempts: 1,
      lastError: null,
      createdAt: new Date().toISOString(),
      sentAt: new Date().toISOString(),
      orderId: 'manual-order',
      userId: 'manual-user',
    };
    const at = new Date().toISOString();
    await publisher.publish(sentEventOf({ ...base, status: 'SENT' }, at));
    await publisher.publish(sentEventOf({ ...base, status: 'SENT' }, at));
    await publisher.publish(sentEventOf({ ...base, status: 'FAILED' }, at));
    const events = (await sentEvents(s.nc, s.names.streams.notifications)).filter(
      (e) => e.event.orderId === 'manual-order',
    );
    expect(events.map((e) => e.msgId)).toEqual([`${base.id}:SENT`, `${base.id}:FAILED`]);
  });
});

describe('reading the records while they change (what a subscription does right after each event)', () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await scenario('nsentr');
  });
  afterAll(async () => {
    await s.cleanup();
  });

  it('a list read racing the updates of its records answers at once (not after the consumer heartbeat) and misses none', async () => {
    const userId = randomUUID();
    const orders = Array.from({ length: 30 }, () => randomUUID());
    const record = (orderId: string, channel: 'EMAIL' | 'SMS'): NotificationModel => ({
      id: notificationId(`race-${orderId}`, channel),
      eventId: `race-${orderId}`,
      channel,
      kind: 'ORDER_CONFIRMATION',
      recipient: 'j***@example.com',
      subject: 'x',
      status: 'PENDING',
      attempts: 0,
      lastError: null,
      createdAt: new Date().toISOString(),
      sentAt: null,
      sendingUntil: null,
      orderId,
      userId,
    });
    // Like deliver(): create, take the lease, mark SENT; both channels at once.
    const write = async (orderId: string) =>
      Promise.all(
        (['EMAIL', 'SMS'] as const).map(async (channel) => {
          let current = await s.repo.createNotification(record(orderId, channel));
          current = await s.repo.updateNotification(current, { ...current.value, attempts: 1 });
          await s.repo.updateNotification(current, { ...current.value, status: 'SENT' });
        }),
      );
    const readTimes: number[] = [];
    const read = async (orderId: string) => {
      for (let i = 0; i < 4; i += 1) {
        const t0 = Date.now();
        await s.repo.notificationsOfUser(userId, orderId);
        readTimes.push(Date.now() - t0);
      }
    };
    await Promise.all(orders.flatMap((orderId) => [write(orderId), read(orderId)]));
    expect(Math.max(...readTimes)).toBeLessThan(3_000);
    for (const orderId of orders) {
      const stored = await s.repo.notificationsOfUser(userId, orderId);
      expect(stored.map((n) => `${n.channel}:${n.status}`).sort()).toEqual(['EMAIL:SENT', 'SMS:SENT']);
    }
    expect((await s.repo.notificationsOfUser(userId)).length).toBe(60);
  }, 90_000);
});

describe('notifications.sent when the stream cannot take it', () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await scenario('nsentx');
    await s.startApp();
    // The NOTIFICATIONS stream is gone (started, then deleted): every publish is refused.
    await (await jetstreamManager(s.nc)).streams.delete(s.names.streams.notifications);
  });
  afterAll(async () => {
    await s.cleanup();
  });

  it('retries, logs, and still sends and acks the confirmation (the event is best-effort)', async () => {
    const lea = s.customer();
    const paid = s.paidEvent(lea.id);
    await s.publish(paid);
    await mailsTo(lea.email);
    await waitFor(() => s.drained(), { timeoutMs: 15_000 });
    expect((await s.repo.getEvent(paid.eventId))?.value.status).toBe('DONE');
    expect((await stored(s, notificationId(paid.eventId, 'EMAIL'))).status).toBe('SENT');
    const failures = s.logs.lines.filter((l) => l.includes('could not publish notifications.sent'));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toContain(paid.orderId);
    expect(
      s.logs.lines.filter((l) => l.includes('publishing notifications.sent failed; retrying')),
    ).toHaveLength(3);
  });
});
