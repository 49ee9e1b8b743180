import { setTimeout as sleep } from 'node:timers/promises';
import { Kvm } from '@nats-io/kv';
import { DeadLetter } from '@shop/messaging';
import type { SmsMessage } from '../src/channels';
import { notificationId } from '../src/notifications.repository';
import { mailpit, mailsTo, scenario, waitFor } from './harness';

/**
 * Issue 16, "Admins can refund a PAID order … and tells the customer by email": orders.refunded
 * (published by orders once an admin refund has been paid back) becomes one refund email (and SMS),
 * recorded as notifications of kind REFUND next to the order's confirmation. Real NATS, KV, Mailpit.
 */
describe('refund notices (orders.refunded)', () => {
  let s: Awaited<ReturnType<typeof scenario>>;
  let url: string;

  beforeAll(async () => {
    s = await scenario('nrefund');
    ({ url } = await s.startApp());
  });
  afterAll(async () => {
    await s.cleanup();
  });

  const bucketKeys = async () => {
    const kv = await new Kvm(s.nc).open(s.names.buckets.notifications);
    const keys: string[] = [];
    for await (const key of await kv.keys()) keys.push(key);
    return keys.sort();
  };

  it('sends one refund email with the order number and amount, and records one REFUND notification shown by Order and User', async () => {
    const jane = s.customer();
    const paid = s.paidEvent(jane.id);
    await s.publish(paid);
    await mailsTo(jane.email);
    const refund = s.refundedEvent(jane.id, paid, { amount: { amount: 4297, currency: 'EUR' } });
    await s.publishRefunded(refund);

    await mailsTo(jane.email, 2);
    await waitFor(() => s.drained());
    await sleep(200);
    const all = await mailpit.messagesTo(jane.email);
    expect(all).toHaveLength(2);
    const refundMails = all.filter((m) => m.Subject === `Your refund for order ${paid.orderNumber}`);
    expect(refundMails).toHaveLength(1);
    const mail = await mailpit.message(refundMails[0]!.ID);
    expect(mail.To[0]?.Address).toBe(jane.email);
    expect(mail.Text).toContain(`Hello ${jane.name},`);
    expect(mail.Text).toContain(`we have refunded €42.97 for your order ${paid.orderNumber}.`);
    expect(mail.HTML).toContain(`<strong>${paid.orderNumber}</strong>`);
    expect(mail.HTML).toContain('<strong>€42.97</strong>');
    // Nothing internal in the message: no payment, order or event id.
    for (const secret of [refund.paymentId, refund.orderId, refund.eventId]) {
      expect(mail.Text).not.toContain(secret);
      expect(mail.HTML).not.toContain(secret);
    }

    // The store itself: the order has its confirmation and exactly one refund record, SENT once.
    const records = await s.repo.notificationsOfUser(jane.id, paid.orderId);
    expect(records.map((n) => [n.kind, n.channel, n.status, n.attempts]).sort()).toEqual([
      ['ORDER_CONFIRMATION', 'EMAIL', 'SENT', 1],
      ['REFUND', 'EMAIL', 'SENT', 1],
    ]);
    const refundId = notificationId(refund.eventId, 'EMAIL');
    expect(records.find((n) => n.kind === 'REFUND')).toMatchObject({
      id: refundId,
      eventId: refund.eventId,
      userId: jane.id,
      orderId: paid.orderId,
      recipient: `${jane.email[0]}***@example.com`,
      subject: `Your refund for order ${paid.orderNumber}`,
    });
    expect((await s.repo.getEvent(refund.eventId))?.value.status).toBe('DONE');

    // The kind through GraphQL: Order.notifications oldest first, User.notifications newest first.
    const order = await s.query(
      url,
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Order { notifications { id kind channel status } } } }`,
      { r: [{ __typename: 'Order', id: paid.orderId }] },
      jane,
    );
    expect(order.errors).toBeUndefined();
    expect(order.data).toEqual({
      _entities: [
        {
          notifications: [
            {
              id: notificationId(paid.eventId, 'EMAIL'),
              kind: 'ORDER_CONFIRMATION',
              channel: 'EMAIL',
              status: 'SENT',
            },
            { id: refundId, kind: 'REFUND', channel: 'EMAIL', status: 'SENT' },
          ],
        },
      ],
    });
    const user = await s.query(
      url,
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { notifications(first: 1) { edges { node { id kind subject order { id } } } } } } }`,
      { r: [{ __typename: 'User', id: jane.id }] },
      jane,
    );
    expect(user.errors).toBeUndefined();
    expect(user.data).toEqual({
      _entities: [
        {
          notifications: {
            edges: [
              {
                node: {
                  id: refundId,
                  kind: 'REFUND',
                  subject: `Your refund for order ${paid.orderNumber}`,
                  order: { id: paid.orderId },
                },
              },
            ],
          },
        },
      ],
    });
  });

  it('sends one refund email for the same event published twice, at once, and again with a new message id', async () => {
    const jane = s.customer();
    const refund = s.refundedEvent(jane.id);
    const [first, second, concurrent] = await Promise.all([
      s.publishRefunded(refund),
      s.publishRefunded(refund),
      s.publishRefunded(refund, `${refund.eventId}-concurrent`),
    ]);
    expect([first!.duplicate, second!.duplicate].sort()).toEqual([false, true]);
    expect(concurrent!.duplicate).toBe(false);
    await mailsTo(jane.email);
    await waitFor(() => s.drained());
    const requestsBefore = s.contactRequests();

    // After the duplicate window: the same event under a new message id.
    expect((await s.publishRefunded(refund, `${refund.eventId}-after-window`)).duplicate).toBe(false);
    await waitFor(() => s.drained());
    await sleep(300);
    expect(await mailpit.messagesTo(jane.email)).toHaveLength(1);
    expect(s.contactRequests()).toBe(requestsBefore);
    const records = await s.repo.notificationsOfUser(jane.id, refund.orderId);
    expect(records.map((n) => [n.kind, n.status, n.attempts])).toEqual([['REFUND', 'SENT', 1]]);
    expect(
      s.logs.lines.some(
        (line) => line.includes('duplicate orders.refunded event') && line.includes(refund.eventId),
      ),
    ).toBe(true);
  });

  it('dead-letters at once an orders.refunded naming its order, customer or payment in another form: nothing claimed, asked or sent', async () => {
    const letters: DeadLetter[] = [];
    const sub = s.nc.subscribe(s.names.events.notificationsDeadLetter, {
      callback: (_err, msg) => {
        letters.push(DeadLetter.parse(msg.json()));
      },
    });
    await s.nc.flush();
    await waitFor(() => s.drained());
    const keysBefore = await bucketKeys();
    const requestsBefore = s.contactRequests();
    const jane = s.customer();
    const issued = s.refundedEvent(jane.id);
    const forged = [
      { ...issued, eventId: crypto.randomUUID(), orderId: issued.orderId.toUpperCase() },
      { ...issued, eventId: crypto.randomUUID(), userId: jane.id.toUpperCase() },
      { ...issued, eventId: crypto.randomUUID(), userId: `{${jane.id}}` },
      { ...issued, eventId: crypto.randomUUID(), paymentId: issued.paymentId.toUpperCase() },
      { ...issued, eventId: crypto.randomUUID(), paymentId: ` ${issued.paymentId}` },
      { ...issued, eventId: crypto.randomUUID(), orderId: issued.orderId.replaceAll('-', '') },
    ];
    for (const event of forged) await s.publishRefunded(event);
    await waitFor(() => (letters.length >= forged.length ? letters : null));
    await waitFor(() => s.drained());
    sub.unsubscribe();
    expect(
      letters.map((l) => ({
        consumer: l.consumer,
        deliveries: l.deliveries,
        malformed: /^malformed event/.test(l.reason),
      })),
    ).toEqual(
      forged.map(() => ({
        consumer: s.names.consumers.notificationsOnOrdersRefunded,
        deliveries: 1,
        malformed: true,
      })),
    );
    expect(letters.map((l) => (JSON.parse(l.data) as { eventId: string }).eventId).sort()).toEqual(
      forged.map((e) => e.eventId).sort(),
    );
    expect(s.contactRequests()).toBe(requestsBefore);
    expect(await bucketKeys()).toEqual(keysBefore);
    expect(await mailpit.messagesTo(jane.email)).toHaveLength(0);

    // The issued form of the same refund is sent normally, once.
    await s.publishRefunded(issued);
    expect(await mailsTo(jane.email)).toHaveLength(1);
    await waitFor(() => s.drained());
  });
});

