/**
 * The browser's side of the test PSP (docs/payment-provider.md): tokenise a card as a PSP's hosted
 * fields do (POST /v1/tokens from the storefront's origin, never through the graph), complete or fail
 * a 3-D Secure challenge as the customer would on the issuer's page, and read the processor's ledger
 * (the PSP's side of the books) as tests and operators do. The one place every suite takes its test
 * cards and tokens from.
 */

/** The test cards of the PSP (docs/payment-provider.md). */
export const TEST_CARDS = {
  visa: '4242424242424242',
  mastercard: '5555555555554444',
  amex: '378282246310005',
  threeDSecure: '4000002500003155',
  declined: '4000000000000002',
  insufficientFunds: '4000000000009995',
  expiredCard: '4000000000000069',
  incorrectCvc: '4000000000000127',
  processorDown: '4000000000000119',
} as const;

/** What the customer types into the PSP's card fields. */
export interface CardFields {
  number: string;
  expMonth: number;
  expYear: number;
  cvc: string;
  holderName: string;
}

/** The origin the storefront's page runs on: the PSP's public endpoints allow any origin (CORS). */
export const STOREFRONT_ORIGIN = 'https://shop.example.test';

/** A test card with a future expiry and a CVC of the right length (4 digits for American Express). */
export function testCard(number: string = TEST_CARDS.visa, overrides: Partial<CardFields> = {}): CardFields {
  return {
    number,
    expMonth: 12,
    expYear: new Date().getUTCFullYear() + 2,
    cvc: /^3[47]/.test(number) ? '1234' : '123',
    holderName: 'Ada Lovelace',
    ...overrides,
  };
}

export interface TokenResponse {
  status: number;
  /** The PSP's answer: 201 { id, card, expiresAt }, or { error: { type, field, reason, message } }. */
  body: {
    id?: string;
    card?: { brand: string; last4: string; expMonth: number; expYear: number };
    expiresAt?: string;
    error?: { type: string; field?: string; reason?: string; message: string };
  };
  /** Access-Control-Allow-Origin of the answer. */
  allowOrigin: string | null;
}

/** POST /v1/tokens as the storefront's page does: the whole answer, whatever it is. */
export async function requestToken(
  pspUrl: string,
  card: unknown,
  origin: string = STOREFRONT_ORIGIN,
): Promise<TokenResponse> {
  const res = await fetch(new URL('/v1/tokens', pspUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin },
    body: JSON.stringify({ card }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let body: TokenResponse['body'];
  try {
    body = JSON.parse(text) as TokenResponse['body'];
  } catch {
    body = { error: { type: 'not_json', message: `HTTP ${res.status}` } };
  }
  return { status: res.status, body, allowOrigin: res.headers.get('access-control-allow-origin') };
}

/** Tokenises a card at the PSP: the single-use token payOrder takes. Throws unless the PSP answers 201. */
export async function tokenize(pspUrl: string, card: CardFields = testCard()): Promise<string> {
  const res = await requestToken(pspUrl, card);
  if (res.status !== 201 || typeof res.body.id !== 'string')
    // The PSP's error names the field and the reason, never the number.
    throw new Error(`tokenize: HTTP ${res.status} ${JSON.stringify(res.body.error ?? {})}`);
  return res.body.id;
}

/** Tokenises the test card with this number (defaults for the rest). */
export const tokenFor = (pspUrl: string, number: string = TEST_CARDS.visa, holderName?: string) =>
  tokenize(pspUrl, testCard(number, holderName ? { holderName } : {}));

/**
 * The customer on the issuer's challenge page: "Authenticate" (succeed) or "Fail", posted to the
 * action's url from the page's origin. Answers the HTTP status (200; 409 when expired or final).
 */
export async function authenticate(actionUrl: string, result: 'succeed' | 'fail'): Promise<number> {
  const res = await fetch(actionUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: new URL(actionUrl).origin },
    body: JSON.stringify({ result }),
    signal: AbortSignal.timeout(10_000),
  });
  await res.arrayBuffer();
  return res.status;
}

/** One charge of the PSP's ledger (no card data beyond brand, last4 and expiry). */
export interface LedgerCharge {
  id: string;
  status: string;
  paymentId: string;
  orderId: string;
  amount: { amount: number; currency: string };
  card?: { brand: string; last4: string };
  declineReason?: string | null;
}

/** One refund of the PSP's ledger. */
export interface LedgerRefund {
  id: string;
  charge: string;
  amount: { amount: number; currency: string };
  paymentId?: string;
}

export interface Ledger {
  charges: LedgerCharge[];
  refunds: LedgerRefund[];
}

/** GET /v1/ledger with payments' key: the processor's side of the books. */
export async function pspLedger(pspUrl: string, secretKey: string): Promise<Ledger> {
  const res = await fetch(new URL('/v1/ledger', pspUrl), {
    headers: { authorization: `Bearer ${secretKey}` },
    signal: AbortSignal.timeout(10_000),
  });
  if (res.status !== 200) throw new Error(`ledger: HTTP ${res.status}`);
  return (await res.json()) as Ledger;
}

/** The money the processor holds for successful charges, minus what it gave back, per order id. */
export function ledgerNetByOrder(ledger: Ledger): Map<string, number> {
  const net = new Map<string, number>();
  const orderOf = new Map(ledger.charges.map((c) => [c.id, c.orderId]));
  for (const c of ledger.charges)
    if (c.status === 'succeeded') net.set(c.orderId, (net.get(c.orderId) ?? 0) + c.amount.amount);
  for (const r of ledger.refunds) {
    const orderId = orderOf.get(r.charge);
    if (orderId) net.set(orderId, (net.get(orderId) ?? 0) - r.amount.amount);
  }
  return net;
}
