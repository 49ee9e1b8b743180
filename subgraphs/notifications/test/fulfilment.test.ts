import type { OrderDeliveredEvent, OrderFulfilledEvent } from '@shop/messaging';
import type { EmailMessage, SmsMessage } from '../src/channels';
import { claimIdOf, ConfirmationsService } from '../src/confirmations.service';
import {
  carrierName,
  MAX_TRACKING_URL_LENGTH,
  renderDeliveredEmail,
  renderDeliveredSms,
  renderShippedEmail,
  renderShippedSms,
  trackingLink,
} from '../src/format.fulfilment';
import { notificationId } from '../src/notifications.repository';
import { memoryRepository } from './memory-repository';

const ORDER_ID = 'c0ffee00-0000-4000-8000-0000000000a1';
const USER_ID = 'beef0000-0000-4000-8000-0000000000b2';

const fulfilled = (overrides: Partial<OrderFulfilledEvent> = {}): OrderFulfilledEvent => ({
  eventId: 'evt-f1',
  orderId: ORDER_ID,
  orderNumber: 'SO-7',
  userId: USER_ID,
  carrier: 'DHL',
  trackingNumber: 'JD014600006281230704',
  trackingUrl: 'https://www.dhl.com/de-en/home/tracking.html?tracking-id=JD014600006281230704',
  fulfilledAt: '2026-01-03T00:00:00.000Z',
  ...overrides,
});

const delivered = (overrides: Partial<OrderDeliveredEvent> = {}): OrderDeliveredEvent => ({
  eventId: 'evt-d1',
  orderId: ORDER_ID,
  orderNumber: 'SO-7',
  userId: USER_ID,
  deliveredAt: '2026-01-05T00:00:00.000Z',
  ...overrides,
});

describe('trackingLink', () => {
  it('links an absolute https URL, as the URL parser writes it', () => {
    expect(trackingLink('https://www.ups.com/track?tracknum=1Z999&loc=en_US')).toBe(
      'https://www.ups.com/track?tracknum=1Z999&loc=en_US',
    );
    expect(trackingLink('HTTPS://Example.COM/a%20b')).toBe('https://example.com/a%20b');
    expect(trackingLink('https://x.example/"><script>')).toBe('https://x.example/%22%3E%3Cscript%3E');
  });
  it('refuses every other scheme, credentials, whitespace, control characters, relative and overlong URLs', () => {
    for (const url of [
      'http://www.dhl.com/track',
      'javascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'ftp://x.example/',
      '//www.dhl.com/track',
      '/track/1',
      'https:/x',
      'https:x.example',
      'https:\\\\x.example',
      'https:///x.example',
      'https://user:secret@x.example/',
      'https://user@x.example/',
      ' https://x.example/',
      'https://x.example/\n',
      'https://x.exa\tmple/',
      'https://x.example/\u202e',
      '',
      `https://x.example/${'a'.repeat(MAX_TRACKING_URL_LENGTH)}`,
    ])
      expect([url, trackingLink(url)]).toEqual([url, null]);
    const longest = `https://x.example/${'a'.repeat(MAX_TRACKING_URL_LENGTH - 'https://x.example/'.length)}`;
    expect(trackingLink(longest)).toBe(longest);
  });
});

