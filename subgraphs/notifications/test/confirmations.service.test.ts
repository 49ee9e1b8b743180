import type { OrderRefundedEvent } from '@shop/messaging';
import type { EmailMessage, EmailSender, SmsMessage } from '../src/channels';
import { ConfirmationsService, type Contact } from '../src/confirmations.service';
import { notificationId } from '../src/notifications.repository';
import { line, orderPaid } from './events';
import { memoryRepository } from './memory-repository';

/** The order and customer in the forms orders and users issue (lower-case UUIDs). */
const ORDER_ID = 'c0ffee00-0000-4000-8000-0000000000a1';
const USER_ID = 'beef0000-0000-4000-8000-0000000000b2';

const event = (eventId = 'evt-1') =>
  orderPaid(
    {
      eventId,
      orderId: ORDER_ID,
      orderNumber: 'SO-7',
      userId: USER_ID,
      paymentId: 'pay-1',
      paidAt: '2026-01-01T00:00:00.000Z',
    },
    [line('p1', 'Mug', 2, 1250)],
  );

const silentLog = { info: () => undefined, warn: () => undefined };

const PAYMENT_ID = 'deed0000-0000-4000-8000-0000000000c3';

const refunded = (eventId = 'evt-r1'): OrderRefundedEvent => ({
  eventId,
  orderId: ORDER_ID,
  orderNumber: 'SO-7',
  userId: USER_ID,
  paymentId: PAYMENT_ID,
  amount: { amount: 2500, currency: 'EUR' },
  refundedAt: '2026-01-02T00:00:00.000Z',
});

function setup(
  contact: Contact | (() => Promise<Contact>) = {
    name: 'Jane',
    email: 'jane@example.com',
    phone: '+49123456789',
  },
  options: { now?: () => Date; sendLeaseMs?: number; emailDelay?: Promise<void> } = {},
) {
  const repo = memoryRepository();
  const emails: EmailMessage[] = [];
  const texts: SmsMessage[] = [];
  let emailDown = false;
  let smsDown = false;
  const email: EmailSender = {
    send: async (m) => {
      if (emailDown) throw new Error('connect ECONNREFUSED');
      await options.emailDelay;
      emails.push(m);
    },
    close: async () => undefined,
  };
  const service = new ConfirmationsService({
    repository: repo,
    users: { contact: typeof contact === 'function' ? contact : async () => contact },
    email,
    sms: {
      send: async (m) => {
        if (smsDown) throw new Error('sms gateway down');
        texts.push(m);
      },
    },
    log: silentLog,
    now: options.now,
    sendLeaseMs: options.sendLeaseMs,
  });
  return {
    repo,
    service,
    emails,
    texts,
    setEmailDown: (v: boolean) => (emailDown = v),
    setSmsDown: (v: boolean) => (smsDown = v),
  };
}

