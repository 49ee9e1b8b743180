import { countryByCode } from '@shop/config';
import type { Money } from '@shop/graphql';
import type { OrderPaidEvent, OrderRefundedEvent, PostalAddress } from '@shop/messaging';

/**
 * Pure formatting: money from minor units, masked recipients, and the email and SMS texts of the
 * order confirmation and of the refund. No I/O.
 */

const LOCALE = 'en-US';

/** Formats minor units exactly (no float division): 1999 EUR -> "€19.99", 1999 JPY -> "¥1,999". */
export function formatMoney({ amount, currency }: Money): string {
  const format = new Intl.NumberFormat(LOCALE, { style: 'currency', currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  const negative = amount < 0;
  const units = String(Math.abs(amount)).padStart(digits + 1, '0');
  const decimal = digits === 0 ? units : `${units.slice(0, -digits)}.${units.slice(-digits)}`;
  return format.format(`${negative ? '-' : ''}${decimal}` as Intl.StringNumericLiteral);
}

/** jane.doe@example.com -> j***@example.com */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${email[0]}***${email.slice(at)}`;
}

/** +49 170 1234789 -> +49******789: the first two and last three digits stay. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  const plus = phone.trim().startsWith('+') ? '+' : '';
  if (digits.length <= 5) return `${plus}${'*'.repeat(Math.max(digits.length - 2, 0))}${digits.slice(-2)}`;
  return `${plus}${digits.slice(0, 2)}${'*'.repeat(digits.length - 5)}${digits.slice(-3)}`;
}

/** HTML-escapes text for element content and double- or single-quoted attribute values. */
export const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/**
 * Text from outside (names, address lines, codes) on one line: control characters, line and
 * paragraph separators become spaces, and bidirectional overrides and isolates are dropped, so that
 * a field can neither start a line of its own in the plain-text part (a fake "Total: €0.00") nor
 * reorder what follows it. The HTML part escapes the result as well (`html`).
 */
export const oneLine = (text: string) =>
  text.replace(/[\p{Cc}\u2028\u2029]/gu, ' ').replace(/[\u202a-\u202e\u2066-\u2069]/g, '');

/** Text from outside, for the HTML part: on one line and escaped. */
export const html = (text: string) => escapeHtml(oneLine(text));

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export const confirmationSubject = (event: Pick<OrderPaidEvent, 'orderNumber'>) =>
  `Your order ${event.orderNumber} is confirmed`;

/** A VAT rate in basis points as a percentage: 1900 -> "19", 550 -> "5.5", 1925 -> "19.25". */
export function formatRate(basisPoints: number): string {
  const whole = Math.floor(basisPoints / 100);
  const fraction = basisPoints % 100;
  if (fraction === 0) return String(whole);
  return `${whole}.${String(fraction).padStart(2, '0').replace(/0$/, '')}`;
}

/**
 * The shipping address as the lines of a label: name, company, street lines, the city line as the
 * country writes it (US "City, ST 10001"; GB city, then postal code; elsewhere "10115 Berlin" and the
 * region, if any, below) and the country's name from COUNTRIES (its code when it is not one of them).
 * Every line is on one line (`oneLine`); empty ones are left out.
 */
export function addressLines(address: PostalAddress): string[] {
  const { name, company, line1, line2, postalCode, city, region, country } = address;
  const place =
    country === 'US'
      ? [`${city}, ${[region, postalCode].filter(Boolean).join(' ')}`]
      : country === 'GB'
        ? [city, postalCode]
        : [`${postalCode} ${city}`, region];
  return [name, company, line1, line2, ...place, countryByCode(country)?.name ?? country]
    .map((l) => oneLine(l ?? '').trim())
    .filter((l) => l.length > 0);
}

/** One line of the totals below the items: a label and an amount (or "free"). */
interface TotalLine {
  label: string;
  amount: string;
  strong?: boolean;
}

/**
 * The lines below the items. An event without the parts (written before checkout, or a placeOrder
 * order) has the total alone; otherwise subtotal, shipping (with the method's name; "free" when it
 * costs nothing and a method is named), the discount with its code (when there is one), the total,
 * and the VAT it includes with its rate ("incl. VAT €6.96 (19 %)"; left out when both are zero).
 */
function totalLines(event: OrderPaidEvent): { lines: TotalLine[]; vat: string | null } {
  const lines: TotalLine[] = [];
  if (event.subtotal) lines.push({ label: 'Subtotal', amount: formatMoney(event.subtotal) });
  if (event.shipping) {
    const method = event.shippingMethod ? oneLine(event.shippingMethod.name).trim() : '';
    lines.push({
      label: method ? `Shipping (${method})` : 'Shipping',
      amount: event.shipping.amount === 0 && event.shippingMethod ? 'free' : formatMoney(event.shipping),
    });
  }
  const code = event.discountCode ? oneLine(event.discountCode).trim() : '';
  if (event.discount && (event.discount.amount !== 0 || code)) {
    lines.push({
      label: code ? `Discount (${code})` : 'Discount',
      amount: formatMoney({ ...event.discount, amount: -Math.abs(event.discount.amount) }),
    });
  }
  lines.push({ label: 'Total', amount: formatMoney(event.total), strong: true });
  const rate = event.vatRateBasisPoints;
  const vat =
    event.vat && (event.vat.amount !== 0 || (rate !== undefined && rate !== 0))
      ? `incl. VAT ${formatMoney(event.vat)}${rate === undefined ? '' : ` (${formatRate(rate)} %)`}`
      : null;
  return { lines, vat };
}

/**
 * An item as the confirmation names it: the product's name, and for a variant with option values
 * its title after a dash ("Shirt — M / Blue"); a product without options (an empty or absent title)
 * by its name alone. On one line (`oneLine`).
 */
export function itemName(item: { name: string; variantTitle?: string | undefined }): string {
  const title = oneLine(item.variantTitle ?? '').trim();
  return title ? `${oneLine(item.name)} — ${title}` : oneLine(item.name);
}

/**
 * The order confirmation email: greeting by name, order number, every item (name with its variant's
 * title, quantity, unit price, line total), the totals (`totalLines`) and, when the order has one,
 * the shipping address. Everything from outside is put on one line in both parts and escaped in the
 * HTML part.
 */
export function renderConfirmationEmail(event: OrderPaidEvent, customerName: string): RenderedEmail {
  const subject = confirmationSubject(event);
  const lines = event.items.map((item) => ({
    name: itemName(item),
    quantity: item.quantity,
    unitPrice: formatMoney(item.unitPrice),
    lineTotal: formatMoney(item.lineTotal),
  }));
  const totals = totalLines(event);
  const address = event.shippingAddress ? addressLines(event.shippingAddress) : [];

  const text = [
    `Hello ${oneLine(customerName)},`,
    '',
    `thank you for your order ${event.orderNumber}. We have received your payment.`,
    '',
    ...lines.map((l) => `  ${l.quantity} x ${l.name} (${l.unitPrice} each): ${l.lineTotal}`),
    '',
    ...totals.lines.map((t) => `${t.label}: ${t.amount}`),
    ...(totals.vat ? [totals.vat] : []),
    ...(address.length > 0 ? ['', 'Shipping to:', ...address.map((l) => `  ${l}`)] : []),
    '',
    'Your shop',
  ].join('\n');

  const rows = lines
    .map(
      (l) =>
        `<tr><td>${escapeHtml(l.name)}</td><td style="text-align:right">${l.quantity}</td>` +
        `<td style="text-align:right">${escapeHtml(l.unitPrice)}</td><td style="text-align:right">${escapeHtml(l.lineTotal)}</td></tr>`,
    )
    .join('\n');
  const strong = (t: string, on = false) => (on ? `<strong>${t}</strong>` : t);
  const foot = [
    ...totals.lines.map(
      (t) =>
        `<tr><td colspan="3">${strong(escapeHtml(t.label), t.strong)}</td>` +
        `<td style="text-align:right">${strong(escapeHtml(t.amount), t.strong)}</td></tr>`,
    ),
    ...(totals.vat
      ? [`<tr><td colspan="4" style="text-align:right">${escapeHtml(totals.vat)}</td></tr>`]
      : []),
  ].join('\n');
  const shipTo =
    address.length > 0
      ? `<p><strong>Shipping to</strong><br>\n${address.map((l) => escapeHtml(l)).join('<br>\n')}</p>\n`
      : '';
  const body = `<!doctype html>
<html><body>
<p>Hello ${html(customerName)},</p>
<p>thank you for your order <strong>${escapeHtml(event.orderNumber)}</strong>. We have received your payment.</p>
<table>
<thead><tr><th style="text-align:left">Item</th><th>Quantity</th><th>Price</th><th>Total</th></tr></thead>
<tbody>
${rows}
</tbody>
<tfoot>${foot}</tfoot>
</table>
${shipTo}<p>Your shop</p>
</body></html>`;
  return { subject, text, html: body };
}

/** The order confirmation SMS (short, no items). */
export function renderConfirmationSms(event: OrderPaidEvent, customerName: string): string {
  return `Hello ${customerName}, your order ${event.orderNumber} (${formatMoney(event.total)}) is paid and confirmed. Thank you!`;
}

export const refundSubject = (event: Pick<OrderRefundedEvent, 'orderNumber'>) =>
  `Your refund for order ${event.orderNumber}`;

/**
 * The refund email: greeting by name, order number and the amount paid back (formatted like the
 * confirmation's total). Nothing else of the event: no payment id, no card, no internal ids.
 */
export function renderRefundEmail(event: OrderRefundedEvent, customerName: string): RenderedEmail {
  const subject = refundSubject(event);
  const amount = formatMoney(event.amount);
  const text = [
    `Hello ${customerName},`,
    '',
    `we have refunded ${amount} for your order ${event.orderNumber}.`,
    'The money goes back to the card you paid with; your bank may take a few days to show it.',
    '',
    `Refunded: ${amount}`,
    '',
    'Your shop',
  ].join('\n');
  const html = `<!doctype html>
<html><body>
<p>Hello ${escapeHtml(customerName)},</p>
<p>we have refunded <strong>${escapeHtml(amount)}</strong> for your order <strong>${escapeHtml(event.orderNumber)}</strong>.
The money goes back to the card you paid with; your bank may take a few days to show it.</p>
<p>Refunded: <strong>${escapeHtml(amount)}</strong></p>
<p>Your shop</p>
</body></html>`;
  return { subject, text, html };
}

/** The refund SMS (short). */
export function renderRefundSms(event: OrderRefundedEvent, customerName: string): string {
  return `Hello ${customerName}, we have refunded ${formatMoney(event.amount)} for your order ${event.orderNumber}.`;
}
