import {
  addressLines,
  formatMoney,
  formatRate,
  itemName,
  oneLine,
  maskEmail,
  maskPhone,
  renderConfirmationEmail,
  renderConfirmationSms,
  renderRefundEmail,
  renderRefundSms,
} from '../src/format';
import { line, orderPaid } from './events';

// Total 123456 (€1,234.56): 2 x 4999 + 113458.
const event = orderPaid(
  {
    eventId: 'evt-1',
    orderId: 'order-1',
    orderNumber: 'SO-1042',
    userId: 'user-1',
    paymentId: 'pay-1',
    paidAt: '2026-01-01T00:00:00.000Z',
  },
  [line('p1', 'Kettle <deluxe>', 2, 4999), line('p2', 'Tea', 1, 113458)],
);

describe('formatMoney', () => {
  it('formats minor units by the currency exponent, exactly', () => {
    expect(formatMoney({ amount: 1999, currency: 'EUR' })).toBe('€19.99');
    expect(formatMoney({ amount: 5, currency: 'USD' })).toBe('$0.05');
    expect(formatMoney({ amount: 123456789, currency: 'EUR' })).toBe('€1,234,567.89');
    expect(formatMoney({ amount: 1999, currency: 'JPY' })).toBe('¥1,999');
    expect(formatMoney({ amount: 1234, currency: 'KWD' })).toBe('KWD\u00a01.234');
    expect(formatMoney({ amount: 9007199254740991, currency: 'USD' })).toBe('$90,071,992,547,409.91');
  });
});

describe('masking', () => {
  it('keeps the first letter and the domain of an email', () => {
    expect(maskEmail('jane.doe@example.com')).toBe('j***@example.com');
    expect(maskEmail('not-an-email')).toBe('***');
  });
  it('keeps the first two and last three digits of a phone number', () => {
    expect(maskPhone('+49 170 1234789')).toBe('+49*******789');
    expect(maskPhone('+49123456789')).toBe('+49******789');
    expect(maskPhone('12345')).toBe('***45');
  });
});

describe('confirmation texts', () => {
  it('greets by name and lists order number, items with line totals and the total', () => {
    const email = renderConfirmationEmail(event, 'Jane');
    expect(email.subject).toBe('Your order SO-1042 is confirmed');
    expect(email.text).toContain('Hello Jane,');
    expect(email.text).toContain('2 x Kettle <deluxe> (€49.99 each): €99.98');
    expect(email.text).toContain('1 x Tea (€1,134.58 each): €1,134.58');
    expect(email.text).toContain('Total: €1,234.56');
    expect(email.html).toContain('<strong>SO-1042</strong>');
    expect(email.html).toContain('Kettle &lt;deluxe&gt;');
    expect(email.html).not.toContain('<deluxe>');
    expect(email.html).toContain('€1,234.56');
  });
  it('escapes the customer name in HTML', () => {
    expect(renderConfirmationEmail(event, '<script>x</script>').html).toContain(
      'Hello &lt;script&gt;x&lt;/script&gt;,',
    );
  });
  it('makes a short SMS', () => {
    expect(renderConfirmationSms(event, 'Jane')).toBe(
      'Hello Jane, your order SO-1042 (€1,234.56) is paid and confirmed. Thank you!',
    );
  });
});

describe('confirmation of variants', () => {
  const shirt = {
    ...line('0123456789abcdef01234567', 'Shirt', 2, 2000),
    variantId: '0123456789abcdef01234567-2',
    variantTitle: 'M / Blue',
  };
  const mug = { ...line('89abcdef0123456789abcdef', 'Mug', 1, 800), variantTitle: '' };
  const paid = orderPaid(
    {
      eventId: 'evt-v',
      orderId: 'order-v',
      orderNumber: 'SO-2001',
      userId: 'user-1',
      paymentId: 'pay-v',
      paidAt: '2026-01-01T00:00:00.000Z',
    },
    [shirt, mug, line('aaaaaaaaaaaaaaaaaaaaaaaa', 'Tea', 1, 300)],
  );

  it('names a variant with a title "Name — title", a product without options by its name', () => {
    const email = renderConfirmationEmail(paid, 'Jane');
    expect(email.text).toContain('  2 x Shirt — M / Blue (€20.00 each): €40.00');
    expect(email.text).toContain('  1 x Mug (€8.00 each): €8.00');
    expect(email.text).toContain('  1 x Tea (€3.00 each): €3.00');
    expect(email.text).not.toMatch(/Mug —|Tea —/);
    expect(email.html).toContain('<td>Shirt — M / Blue</td>');
    expect(email.html).toContain('<td>Mug</td>');
    // The ids stay out of the customer's email.
    expect(email.text).not.toContain(shirt.variantId);
    expect(email.html).not.toContain(shirt.variantId);
  });

  it('puts a title on one line and escapes it in HTML', () => {
    expect(itemName({ name: 'Shirt', variantTitle: '  ' })).toBe('Shirt');
    expect(itemName({ name: 'Shirt', variantTitle: undefined })).toBe('Shirt');
    const sneaky = { ...shirt, variantTitle: 'M\nTotal: €0.00 <b>' };
    const email = renderConfirmationEmail(orderPaid({ ...paid }, [sneaky]), 'Jane');
    expect(email.text).toContain('2 x Shirt — M Total: €0.00 <b> (€20.00 each)');
    expect(email.text.split('\n').some((l) => l.startsWith('Total: €0.00'))).toBe(false);
    expect(email.html).toContain('Shirt — M Total: €0.00 &lt;b&gt;');
    expect(email.html).not.toContain('<b>');
  });
});