describe('shipped and delivered texts', () => {
  it('names the carrier, the tracking number and links the tracking page, escaped, in both parts', () => {
    const link = 'https://x.example/t?a=1&b=<2>';
    const parsed = trackingLink(link)!;
    const mail = renderShippedEmail(fulfilled({ carrier: 'FEDEX' }), 'Jo <b>', parsed);
    expect(mail.subject).toBe('Your order SO-7 has shipped');
    expect(mail.text).toContain('Hello Jo <b>,');
    expect(mail.text).toContain('Carrier: FedEx\nTracking number: JD014600006281230704\n');
    expect(mail.text).toContain('Track your parcel: https://x.example/t?a=1&b=%3C2%3E\n');
    expect(mail.html).toContain('Hello Jo &lt;b&gt;,');
    expect(mail.html).toContain('<a href="https://x.example/t?a=1&amp;b=%3C2%3E">Track your parcel</a>');
    for (const id of [ORDER_ID, USER_ID, 'evt-f1']) expect(mail.text + mail.html).not.toContain(id);
    expect(renderShippedSms(fulfilled(), 'Jo', 'https://x.example/1')).toBe(
      'Hello Jo, your order SO-7 has shipped with DHL, tracking number JD014600006281230704: https://x.example/1',
    );
  });
  it('goes without the link when there is none, and keeps a hostile carrier or tracking number escaped and on one line', () => {
    const mail = renderShippedEmail(
      fulfilled({ carrier: '<img src=x>', trackingNumber: 'A1\nTrack your parcel: https://evil.example' }),
      'Jo',
      null,
    );
    expect(mail.html).not.toContain('<a ');
    expect(mail.html).not.toContain('<img');
    expect(mail.html).toContain('Carrier: <strong>&lt;img src=x&gt;</strong>');
    expect(mail.text.split('\n').filter((l) => l.startsWith('Track your parcel'))).toEqual([]);
    expect(mail.text).toContain('Tracking number: A1 Track your parcel: https://evil.example\n');
    expect(renderShippedSms(fulfilled(), 'Jo', null)).toBe(
      'Hello Jo, your order SO-7 has shipped with DHL, tracking number JD014600006281230704.',
    );
    expect(carrierName('ROYAL_MAIL')).toBe('Royal Mail');
    expect(carrierName('POSTNL')).toBe('PostNL');
    expect(carrierName('Acme\r\nBcc: x')).toBe('Acme  Bcc: x');
  });
  it('tells of the delivery', () => {
    const mail = renderDeliveredEmail(delivered(), '<Jo>');
    expect(mail.subject).toBe('Your order SO-7 has been delivered');
    expect(mail.text).toContain('your order SO-7 has been delivered.');
    expect(mail.html).toContain('Hello &lt;Jo&gt;,');
    expect(renderDeliveredSms(delivered(), 'Jo')).toBe('Hello Jo, your order SO-7 has been delivered.');
  });
});

