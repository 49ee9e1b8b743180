/**
 * `npm run demo`: the shop's story against the running graph (start it with `npm start`), step by
 * step: what was asked, what came back, how long it took. The shopper fills an anonymous cart, logs in
 * and merges it, saves an address, applies the seeded code WELCOME10, checks out, tokenises the card
 * at the test PSP (as its hosted fields would), pays with the token (the default card asks for 3-D
 * Secure: the shopper authenticates, the PSP's webhook settles it) and gets the confirmation email; the demo admin (ADMIN_EMAIL / ADMIN_PASSWORD) then ships and delivers the order.
 * GATEWAY_URL, PSP_URL and MAILPIT_API_URL point it elsewhere (Mailpit through the helpers of @shop/testing).
 */
import { randomUUID } from 'node:crypto';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { getOperationAST } from 'graphql';
import { mailpit, waitFor } from '@shop/testing';
import { bearer, execute } from './client';
import { authenticate, requestToken, TEST_CARDS, testCard } from './psp';
import {
  AddToCartDocument,
  ApplyDiscountCodeDocument,
  CataloguePageDocument,
  CheckoutDocument,
  CreateAddressDocument,
  FulfillOrderDocument,
  MarkOrderDeliveredDocument,
  MergeCartDocument,
  OrderDetailsDocument,
  ShippingMethodsDocument,
  LoginDocument,
  MyOrdersDocument,
  OrderStatusDocument,
  PayOrderDocument,
  RegisterDocument,
} from './__generated__/graphql';

const gateway = process.env.GATEWAY_URL ?? 'http://localhost:4000/graphql';
/** The test PSP as the browser reaches it (its PUBLIC_URL under `npm start`). */
const psp = process.env.PSP_URL ?? 'http://localhost:4010';
let stepNo = 0;

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
const indent = (s: string) => s.replace(/^/gm, '    ');
/** Never print secrets, even in a demo. */
const hide = (key: string, v: unknown) =>
  ['password', 'token', 'cvc'].includes(key)
    ? '•••'
    : key === 'number' && typeof v === 'string' && v.length > 12
      ? `•••• ${v.slice(-4)}`
      : key === 'cursor' || key === 'endCursor'
        ? undefined
        : v;