describe('refund notice redelivered after a failed channel', () => {
  let s: Awaited<ReturnType<typeof scenario>>;
  beforeAll(async () => {
    s = await scenario('nrefredo');
  });
  afterAll(async () => {
    await s.cleanup();
  });

  it('redelivers while the SMS provider fails, without sending the email again, then texts once', async () => {
    const texts: SmsMessage[] = [];
    let failures = 2;
    await s.startApp(
      { BACKOFF_MS: '150' },
      {
        sms: {
          send: async (message) => {
            if (failures > 0) {
              failures -= 1;
              throw new Error('sms gateway down');
            }
            texts.push(message);
          },
        },
      },
    );
    const joe = s.customer('+49 170 1234789');
    const refund = s.refundedEvent(joe.id, undefined, { amount: { amount: 1999, currency: 'JPY' } });
    await s.publishRefunded(refund);
    await waitFor(() => (texts.length > 0 ? texts : null));
    await waitFor(() => s.drained());
    await sleep(300);

    // Three deliveries (two failed on SMS), one email, one text.
    expect(s.contactRequests()).toBe(3);
    const mails = await mailpit.messagesTo(joe.email);
    expect(mails).toHaveLength(1);
    expect(mails[0]?.Subject).toBe(`Your refund for order ${refund.orderNumber}`);
    expect((await mailpit.message(mails[0]!.ID)).Text).toContain('Refunded: ¥1,999');
    expect(texts).toHaveLength(1);
    expect(texts[0]).toMatchObject({
      to: '+49 170 1234789',
      idempotencyKey: notificationId(refund.eventId, 'SMS'),
    });
    expect(texts[0]?.body).toContain(refund.orderNumber);
    expect(texts[0]?.body).toContain('¥1,999');
    const records = await s.repo.notificationsOfUser(joe.id, refund.orderId);
    expect(records.map((n) => [n.kind, n.channel, n.status, n.attempts]).sort()).toEqual([
      ['REFUND', 'EMAIL', 'SENT', 1],
      ['REFUND', 'SMS', 'SENT', 3],
    ]);
    expect((await s.repo.getEvent(refund.eventId))?.value.status).toBe('DONE');
  });
});
