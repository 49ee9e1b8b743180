import type { Money } from '@shop/graphql';
import type { OrderPaidEvent, OrderRefundedEvent } from '@shop/messaging';

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

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export const confirmationSubject = (event: Pick<OrderPaidEvent, 'orderNumber'>) =>
  `Your order ${event.orderNumber} is confirmed`;

/** The order confirmation email: greeting by name, order number, items with line totals, total. */
export function renderConfirmationEmail(event: OrderPaidEvent, customerName: string): RenderedEmail {
  const subject = confirmationSubject(event);
  const total = formatMoney(event.total);
  const lines = event.items.map((item) => ({
    name: item.name,
    quantity: item.quantity,
    unitPrice: formatMoney(item.unitPrice),
    lineTotal: formatMoney(item.lineTotal),
  }));

  const text = [
    `Hello ${customerName},`,
    '',
    `thank you for your order ${event.orderNumber}. We have received your payment.`,
    '',
    ...lines.map((l) => `  ${l.quantity} x ${l.name} (${l.unitPrice} each): ${l.lineTotal}`),
    '',
    `Total: ${total}`,
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
  const html = `<!doctype html>
<html><body>
<p>Hello ${escapeHtml(customerName)},</p>
<p>thank you for your order <strong>${escapeHtml(event.orderNumber)}</strong>. We have received your payment.</p>
<table>
<thead><tr><th style="text-align:left">Item</th><th>Quantity</th><th>Price</th><th>Total</th></tr></thead>
<tbody>
${rows}
</tbody>
<tfoot><tr><td colspan="3"><strong>Total</strong></td><td style="text-align:right"><strong>${escapeHtml(total)}</strong></td></tr></tfoot>
</table>
<p>Your shop</p>
</body></html>`;
  return { subject, text, html };
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
