import { setTimeout as sleep } from 'node:timers/promises';
import { DeadLetter } from '@shop/messaging';
import { claimIdOf } from '../src/confirmations.service';
import { notificationId } from '../src/notifications.repository';
import { mailpit, mailsTo, scenario, waitFor } from './harness';

/**
 * Issue 17, "admin fulfils → 'shipped' email → delivered": orders.fulfilled becomes one "shipped"
 * email (carrier, tracking number, https tracking link) and orders.delivered one "delivered" email,
 * each at most once per order whatever the redeliveries, re-publishes or further events of the order,
 * recorded as ORDER_SHIPPED / ORDER_DELIVERED next to the confirmation. Real NATS, KV, Mailpit.
 */
describe('shipped and delivered notices (orders.fulfilled, orders.delivered)', () => {
  let s: Awaited<ReturnType<typeof scenario>>;
  let url: string;

  beforeAll(async () => {
    s = await scenario('nship');
    ({ url } = await s.startApp());
  });
  afterAll(async () => {
    await s.cleanup();
  });

  const settled = async (email: string, count: number) => {
    await mailsTo(email, count);
    await waitFor(() => s.drained());
    await sleep(300);
    return mailpit.messagesTo(email);
  };

  it('sends the confirmation, one shipped email with the tracking link and one delivered email; Order.notifications lists the three kinds', async () => {
    const jane = s.customer();
    const paid = s.paidEvent(jane.id);
    await s.publish(paid);
    await mailsTo(jane.email);
    const shipped = s.fulfilledEvent(jane.id, paid, {
      carrier: 'ROYAL_MAIL',
      trackingNumber: 'AB123456789GB',
      trackingUrl: 'https://www.royalmail.com/track-your-item#/tracking-results/AB123456789GB?a=1&b=2',
    });
    await s.publishFulfilled(shipped);
    await mailsTo(jane.email, 2);

    const [mail] = (await mailpit.messagesTo(jane.email)).filter(
      (m) => m.Subject === `Your order ${paid.orderNumber} has shipped`,
    );
    const body = await mailpit.message(mail!.ID);
    expect(body.To[0]?.Address).toBe(jane.email);
    const text = body.Text.replace(/\r\n/g, '\n');
    expect(text).toContain(`Hello ${jane.name},`);
    expect(text).toContain(`your order ${paid.orderNumber} is on its way.`);
    expect(text).toContain('Carrier: Royal Mail\nTracking number: AB123456789GB\n');
    expect(text).toContain(`Track your parcel: ${shipped.trackingUrl}\n`);
    expect(body.HTML).toContain(`<strong>${paid.orderNumber}</strong>`);
    expect(body.HTML).toContain('Tracking number: <strong>AB123456789GB</strong>');
    expect(body.HTML).toContain(
      '<a href="https://www.royalmail.com/track-your-item#/tracking-results/AB123456789GB?a=1&amp;b=2">Track your parcel</a>',
    );
    for (const id of [shipped.eventId, shipped.orderId, jane.id]) expect(text + body.HTML).not.toContain(id);

    const delivered = s.deliveredEvent(jane.id, paid);
    await s.publishDelivered(delivered);
    const all = await settled(jane.email, 3);
    expect(all.map((m) => m.Subject).sort()).toEqual(
      [
        `Your order ${paid.orderNumber} has been delivered`,
        `Your order ${paid.orderNumber} has shipped`,
        `Your order ${paid.orderNumber} is confirmed`,
      ].sort(),
    );
    const deliveredMail = await mailpit.message(all.find((m) => m.Subject.endsWith('delivered'))!.ID);
    expect(deliveredMail.Text).toContain(`your order ${paid.orderNumber} has been delivered.`);
    expect(deliveredMail.HTML).toContain(`<strong>${paid.orderNumber}</strong> has been delivered.`);

    const records = await s.repo.notificationsOfUser(jane.id, paid.orderId);
    expect(records.map((n) => [n.kind, n.channel, n.status, n.attempts]).sort()).toEqual([
      ['ORDER_CONFIRMATION', 'EMAIL', 'SENT', 1],
      ['ORDER_DELIVERED', 'EMAIL', 'SENT', 1],
      ['ORDER_SHIPPED', 'EMAIL', 'SENT', 1],
    ]);
    const shippedId = notificationId(claimIdOf('ORDER_SHIPPED', shipped), 'EMAIL');
    expect(records.find((n) => n.kind === 'ORDER_SHIPPED')).toMatchObject({
      id: shippedId,
      eventId: shipped.eventId,
      subject: `Your order ${paid.orderNumber} has shipped`,
      recipient: `${jane.email[0]}***@example.com`,
    });

    const order = await s.query(
      url,
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Order { notifications { id kind status } } } }`,
      { r: [{ __typename: 'Order', id: paid.orderId }] },
      jane,
    );
    expect(order.errors).toBeUndefined();
    const kinds = (order.data as { _entities: [{ notifications: { id: string; kind: string }[] }] })
      ._entities[0].notifications;
    expect(kinds.map((n) => n.kind).sort()).toEqual([
      'ORDER_CONFIRMATION',
      'ORDER_DELIVERED',
      'ORDER_SHIPPED',
    ]);
    expect(kinds.find((n) => n.kind === 'ORDER_SHIPPED')?.id).toBe(shippedId);
  });

  it('sends one shipped email for a redelivered, re-published (new message id, at once and after the window) and second orders.fulfilled of the same order', async () => {
    const jane = s.customer('+49 170 1234789');
    const shipped = s.fulfilledEvent(jane.id);
    const another = s.fulfilledEvent(jane.id, shipped, {
      trackingNumber: 'OTHER-0001',
      trackingUrl: 'https://www.dhl.com/track?tracking-id=OTHER-0001',
    });
    const results = await Promise.all([
      s.publishFulfilled(shipped),
      s.publishFulfilled(shipped),
      s.publishFulfilled(shipped, `${shipped.eventId}-again`),
      s.publishFulfilled(another),
    ]);
    expect(results.filter((r) => r.duplicate)).toHaveLength(1);
    await settled(jane.email, 1);
    const requestsBefore = s.contactRequests();
    await s.publishFulfilled(shipped, `${shipped.eventId}-later`);
    await s.publishFulfilled({ ...another, eventId: crypto.randomUUID() });
    const mails = await settled(jane.email, 1);
    expect(mails).toHaveLength(1);
    expect(s.contactRequests()).toBe(requestsBefore);
    const records = await s.repo.notificationsOfUser(jane.id, shipped.orderId);
    expect(records.map((n) => [n.kind, n.channel, n.status, n.attempts]).sort()).toEqual([
      ['ORDER_SHIPPED', 'EMAIL', 'SENT', 1],
      ['ORDER_SHIPPED', 'SMS', 'SENT', 1],
    ]);
    const sms = await s.repo.getSms(notificationId(claimIdOf('ORDER_SHIPPED', shipped), 'SMS'));
    expect(sms?.body).toMatch(
      /has shipped with DHL, tracking number (JD\d+|OTHER-0001): https:\/\/www\.dhl\.com\//,
    );
    expect(
      s.logs.lines.some((l) => l.includes('duplicate orders.fulfilled event') && l.includes(shipped.orderId)),
    ).toBe(true);

    // Delivered: the same, once.
    const delivered = s.deliveredEvent(jane.id, shipped);
    await Promise.all([
      s.publishDelivered(delivered),
      s.publishDelivered(delivered, `${delivered.eventId}-again`),
      s.publishDelivered({ ...delivered, eventId: crypto.randomUUID() }),
    ]);
    const after = await settled(jane.email, 2);
    expect(after.filter((m) => m.Subject.endsWith('has been delivered'))).toHaveLength(1);
    expect(after).toHaveLength(2);
  });

  it('sends the shipped email without a link, and logs it, when the tracking URL is not https', async () => {
    for (const trackingUrl of ['http://tracking.example/JD1', 'javascript:alert(document.cookie)']) {
      const joe = s.customer();
      const shipped = s.fulfilledEvent(joe.id, undefined, {
        trackingUrl,
        trackingNumber: 'JD0001',
        carrier: 'DPD',
      });
      await s.publishFulfilled(shipped);
      const [summary] = await settled(joe.email, 1);
      const mail = await mailpit.message(summary!.ID);
      expect(mail.Subject).toBe(`Your order ${shipped.orderNumber} has shipped`);
      expect(mail.Text).toContain('Carrier: DPD');
      expect(mail.Text).toContain('Tracking number: JD0001');
      for (const part of [mail.Text, mail.HTML]) {
        expect(part).not.toContain(trackingUrl);
        expect(part).not.toContain('Track your parcel');
      }
      expect(mail.HTML).not.toContain('<a ');
      expect(
        s.logs.lines.some(
          (l) => l.includes('not an https URL') && l.includes(shipped.orderId) && !l.includes(trackingUrl),
        ),
      ).toBe(true);
    }
  });

  it('dead-letters at once an orders.fulfilled or orders.delivered naming its order or customer in another form: nothing sent', async () => {
    const letters: DeadLetter[] = [];
    const sub = s.nc.subscribe(s.names.events.notificationsDeadLetter, {
      callback: (_err, msg) => {
        letters.push(DeadLetter.parse(msg.json()));
      },
    });
    await s.nc.flush();
    const requestsBefore = s.contactRequests();
    const eve = s.customer();
    const shipped = s.fulfilledEvent(eve.id);
    const delivered = s.deliveredEvent(eve.id, shipped);
    await s.publishFulfilled({ ...shipped, orderId: shipped.orderId.toUpperCase() });
    await s.publishFulfilled({ ...shipped, eventId: crypto.randomUUID(), userId: `{${eve.id}}` });
    await s.publishDelivered({ ...delivered, userId: eve.id.toUpperCase() });
    await waitFor(() => (letters.length >= 3 ? letters : null));
    await waitFor(() => s.drained());
    sub.unsubscribe();
    expect(letters.map((l) => [l.consumer, l.deliveries, /^malformed event/.test(l.reason)]).sort()).toEqual(
      [
        [s.names.consumers.notificationsOnOrdersDelivered, 1, true],
        [s.names.consumers.notificationsOnOrdersFulfilled, 1, true],
        [s.names.consumers.notificationsOnOrdersFulfilled, 1, true],
      ].sort(),
    );
    expect(s.contactRequests()).toBe(requestsBefore);
    expect(await mailpit.messagesTo(eve.email)).toHaveLength(0);
    expect(await s.repo.getEvent(claimIdOf('ORDER_SHIPPED', shipped))).toBeNull();
  });
});