/** JSON, with every object or array that fits on one line printed on one line. */
function pretty(value: unknown, depth = 0): string {
  const flat = JSON.stringify(value, hide);
  if (flat === undefined) return 'null';
  if (flat.length + depth * 2 <= 100 || value === null || typeof value !== 'object') return flat;
  const pad = '  '.repeat(depth + 1);
  const close = '  '.repeat(depth);
  if (Array.isArray(value))
    return `[\n${value.map((v) => pad + pretty(v, depth + 1)).join(',\n')}\n${close}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => [k, hide(k, v)] as const)
    .filter(([, v]) => v !== undefined);
  return `{\n${entries.map(([k, v]) => `${pad}${JSON.stringify(k)}: ${pretty(v, depth + 1)}`).join(',\n')}\n${close}}`;
}
const masked = (value: unknown) => pretty(value);

async function step<TData, TVariables>(
  title: string,
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  headers: Record<string, string> = {},
): Promise<TData> {
  stepNo += 1;
  const name = getOperationAST(document)?.name?.value ?? 'operation';
  console.log(`\n${bold(`${stepNo}. ${title}`)}`);
  console.log(dim(`  → ${name}\n${indent(masked(variables))}`));
  const started = performance.now();
  const result = await execute(gateway, document, variables, headers);
  const ms = (performance.now() - started).toFixed(0);
  if (result.errors?.length || !result.data) {
    console.log(indent(masked(result)));
    throw new Error(`${title} failed (HTTP ${result.status})`);
  }
  console.log(`  ← ${dim(`${ms} ms`)}\n${indent(masked(result.data))}`);
  return result.data;
}

async function poll<T>(what: string, fn: () => Promise<T | null>, timeoutMs = 15_000): Promise<T> {
  const started = performance.now();
  const value = await waitFor(fn, { timeoutMs, intervalMs: 200 }).catch(() => {
    throw new Error(`timed out waiting for ${what}`);
  });
  console.log(dim(`  (${what} after ${(performance.now() - started).toFixed(0)} ms)`));
  return value;
}

/** The demo admin of `npm start` (scripts/start.ts); ADMIN_EMAIL / ADMIN_PASSWORD point it elsewhere. */
const adminLogin = {
  email: process.env.ADMIN_EMAIL ?? 'admin@shop.local',
  password: process.env.ADMIN_PASSWORD ?? 'admin-password-123',
};
/** The code `npm start` seeds (orders' SEED_DEMO_DATA); DISCOUNT_CODE names another. */
const discountCode = process.env.DISCOUNT_CODE ?? 'WELCOME10';

async function main() {
  console.log(`${bold('Shop supergraph demo')} against ${gateway}`);

  const page = await step('Browse the catalogue', CataloguePageDocument, {
    first: 3,
    filter: { inStock: true },
  });
  const [first, second] = page.products.edges.map((e) => e.node);
  if (!first || !second) throw new Error('the catalogue is empty: is the graph running with demo data?');
  // A cart line is one variant: the first of each product that can be ordered.
  const variantOf = (product: typeof first) => {
    const variant = product.variants.find((v) => v.inStock);
    if (!variant) throw new Error(`${product.name} lists no variant in stock`);
    return variant.id;
  };

  const added = await step('Put a product in a new anonymous cart', AddToCartDocument, {
    input: { productId: first.id, variantId: variantOf(first), quantity: 2 },
  });
  if (added.addToCart.__typename !== 'Cart') throw new Error('addToCart was refused');
  const anonymousCart = added.addToCart.id;
  await step('And another one (the cart id is the only key to an anonymous cart)', AddToCartDocument, {
    input: { cartId: anonymousCart, productId: second.id, variantId: variantOf(second), quantity: 1 },
  });

  const email = `demo-${randomUUID().slice(0, 8)}@example.com`;
  const password = 'demo-password-123';
  await step('Register a shopper', RegisterDocument, {
    input: { email, password, name: 'Ada Lovelace', phone: '+4915112345678' },
  });
  const login = await step('Log in', LoginDocument, { input: { email, password } });
  if (login.login.__typename !== 'AuthPayload') throw new Error('login refused');
  const auth = bearer(login.login.token);

  const merged = await step(
    "Merge the anonymous cart into the customer's",
    MergeCartDocument,
    { cartId: anonymousCart },
    auth,
  );
  if (merged.mergeCart.__typename !== 'Cart') throw new Error('mergeCart was refused');
  const cartId = merged.mergeCart.id;

  const address = await step(
    'Save a shipping address in the address book',
    CreateAddressDocument,
    {
      input: {
        name: 'Ada Lovelace',
        line1: 'Invalidenstraße 117',
        postalCode: '10115',
        city: 'Berlin',
        country: 'DE',
      },
    },
    auth,
  );
  if (address.createAddress.__typename !== 'Address') throw new Error('the address was refused');

  const methods = await step('Shipping methods to Germany', ShippingMethodsDocument, { country: 'DE' });
  const method = methods.shippingMethods[0];
  if (!method) throw new Error('no shipping method reaches Germany');

  const applied = await step(
    `Apply the discount code ${discountCode}`,
    ApplyDiscountCodeDocument,
    { input: { cartId, code: discountCode } },
    auth,
  );
  if (applied.applyDiscountCode.__typename !== 'Cart')
    throw new Error(
      `the code was refused: ${applied.applyDiscountCode.__typename} (is the graph running with demo data?)`,
    );

  const checkout = await step(
    'Check out: stock reserved, address snapshotted, shipping and VAT priced, the code used',
    CheckoutDocument,
    {
      input: {
        cartId,
        addressId: address.createAddress.id,
        shippingMethodId: method.id,
        idempotencyKey: randomUUID(),
      },
    },
    auth,
  );
  if (checkout.checkout.__typename !== 'Order')
    throw new Error(`checkout was refused: ${checkout.checkout.__typename}`);
  const order = checkout.checkout;

  // The card form posts the card to the PSP (its hosted fields), never to the graph: the graph gets
  // a single-use token. The default test card asks for 3-D Secure; DEMO_CARD=4242424242424242 skips it.
  stepNo += 1;
  const cardNumber = (process.env.DEMO_CARD ?? TEST_CARDS.threeDSecure).replace(/\s/g, '');
  const card = testCard(cardNumber, { holderName: 'Ada Lovelace' });
  console.log(`\n${bold(`${stepNo}. The browser tokenises the card at the PSP (${psp}), not at the graph`)}`);
  console.log(dim(`  → POST /v1/tokens\n${indent(masked({ card }))}`));
  const tokenised = await requestToken(psp, card);
  if (tokenised.status !== 201 || !tokenised.body.id)
    throw new Error(`the PSP refused the card: ${JSON.stringify(tokenised.body.error ?? tokenised.status)}`);
  console.log(`  ← ${dim(`HTTP ${tokenised.status}`)}\n${indent(masked(tokenised.body))}`);

  const paid = await step(
    `Pay with the token of the test card •••• ${cardNumber.slice(-4)}`,
    PayOrderDocument,
    { input: { orderId: order.id, idempotencyKey: randomUUID(), paymentMethodToken: tokenised.body.id } },
    auth,
  );
  if (paid.payOrder.__typename === 'PaymentRequiresAction') {
    stepNo += 1;
    const { url } = paid.payOrder.action;
    console.log(
      `\n${bold(`${stepNo}. The issuer asks for 3-D Secure: the shopper authenticates at ${url}`)}`,
    );
    const status = await authenticate(url, 'succeed');
    if (status !== 200) throw new Error(`the authentication page answered HTTP ${status}`);
    console.log(dim('  (the PSP tells payments by a signed webhook; the order is PAID only then)'));
  } else if (paid.payOrder.__typename !== 'PaymentSucceeded')
    throw new Error(`payOrder answered ${paid.payOrder.__typename}`);

  stepNo += 1;
  console.log(`\n${bold(`${stepNo}. Wait for the order to become PAID (payments → NATS → orders)`)}`);
  await poll('PAID', async () => {
    const r = await execute(gateway, OrderStatusDocument, { id: order.id }, auth);
    return r.data?.order?.status === 'PAID' ? r.data.order : null;
  });

  stepNo += 1;
  console.log(
    `\n${bold(`${stepNo}. Wait for the confirmation email (orders → NATS → notifications → SMTP)`)}`,
  );
  const messages = await poll('the email', async () => {
    const found = await mailpit.messagesTo(email);
    return found.length ? found : null;
  });
  const mail = await mailpit.message(messages[0]!.ID);
  console.log(`\n${bold('The email that arrived')} ${dim(`(also at http://localhost:8025/)`)}`);
  console.log(
    indent(
      `From: ${mail.From.Address}\nTo: ${email}\nSubject: ${mail.Subject}\n\n${mail.Text.replace(/\r/g, '')
        .replace(/[ \t]+$/gm, '')
        .trim()}`,
    ),
  );

  const admin = await step('The admin logs in', LoginDocument, { input: adminLogin });
  if (admin.login.__typename !== 'AuthPayload')
    throw new Error('admin login refused (ADMIN_EMAIL / ADMIN_PASSWORD?)');
  const adminAuth = bearer(admin.login.token);
  await step(
    'The admin hands the order to DHL (the customer gets a shipped email with the tracking link)',
    FulfillOrderDocument,
    { input: { orderId: order.id, carrier: 'DHL', trackingNumber: 'JD014600003100' } },
    adminAuth,
  );
  await poll('the shipped email', async () => {
    const found = await mailpit.messagesTo(email);
    return found.length >= 2 ? found : null;
  });
  await step('The parcel arrives', MarkOrderDeliveredDocument, { id: order.id }, adminAuth);

  await step(
    'The order as the customer sees it, with its history',
    OrderDetailsDocument,
    { id: order.id },
    auth,
  );
  await step('Everything under me', MyOrdersDocument, {}, auth);
  console.log(`\n${bold('Done.')} Order ${order.number} was paid, shipped and delivered.`);
}

main().catch((error: unknown) => {
  console.error(`\nDemo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