describe('shipped and delivered notices in the service', () => {
  function setup(options: { emailDown?: () => boolean } = {}) {
    const repo = memoryRepository();
    const emails: EmailMessage[] = [];
    const texts: SmsMessage[] = [];
    const warnings: unknown[][] = [];
    const service = new ConfirmationsService({
      repository: repo,
      users: { contact: async () => ({ name: 'Jane', email: 'jane@example.com', phone: '+49123456789' }) },
      email: {
        send: async (m) => {
          if (options.emailDown?.()) throw new Error('connect ECONNREFUSED');
          emails.push(m);
        },
        close: async () => undefined,
      },
      sms: { send: async (m) => void texts.push(m) },
      log: { info: () => undefined, warn: (...args: unknown[]) => void warnings.push(args) },
    });
    return { repo, service, emails, texts, warnings };
  }

  it('sends each once per order: a second event of the same order (another event id) is a duplicate', async () => {
    const t = setup();
    await expect(t.service.handleOrderFulfilled(fulfilled())).resolves.toBe('SENT');
    await expect(t.service.handleOrderFulfilled(fulfilled())).resolves.toBe('DUPLICATE');
    await expect(t.service.handleOrderFulfilled(fulfilled({ eventId: 'evt-f2' }))).resolves.toBe('DUPLICATE');
    await expect(t.service.handleOrderDelivered(delivered())).resolves.toBe('SENT');
    await expect(t.service.handleOrderDelivered(delivered({ eventId: 'evt-d2' }))).resolves.toBe('DUPLICATE');
    // Another order is another notice.
    const other = 'c0ffee00-0000-4000-8000-0000000000a2';
    await expect(
      t.service.handleOrderFulfilled(fulfilled({ eventId: 'evt-f3', orderId: other })),
    ).resolves.toBe('SENT');
    expect(t.emails.map((m) => m.subject)).toEqual([
      'Your order SO-7 has shipped',
      'Your order SO-7 has been delivered',
      'Your order SO-7 has shipped',
    ]);
    expect(t.texts).toHaveLength(3);
    const shippedId = notificationId(`ORDER_SHIPPED:${ORDER_ID}`, 'EMAIL');
    expect(t.emails[0]?.idempotencyKey).toBe(shippedId);
    expect((await t.repo.getNotification(shippedId))?.value).toMatchObject({
      kind: 'ORDER_SHIPPED',
      eventId: 'evt-f1',
      status: 'SENT',
      attempts: 1,
    });
    expect((await t.repo.getEvent(claimIdOf('ORDER_DELIVERED', delivered())))?.value.status).toBe('DONE');
    expect(claimIdOf('REFUND', { eventId: 'e', orderId: ORDER_ID })).toBe('e');
    expect(claimIdOf('ORDER_CONFIRMATION', { eventId: 'e', orderId: ORDER_ID })).toBe('e');
    expect(t.warnings).toEqual([]);
  });

  it('sends without the link and warns (without the URL) when the tracking URL is not https', async () => {
    const t = setup();
    await t.service.handleOrderFulfilled(fulfilled({ trackingUrl: 'http://www.dhl.com/track?id=1' }));
    expect(t.emails[0]?.text).not.toContain('http://');
    expect(t.emails[0]?.html).not.toContain('<a ');
    expect(t.texts[0]?.body).not.toContain('http://');
    expect(t.warnings).toHaveLength(1);
    expect(JSON.stringify(t.warnings[0])).toContain('not an https URL');
    expect(JSON.stringify(t.warnings[0])).not.toContain('http://www.dhl.com');
  });

  it('after the last delivery marks the per-order claim FAILED; a later event of the order then sends', async () => {
    let down = true;
    const t = setup({ emailDown: () => down });
    await expect(t.service.handleOrderFulfilled(fulfilled())).rejects.toThrow('ECONNREFUSED');
    await t.service.markFailed(fulfilled(), 'EMAIL failed', 'ORDER_SHIPPED');
    const claim = claimIdOf('ORDER_SHIPPED', fulfilled());
    expect((await t.repo.getEvent(claim))?.value).toMatchObject({
      status: 'FAILED',
      failureReason: 'EMAIL failed',
    });
    expect((await t.repo.getNotification(notificationId(claim, 'EMAIL')))?.value.status).toBe('FAILED');
    expect((await t.repo.getNotification(notificationId(claim, 'SMS')))?.value.status).toBe('SENT');
    down = false;
    await expect(t.service.handleOrderFulfilled(fulfilled({ eventId: 'evt-f2' }))).resolves.toBe('SENT');
    expect(t.emails).toHaveLength(1);
    expect(t.texts).toHaveLength(1);
    // A dead letter of another event of the order after that leaves the DONE claim alone.
    await t.service.markFailed(fulfilled({ eventId: 'evt-f3' }), 'late', 'ORDER_SHIPPED');
    expect((await t.repo.getEvent(claim))?.value.status).toBe('DONE');
  });

  it('writes nothing for events naming the order or customer in another form', async () => {
    const t = setup();
    for (const changed of [{ orderId: ORDER_ID.toUpperCase() }, { userId: `{${USER_ID}}` }]) {
      await expect(t.service.handleOrderFulfilled(fulfilled(changed))).rejects.toThrow(/never issued/);
      await expect(t.service.handleOrderDelivered(delivered(changed))).rejects.toThrow(/never issued/);
      await t.service.markFailed(fulfilled(changed), 'dead-lettered', 'ORDER_SHIPPED');
    }
    expect({ writes: t.repo.store.size, emails: t.emails.length }).toEqual({ writes: 0, emails: 0 });
  });
});
