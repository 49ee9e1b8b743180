import type { Charge } from './models';

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

const formatAmount = ({ amount, currency }: Charge['amount']) => `${(amount / 100).toFixed(2)} ${currency}`;

const layout = (title: string, body: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem; }
button { font-size: 1rem; padding: 0.6rem 1.2rem; margin-right: 0.5rem; }
button:focus-visible { outline: 3px solid #1a5fb4; outline-offset: 2px; }
</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;

/**
 * The issuer's challenge page (3-D Secure, simulated): the charge, and two submit buttons of one
 * form, reachable with Tab and labelled by their text and a description.
 */
export function challengePage(charge: Charge): string {
  const action = `/v1/authentications/${encodeURIComponent(charge.id)}`;
  return layout(
    'Authenticate your payment',
    `<h1>Authenticate your payment</h1>
<p id="summary">Your bank asks you to confirm a payment of <strong>${escapeHtml(formatAmount(charge.amount))}</strong>
with your ${escapeHtml(charge.card.brand)} card ending in ${escapeHtml(charge.card.last4)}.</p>
<p>This is the test payment provider: no bank is involved.</p>
<form method="post" action="${escapeHtml(action)}" aria-describedby="summary">
<button type="submit" name="result" value="succeed" aria-label="Authenticate the payment">Authenticate</button>
<button type="submit" name="result" value="fail" aria-label="Fail the authentication">Fail</button>
</form>`,
  );
}

/** What the browser sees after it posted its answer, or for a charge that no longer waits. */
export function resultPage(charge: Charge, posted: boolean): string {
  const outcome =
    charge.status === 'succeeded'
      ? 'The payment was authenticated.'
      : charge.status === 'requires_action'
        ? 'The payment still awaits authentication.'
        : 'The payment was not authenticated.';
  const heading = posted ? 'Thank you' : 'This authentication is no longer pending';
  return layout(
    heading,
    `<h1>${escapeHtml(heading)}</h1>
<p role="status">${escapeHtml(outcome)} You may close this window and return to the shop.</p>`,
  );
}

export function notFoundPage(): string {
  return layout('Not found', '<h1>Not found</h1><p>There is no such authentication.</p>');
}
