/**
 * `npm run demo`: the shop's story against the running graph (start it with `npm start`), step by
 * step: what was asked, what came back, how long it took; it ends with the email that arrived.
 * GATEWAY_URL and MAILPIT_API_URL point it elsewhere (Mailpit through the helpers of @shop/testing).
 */
import { randomUUID } from 'node:crypto';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { getOperationAST } from 'graphql';
import { mailpit, waitFor } from '@shop/testing';
import { bearer, execute } from './client';
import {
  CataloguePageDocument,
  LoginDocument,
  MyOrdersDocument,
  OrderStatusDocument,
  PayOrderDocument,
  PlaceOrderDocument,
  RegisterDocument,
} from './__generated__/graphql';

const gateway = process.env.GATEWAY_URL ?? 'http://localhost:4000/graphql';
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

async function main() {
  console.log(`${bold('Shop supergraph demo')} against ${gateway}`);

  const page = await step('Browse the catalogue', CataloguePageDocument, {
    first: 3,
    filter: { inStock: true },
  });
  const [first, second] = page.products.edges.map((e) => e.node);
  if (!first || !second) throw new Error('the catalogue is empty: is the graph running with demo data?');

  const email = `demo-${randomUUID().slice(0, 8)}@example.com`;
  const password = 'demo-password-123';
  await step('Register a shopper', RegisterDocument, {
    input: { email, password, name: 'Ada Lovelace', phone: '+4915112345678' },
  });
  const login = await step('Log in', LoginDocument, { input: { email, password } });
  if (login.login.__typename !== 'AuthPayload') throw new Error('login refused');
  const auth = bearer(login.login.token);

  const placed = await step(
    'Place an order',
    PlaceOrderDocument,
    {
      input: {
        idempotencyKey: randomUUID(),
        items: [
          { productId: first.id, quantity: 2 },
          { productId: second.id, quantity: 1 },
        ],
      },
    },
    auth,
  );
  if (placed.placeOrder.__typename !== 'Order') throw new Error('the order was refused');
  const order = placed.placeOrder;

  await step(
    'Pay with the test card 4242 4242 4242 4242',
    PayOrderDocument,
    {
      input: {
        orderId: order.id,
        idempotencyKey: randomUUID(),
        card: {
          number: '4242424242424242',
          expMonth: 12,
          expYear: new Date().getFullYear() + 2,
          cvc: '123',
          holderName: 'Ada Lovelace',
        },
      },
    },
    auth,
  );

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

  await step('Everything under me', MyOrdersDocument, {}, auth);

  const mail = await mailpit.message(messages[0]!.ID);
  console.log(`\n${bold('The email that arrived')} ${dim(`(also at http://localhost:8025/)`)}`);
  console.log(
    indent(
      `From: ${mail.From.Address}\nTo: ${email}\nSubject: ${mail.Subject}\n\n${mail.Text.replace(/\r/g, '')
        .replace(/[ \t]+$/gm, '')
        .trim()}`,
    ),
  );
  console.log(`\n${bold('Done.')} Order ${order.number} is paid and confirmed.`);
}

main().catch((error: unknown) => {
  console.error(`\nDemo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
