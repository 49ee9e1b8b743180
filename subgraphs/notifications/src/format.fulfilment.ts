import type { OrderDeliveredEvent, OrderFulfilledEvent } from '@shop/messaging';
import { escapeHtml, html, oneLine, type RenderedEmail } from './format';

/**
 * Pure formatting of the order's life after payment: the "shipped" email and SMS (orders.fulfilled)
 * with the carrier, the tracking number and the tracking link, and the "delivered" ones
 * (orders.delivered). No I/O.
 */

/** How the carriers orders accepts (fulfillOrder) are written for customers; any other as given. */
const CARRIER_NAMES: Readonly<Record<string, string>> = {
  DHL: 'DHL',
  DPD: 'DPD',
  UPS: 'UPS',
  FEDEX: 'FedEx',
  USPS: 'USPS',
  ROYAL_MAIL: 'Royal Mail',
  POSTNL: 'PostNL',
};

export const carrierName = (carrier: string) => CARRIER_NAMES[carrier] ?? oneLine(carrier).trim();

/** Longer than any carrier's tracking page URL; a longer one is not linked. */
export const MAX_TRACKING_URL_LENGTH = 2048;

/**
 * The tracking link to put in a message, or null when the URL must not be linked: only an absolute
 * URL written `https://host...` (any letter case of the scheme), without user name or password,
 * whitespace or control characters, at most MAX_TRACKING_URL_LENGTH characters. The answer is the URL as the WHATWG parser serialises it
 * (percent-encoded), so it can go into an href once HTML-escaped.
 */
export function trackingLink(url: string): string | null {
  if (url.length === 0 || url.length > MAX_TRACKING_URL_LENGTH) return null;
  if (/[\s\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u.test(url)) return null;
  // Written out in full: the parser would also take "https:/x" or "https:\\x" as https://x/.
  if (!/^https:\/\/[^/\\]/i.test(url)) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'https:' || parsed.hostname === '' || parsed.username || parsed.password)
    return null;
  return parsed.href;
}

export const shippedSubject = (event: Pick<OrderFulfilledEvent, 'orderNumber'>) =>
  `Your order ${event.orderNumber} has shipped`;

/**
 * The "shipped" email: greeting by name, order number, carrier, tracking number and, when `link`
 * is given (trackingLink of the event's URL), the tracking link. No internal ids.
 */
export function renderShippedEmail(
  event: OrderFulfilledEvent,
  customerName: string,
  link: string | null,
): RenderedEmail {
  const subject = shippedSubject(event);
  const carrier = carrierName(event.carrier);
  const tracking = oneLine(event.trackingNumber).trim();
  const text = [
    `Hello ${oneLine(customerName)},`,
    '',
    `your order ${event.orderNumber} is on its way.`,
    '',
    `Carrier: ${carrier}`,
    `Tracking number: ${tracking}`,
    ...(link ? [`Track your parcel: ${link}`] : []),
    '',
    'Your shop',
  ].join('\n');
  const trackLine = link
    ? `<p><a href="${escapeHtml(link)}">Track your parcel</a> (${escapeHtml(link)})</p>\n`
    : '';
  const body = `<!doctype html>
<html><body>
<p>Hello ${html(customerName)},</p>
<p>your order <strong>${escapeHtml(event.orderNumber)}</strong> is on its way.</p>
<p>Carrier: <strong>${escapeHtml(carrier)}</strong><br>
Tracking number: <strong>${escapeHtml(tracking)}</strong></p>
${trackLine}<p>Your shop</p>
</body></html>`;
  return { subject, text, html: body };
}

/** The "shipped" SMS: order number, carrier, tracking number and the link when there is one. */
export function renderShippedSms(
  event: OrderFulfilledEvent,
  customerName: string,
  link: string | null,
): string {
  const tracking = oneLine(event.trackingNumber).trim();
  return (
    `Hello ${oneLine(customerName)}, your order ${event.orderNumber} has shipped with ` +
    `${carrierName(event.carrier)}, tracking number ${tracking}${link ? `: ${link}` : '.'}`
  );
}

export const deliveredSubject = (event: Pick<OrderDeliveredEvent, 'orderNumber'>) =>
  `Your order ${event.orderNumber} has been delivered`;

/** The "delivered" email: greeting by name and the order number. */
export function renderDeliveredEmail(event: OrderDeliveredEvent, customerName: string): RenderedEmail {
  const subject = deliveredSubject(event);
  const text = [
    `Hello ${oneLine(customerName)},`,
    '',
    `your order ${event.orderNumber} has been delivered. We hope you enjoy it!`,
    '',
    'Your shop',
  ].join('\n');
  const body = `<!doctype html>
<html><body>
<p>Hello ${html(customerName)},</p>
<p>your order <strong>${escapeHtml(event.orderNumber)}</strong> has been delivered. We hope you enjoy it!</p>
<p>Your shop</p>
</body></html>`;
  return { subject, text, html: body };
}

/** The "delivered" SMS. */
export function renderDeliveredSms(event: OrderDeliveredEvent, customerName: string): string {
  return `Hello ${oneLine(customerName)}, your order ${event.orderNumber} has been delivered.`;
}