describe('confirmation service', () => {
  it('sends an email and an SMS once, records both as SENT and the event as DONE', async () => {
    const t = setup();
    await expect(t.service.handleOrderPaid(event())).resolves.toBe('SENT');
    expect(t.emails).toHaveLength(1);
    expect(t.emails[0]).toMatchObject({ to: 'jane@example.com', subject: 'Your order SO-7 is confirmed' });
    expect(t.texts).toHaveLength(1);
    expect(t.texts[0]?.to).toBe('+49123456789');
    const mail = (await t.repo.getNotification(notificationId('evt-1', 'EMAIL')))?.value;
    expect(mail).toMatchObject({
      status: 'SENT',
      attempts: 1,
      recipient: 'j***@example.com',
      channel: 'EMAIL',
    });
    const sms = (await t.repo.getNotification(notificationId('evt-1', 'SMS')))?.value;
    expect(sms).toMatchObject({ status: 'SENT', attempts: 1, recipient: '+49******789', channel: 'SMS' });
    expect((await t.repo.getEvent('evt-1'))?.value.status).toBe('DONE');
  });

  it('sends nothing for a duplicate and does not even ask users', async () => {
    let lookups = 0;
    const t = setup(async () => {
      lookups += 1;
      return { name: 'Jane', email: 'jane@example.com', phone: null };
    });
    await t.service.handleOrderPaid(event());
    await expect(t.service.handleOrderPaid(event())).resolves.toBe('DUPLICATE');
    expect(t.emails).toHaveLength(1);
    expect(t.texts).toHaveLength(0);
    expect(lookups).toBe(1);
  });

  it('on retry resends only the channel that was not sent', async () => {
    const t = setup();
    t.setSmsDown(true);
    await expect(t.service.handleOrderPaid(event())).rejects.toThrow(
      'SMS to +49******789 failed: sms gateway down',
    );
    expect(t.emails).toHaveLength(1);
    t.setSmsDown(false);
    await expect(t.service.handleOrderPaid(event())).resolves.toBe('SENT');
    expect(t.emails).toHaveLength(1);
    expect(t.texts).toHaveLength(1);
    expect((await t.repo.getNotification(notificationId('evt-1', 'SMS')))?.value).toMatchObject({
      status: 'SENT',
      attempts: 2,
      lastError: null,
    });
    expect((await t.repo.getNotification(notificationId('evt-1', 'EMAIL')))?.value.attempts).toBe(1);
  });

  it('counts attempts and marks the notification FAILED after the last one', async () => {
    const t = setup({ name: 'Jane', email: 'jane@example.com', phone: null });
    t.setEmailDown(true);
    await expect(t.service.handleOrderPaid(event())).rejects.toThrow('ECONNREFUSED');
    await expect(t.service.handleOrderPaid(event())).rejects.toThrow('ECONNREFUSED');
    await t.service.markFailed(event(), 'EMAIL failed: connect ECONNREFUSED');
    const mail = (await t.repo.getNotification(notificationId('evt-1', 'EMAIL')))?.value;
    expect(mail).toMatchObject({
      status: 'FAILED',
      attempts: 2,
      lastError: 'EMAIL failed: connect ECONNREFUSED',
    });
    expect((await t.repo.getEvent('evt-1'))?.value).toMatchObject({
      status: 'FAILED',
      failureReason: 'EMAIL failed: connect ECONNREFUSED',
    });
    expect(t.emails).toHaveLength(0);
  });

  it('fails (to be retried) when users does not answer, without recording a notification', async () => {
    const t = setup(async () => {
      throw new Error('service users.contact did not answer');
    });
    await expect(t.service.handleOrderPaid(event())).rejects.toThrow('did not answer');
    expect(await t.repo.getNotification(notificationId('evt-1', 'EMAIL'))).toBeNull();
    expect((await t.repo.getEvent('evt-1'))?.value.status).toBe('PROCESSING');
  });

  it('writes nothing, asks nobody and sends nothing for an event naming its order or customer in another form', async () => {
    let asked = 0;
    const { repo, service, emails, texts } = setup(async () => {
      asked++;
      return { name: 'Jane', email: 'jane@example.com', phone: null };
    });
    for (const changed of [
      { orderId: ORDER_ID.toUpperCase() },
      { userId: USER_ID.toUpperCase() },
      { userId: `{${USER_ID}}` },
      { orderId: ` ${ORDER_ID}` },
    ]) {
      const forged = { ...event(), ...changed };
      await expect(service.handleOrderPaid(forged)).rejects.toThrow(/never issued/);
      await service.markFailed(forged, 'dead-lettered');
    }
    expect({ asked, writes: repo.store.size, emails: emails.length, texts: texts.length }).toEqual({
      asked: 0,
      writes: 0,
      emails: 0,
      texts: 0,
    });
  });

  it('sends a refund notice once per channel, recorded as REFUND next to the confirmation', async () => {
    const t = setup();
    await t.service.handleOrderPaid(event());
    await expect(t.service.handleOrderRefunded(refunded())).resolves.toBe('SENT');
    await expect(t.service.handleOrderRefunded(refunded())).resolves.toBe('DUPLICATE');
    expect(t.emails.map((m) => m.subject)).toEqual([
      'Your order SO-7 is confirmed',
      'Your refund for order SO-7',
    ]);
    expect(t.emails[1]?.text).toContain('we have refunded €25.00 for your order SO-7.');
    expect(t.texts.map((m) => m.body)).toEqual([
      expect.stringContaining('confirmed'),
      'Hello Jane, we have refunded €25.00 for your order SO-7.',
    ]);
    const records = await t.repo.notificationsOfUser(USER_ID, ORDER_ID);
    expect(records.map((n) => [n.kind, n.channel, n.status, n.attempts]).sort()).toEqual([
      ['ORDER_CONFIRMATION', 'EMAIL', 'SENT', 1],
      ['ORDER_CONFIRMATION', 'SMS', 'SENT', 1],
      ['REFUND', 'EMAIL', 'SENT', 1],
      ['REFUND', 'SMS', 'SENT', 1],
    ]);
    expect((await t.repo.getNotification(notificationId('evt-r1', 'SMS')))?.value.subject).toBe(
      'Your refund for order SO-7',
    );
  });

  it('writes nothing, asks nobody and sends nothing for a refund naming its order, customer or payment in another form', async () => {
    let asked = 0;
    const { repo, service, emails, texts } = setup(async () => {
      asked++;
      return { name: 'Jane', email: 'jane@example.com', phone: null };
    });
    for (const changed of [
      { orderId: ORDER_ID.toUpperCase() },
      { userId: `{${USER_ID}}` },
      { paymentId: PAYMENT_ID.toUpperCase() },
      { paymentId: 'pay-1' },
    ]) {
      const forged = { ...refunded(), ...changed };
      await expect(service.handleOrderRefunded(forged)).rejects.toThrow(/never issued/);
      await service.markFailed(forged, 'dead-lettered');
    }
    expect({ asked, writes: repo.store.size, emails: emails.length, texts: texts.length }).toEqual({
      asked: 0,
      writes: 0,
      emails: 0,
      texts: 0,
    });
  });

  it('lets only one of two concurrent deliveries of an event send; the other fails and finds it sent on retry', async () => {
    let release!: () => void;
    const t = setup(
      { name: 'Jane', email: 'jane@example.com', phone: null },
      { emailDelay: new Promise<void>((resolve) => (release = resolve)) },
    );
    const first = t.service.handleOrderRefunded(refunded());
    await new Promise((resolve) => setTimeout(resolve, 10)); // the first holds the lease, mid-send
    await expect(t.service.handleOrderRefunded(refunded())).rejects.toThrow(/being sent by another delivery/);
    release();
    await expect(first).resolves.toBe('SENT');
    await expect(t.service.handleOrderRefunded(refunded())).resolves.toBe('DUPLICATE');
    expect(t.emails).toHaveLength(1);
    expect((await t.repo.getNotification(notificationId('evt-r1', 'EMAIL')))?.value).toMatchObject({
      status: 'SENT',
      attempts: 1,
      sendingUntil: null,
    });
  });

  it('sends again once the lease of a delivery that never finished has lapsed', async () => {
    let clock = Date.parse('2026-01-02T00:00:00.000Z');
    const t = setup(
      { name: 'Jane', email: 'jane@example.com', phone: null },
      { now: () => new Date(clock), sendLeaseMs: 45_000, emailDelay: new Promise<void>(() => undefined) },
    );
    void t.service.handleOrderRefunded(refunded()); // "crashes" mid-send: never resolves
    await new Promise((resolve) => setTimeout(resolve, 10));
    clock += 44_999;
    await expect(t.service.handleOrderRefunded(refunded())).rejects.toThrow(/being sent by another delivery/);
    clock += 2;
    // A fresh service on the same store, with a sender that works (the process restarted).
    const emails: unknown[] = [];
    const restarted = new ConfirmationsService({
      repository: t.repo,
      users: { contact: async () => ({ name: 'Jane', email: 'jane@example.com', phone: null }) },
      email: { send: async (m) => void emails.push(m), close: async () => undefined },
      sms: { send: async () => undefined },
      log: silentLog,
      now: () => new Date(clock),
    });
    await expect(restarted.handleOrderRefunded(refunded())).resolves.toBe('SENT');
    expect(emails).toHaveLength(1);
    expect((await t.repo.getNotification(notificationId('evt-r1', 'EMAIL')))?.value.attempts).toBe(2);
  });
});