describe('refund notice', () => {
  const refund = {
    eventId: 'evt-r',
    orderId: 'c0ffee00-0000-4000-8000-0000000000a1',
    orderNumber: 'SO-1042',
    userId: 'beef0000-0000-4000-8000-0000000000b2',
    paymentId: 'deed0000-0000-4000-8000-0000000000c3',
    amount: { amount: 123456, currency: 'EUR' },
    refundedAt: '2026-01-02T00:00:00.000Z',
  };

  it('names the order and the amount like the confirmation, escapes the name in HTML and carries no ids', () => {
    const mail = renderRefundEmail(refund, 'Jo <b>');
    expect(mail.subject).toBe('Your refund for order SO-1042');
    expect(mail.text).toContain('Hello Jo <b>,');
    expect(mail.text).toContain('we have refunded €1,234.56 for your order SO-1042.');
    expect(mail.text).toContain('Refunded: €1,234.56');
    expect(mail.html).toContain('Hello Jo &lt;b&gt;,');
    expect(mail.html).toContain('<strong>€1,234.56</strong>');
    for (const id of [refund.eventId, refund.orderId, refund.userId, refund.paymentId]) {
      expect(mail.text + mail.html).not.toContain(id);
    }
    expect(renderRefundSms({ ...refund, amount: { amount: 1999, currency: 'JPY' } }, 'Jo')).toBe(
      'Hello Jo, we have refunded ¥1,999 for your order SO-1042.',
    );
  });
});

describe('the parts of a priced confirmation', () => {
  it('writes a VAT rate from basis points', () => {
    expect([1900, 550, 2000, 1925, 505, 0, 10000].map(formatRate)).toEqual([
      '19',
      '5.5',
      '20',
      '19.25',
      '5.05',
      '0',
      '100',
    ]);
  });

  it('puts outside text on one line and drops bidirectional overrides', () => {
    expect(oneLine('a\r\nb\tc\u2028d\u0000e')).toBe('a  b c d e');
    expect(oneLine('abc\u202edef\u2066g')).toBe('abcdefg');
    expect(oneLine('Ünïcødé 😀 城市')).toBe('Ünïcødé 😀 城市');
  });

  const address = {
    name: 'Jane Doe',
    company: null,
    line1: 'Damrak 1',
    line2: null,
    postalCode: '1012 AB',
    city: 'Amsterdam',
    region: null,
    country: 'NL',
    phone: null,
  };

  it('writes the address as a label, the country by name', () => {
    expect(addressLines(address)).toEqual(['Jane Doe', 'Damrak 1', '1012 AB Amsterdam', 'Netherlands']);
    expect(
      addressLines({ ...address, country: 'US', region: 'CA', postalCode: '94103', city: 'SF' }),
    ).toEqual(['Jane Doe', 'Damrak 1', 'SF, CA 94103', 'United States']);
    // A country the shop does not know (an old snapshot): its code.
    expect(addressLines({ ...address, country: 'ZZ' }).at(-1)).toBe('ZZ');
    expect(addressLines({ ...address, company: '  ', line2: '\n' })).toHaveLength(4);
  });

  it('shows only the parts the event has; zero VAT at rate 0 is left out; free needs a method', () => {
    const parts = {
      ...event,
      subtotal: { amount: 123456, currency: 'EUR' },
      shipping: { amount: 0, currency: 'EUR' },
      discount: { amount: 0, currency: 'EUR' },
      vat: { amount: 0, currency: 'EUR' },
      vatRateBasisPoints: 0,
      discountCode: null,
      shippingMethod: null,
      shippingAddress: null,
    };
    const text = renderConfirmationEmail(parts, 'Jane').text;
    expect(text).toContain('Subtotal: €1,234.56\nShipping: €0.00\nTotal: €1,234.56\n');
    expect(text).not.toContain('Discount');
    expect(text).not.toContain('VAT');
    expect(text).not.toContain('Shipping to');
    const withMethod = renderConfirmationEmail(
      { ...parts, shippingMethod: { id: 'm', name: 'Pickup' } },
      'J',
    );
    expect(withMethod.text).toContain('Shipping (Pickup): free\n');
    expect(withMethod.html).toContain(
      '<td colspan="3">Shipping (Pickup)</td><td style="text-align:right">free</td>',
    );
    const vatOnly = renderConfirmationEmail({ ...event, vat: { amount: 19710, currency: 'EUR' } }, 'J').text;
    expect(vatOnly).toContain('Total: €1,234.56\nincl. VAT €197.10\n');
  });
});
