import { setTimeout as sleep } from 'node:timers/promises';
import { vatIncluded } from '@shop/config';
import type { OrderPaidEvent, PostalAddress } from '@shop/messaging';
import { mailpit, mailsTo, scenario, waitFor } from './harness';

/**
 * Issue 17, "confirmation email shows items, shipping, discount, VAT and address": orders.paid of a
 * checkout carries the parts of its total and the shipping address; the mail as Mailpit received it
 * (both parts) shows them. An event without them (written before checkout) renders as before, and
 * hostile address fields come out escaped in HTML and on one line in the text. Real NATS, KV, Mailpit.
 */
describe('the priced order confirmation (orders.paid of a checkout)', () => {
  let s: Awaited<ReturnType<typeof scenario>>;

  beforeAll(async () => {
    s = await scenario('npriced');
    await s.startApp();
  });
  afterAll(async () => {
    await s.cleanup();
  });

  const address: PostalAddress = {
    name: 'Jane Doe',
    company: 'Acme GmbH',
    line1: 'Invalidenstraße 116',
    line2: '3rd floor',
    postalCode: '10115',
    city: 'Berlin',
    region: null,
    country: 'DE',
    phone: '+4930123456',
  };

  /** 2 mugs and a green tea (€42.97), Standard shipping €4.90, WELCOME10 −€4.30: €43.57 incl. 19 % VAT. */
  const priced = (userId: string, overrides: Partial<OrderPaidEvent> = {}): OrderPaidEvent => {
    const base = s.paidEvent(userId);
    const total = 4297 + 490 - 430;
    return {
      ...base,
      subtotal: { amount: 4297, currency: 'EUR' },
      shipping: { amount: 490, currency: 'EUR' },
      discount: { amount: 430, currency: 'EUR' },
      total: { amount: total, currency: 'EUR' },
      vat: { amount: vatIncluded(total, 1900), currency: 'EUR' },
      vatRateBasisPoints: 1900,
      discountCode: 'WELCOME10',
      shippingMethod: { id: 'standard', name: 'Standard' },
      shippingAddress: address,
      ...overrides,
    };
  };

  const onlyMail = async (email: string) => {
    const [summary] = await mailsTo(email);
    await waitFor(() => s.drained());
    await sleep(200);
    expect(await mailpit.messagesTo(email)).toHaveLength(1);
    return mailpit.message(summary!.ID);
  };

  it('shows every item, the subtotal, shipping with its method, the discount with its code, the total, the VAT and the address, in both parts', async () => {
    const jane = s.customer();
    const event = priced(jane.id);
    expect(event.vat?.amount).toBe(696);
    await s.publish(event);
    const mail = await onlyMail(jane.email);
    expect(mail.Subject).toBe(`Your order ${event.orderNumber} is confirmed`);
    const text = mail.Text.replace(/\r\n/g, '\n');
    expect(text).toContain(
      [
        '  2 x Mug (€12.99 each): €25.98',
        '  1 x Green tea (€16.99 each): €16.99',
        '',
        'Subtotal: €42.97',
        'Shipping (Standard): €4.90',
        'Discount (WELCOME10): -€4.30',
        'Total: €43.57',
        'incl. VAT €6.96 (19 %)',
        '',
        'Shipping to:',
        '  Jane Doe',
        '  Acme GmbH',
        '  Invalidenstraße 116',
        '  3rd floor',
        '  10115 Berlin',
        '  Germany',
      ].join('\n'),
    );
    // The address's phone is for the carrier; internal ids never appear.
    for (const hidden of [address.phone!, event.orderId, event.paymentId, event.eventId, 'standard']) {
      expect(text).not.toContain(hidden);
      expect(mail.HTML).not.toContain(hidden);
    }
    for (const row of [
      '<tr><td>Mug</td><td style="text-align:right">2</td><td style="text-align:right">€12.99</td><td style="text-align:right">€25.98</td></tr>',
      '<tr><td>Green tea</td><td style="text-align:right">1</td><td style="text-align:right">€16.99</td><td style="text-align:right">€16.99</td></tr>',
      '<tr><td colspan="3">Subtotal</td><td style="text-align:right">€42.97</td></tr>',
      '<tr><td colspan="3">Shipping (Standard)</td><td style="text-align:right">€4.90</td></tr>',
      '<tr><td colspan="3">Discount (WELCOME10)</td><td style="text-align:right">-€4.30</td></tr>',
      '<tr><td colspan="3"><strong>Total</strong></td><td style="text-align:right"><strong>€43.57</strong></td></tr>',
      'incl. VAT €6.96 (19 %)',
      'Jane Doe<br>\nAcme GmbH<br>\nInvalidenstraße 116<br>\n3rd floor<br>\n10115 Berlin<br>\nGermany</p>',
    ])
      expect(mail.HTML.replace(/\r\n/g, '\n')).toContain(row);
  });

  it('says "free" for free shipping, 5.5 % for 550 basis points, and writes a US and a GB address as they are written there', async () => {
    const joe = s.customer();
    await s.publish(
      priced(joe.id, {
        shipping: { amount: 0, currency: 'EUR' },
        shippingMethod: { id: 'free', name: 'Free over €50' },
        total: { amount: 3867, currency: 'EUR' },
        vat: { amount: 202, currency: 'EUR' },
        vatRateBasisPoints: 550,
        shippingAddress: { ...address, country: 'US', region: 'NY', postalCode: '10001', city: 'New York' },
      }),
    );
    const us = (await onlyMail(joe.email)).Text.replace(/\r\n/g, '\n');
    expect(us).toContain('Shipping (Free over €50): free\n');
    expect(us).toContain('incl. VAT €2.02 (5.5 %)');
    expect(us).toContain('  3rd floor\n  New York, NY 10001\n  United States\n');

    const ann = s.customer();
    await s.publish(
      priced(ann.id, {
        discount: undefined,
        discountCode: null,
        shippingAddress: { ...address, country: 'GB', postalCode: 'SW1A 1AA', city: 'London' },
      }),
    );
    const gb = (await onlyMail(ann.email)).Text.replace(/\r\n/g, '\n');
    expect(gb).not.toContain('Discount');
    expect(gb).toContain('  3rd floor\n  London\n  SW1A 1AA\n  United Kingdom\n');
  });

  it('renders an event without the parts (written before checkout) exactly as before', async () => {
    const jane = s.customer();
    const event = s.paidEvent(jane.id);
    await s.publish(event);
    const mail = await onlyMail(jane.email);
    expect(mail.Text.replace(/\r\n/g, '\n').trimEnd()).toBe(
      [
        `Hello ${jane.name},`,
        '',
        `thank you for your order ${event.orderNumber}. We have received your payment.`,
        '',
        '  2 x Mug (€12.99 each): €25.98',
        '  1 x Green tea (€16.99 each): €16.99',
        '',
        'Total: €42.97',
        '',
        'Your shop',
      ].join('\n'),
    );
    for (const absent of ['Subtotal', 'Shipping', 'Discount', 'VAT'])
      expect(mail.Text + mail.HTML).not.toContain(absent);
    expect(mail.HTML).toContain(
      '<tfoot><tr><td colspan="3"><strong>Total</strong></td><td style="text-align:right"><strong>€42.97</strong></td></tr></tfoot>',
    );
  });

  it('escapes hostile address fields, item names, the method name and the code in HTML and keeps each on its one line in the text', async () => {
    const eve = s.customer();
    const hostile: PostalAddress = {
      name: '<script>alert(1)</script>',
      company: '"><img src=x onerror=alert(1)>',
      line1: '<script>',
      line2: 'Hinterhof\r\nTotal: €0.00',
      postalCode: '10115',
      city: "Berlin & <b>Mitte</b>'",
      region: 'Evil\u202eregion',
      country: 'DE',
      phone: null,
    };
    const event = priced(eve.id, {
      shippingAddress: hostile,
      shippingMethod: { id: 'x', name: '<i>Express</i>' },
      discountCode: '<SAVE>',
      items: [{ ...s.paidEvent(eve.id).items[0]!, name: 'Mug <img src=x onerror=alert(2)>' }],
    });
    await s.publish(event);
    const mail = await onlyMail(eve.email);

    for (const raw of ['<script', '<img', '<b>', '<i>', '<SAVE>', '"><img', '\u202e'])
      expect(mail.HTML).not.toContain(raw);
    for (const escaped of [
      '&lt;script&gt;alert(1)&lt;/script&gt;<br>',
      '&quot;&gt;&lt;img src=x onerror=alert(1)&gt;<br>',
      '&lt;script&gt;<br>',
      'Hinterhof  Total: €0.00<br>',
      '10115 Berlin &amp; &lt;b&gt;Mitte&lt;/b&gt;&#39;<br>',
      'Evilregion<br>',
      'Shipping (&lt;i&gt;Express&lt;/i&gt;)',
      'Discount (&lt;SAVE&gt;)',
      '<td>Mug &lt;img src=x onerror=alert(2)&gt;</td>',
    ])
      expect(mail.HTML).toContain(escaped);

    // Text: every field on its own one line, so no field can forge a line of its own.
    const text = mail.Text.replace(/\r\n/g, '\n');
    expect(text).toContain('  Hinterhof  Total: €0.00\n');
    expect(text.split('\n').filter((l) => l.startsWith('Total:'))).toEqual(['Total: €43.57']);
    expect(text).toContain('  <script>\n');
    expect(text).not.toContain('\u202e');
  });
});
