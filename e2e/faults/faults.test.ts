/**
 * Faults during a checkout load. Every subgraph runs as its own process (cluster.ts); while shoppers
 * place and pay orders through the gateway, each subgraph in turn is SIGKILLed (down 2 s, then
 * restarted) and SIGSTOPped (frozen 2 s, then continued). Clients may see errors — GraphQL or HTTP
 * errors, never wrong data. Once the system is quiet (outboxes drained, unpaid orders expired):
 *   - every order is PAID with exactly one successful payment, exactly one confirmation email and
 *     its reservation SOLD, or CANCELLED with no successful payment and its reservation released;
 *   - for every product, available + reserved-unpaid + sold = starting stock.
 * Then nothing of what the shoppers typed in (passwords, card numbers, CVCs) nor any token is found
 * in a log file of the run (the router's, payments' and the PSP's included) or in a datastore: the
 * cards went to the PSP only, the graph saw single-use payment method tokens.
 */
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { SUBGRAPH_NAMES } from '@shop/config';
import { mailpit } from '@shop/testing';
import { bearer, data } from '../client';
import { OrderAuditDocument } from '../__generated__/graphql';
import { audit } from './audit';
import { createCluster, type Cluster } from './cluster';
import { CheckoutLoad, CARDS, injectFaults, ORDER_TTL_SECONDS, progress, SHOPPERS } from './load';
import { dumpEverything, findSecrets } from './stores';

let cluster: Cluster;
let load: CheckoutLoad;

beforeAll(async () => {
  cluster = await createCluster({ orderTtlSeconds: ORDER_TTL_SECONDS });
  load = new CheckoutLoad(cluster);
  await load.setUp();
}, 150_000);

afterAll(async () => {
  await cluster?.stop();
  // Our own confirmation emails only (Mailpit is shared).
  const ids: string[] = [];
  for (const s of load?.shoppers ?? [])
    ids.push(...(await mailpit.messagesTo(s.email).catch(() => [])).map((m) => m.ID));
  if (ids.length) {
    await fetch(`${process.env.MAILPIT_API_URL ?? 'http://127.0.0.1:8025'}/api/v1/messages`, {
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ IDs: ids }),
    }).catch(() => undefined);
  }
}, 60_000);

let figures: Record<string, unknown> = {};

it('a checkout load survives SIGKILL and SIGSTOP of every subgraph: nothing lost, charged twice or drifted', async () => {
  const started = Date.now();
  const shopping = Promise.all(load.shoppers.map((s, i) => load.shop(s, i)));
  await injectFaults(cluster).finally(() => {
    load.faultsDone = true;
  });
  progress(cluster, 'faults done');
  await shopping;
  progress(cluster, 'load done');
  const loadMs = Date.now() - started;

  // Quiescence: unpaid orders expire (TTL 5 s), outboxes drain, consumers catch up (bounded).
  let result = await audit(cluster, load);
  progress(cluster, `audit: ${result.violations.length} violations`);
  // up to a minute: a reservation left PENDING by a killed products is released once 30 s stale
  const deadline = Date.now() + 60_000;
  while (result.violations.length > 0 && Date.now() < deadline) {
    await sleep(1_000);
    result = await audit(cluster, load);
    progress(cluster, `audit: ${result.violations.length} violations, first: ${result.violations[0] ?? ''}`);
  }

  // The owner sees the same through the gateway: order status and its payment.
  const shopperOf = new Map(load.placed.filter((c) => c.id).map((c) => [c.id!, c.shopper]));
  for (const order of result.orders) {
    const shopper = load.shoppers.find((s) => shopperOf.get(order.id) === s) ?? null;
    if (!shopper) continue; // placed by a retry whose answer the client never saw; checked in the stores
    const seen = (await data(cluster.url, OrderAuditDocument, { id: order.id }, bearer(shopper.token))).order;
    if (seen?.status !== order.status)
      result.violations.push(`${order.number}: gateway says ${seen?.status}`);
    if (order.status === 'PAID' && seen?.payment?.status !== 'SUCCEEDED')
      result.violations.push(`${order.number} PAID, gateway payment ${seen?.payment?.status}`);
    if (order.status === 'CANCELLED' && seen?.payment?.status === 'SUCCEEDED')
      result.violations.push(`${order.number} CANCELLED, gateway payment SUCCEEDED`);
  }

  const paid = result.orders.filter((o) => o.status === 'PAID').length;
  const cancelled = result.orders.filter((o) => o.status === 'CANCELLED').length;
  figures = {
    shoppers: SHOPPERS,
    ordersInStore: result.orders.length,
    paid,
    cancelled,
    clientPlaced: load.placed.filter((c) => c.id).length,
    clientGaveUp: load.placed.filter((c) => !c.id).length,
    faults: cluster.faults.map((f) => `${f.kind}:${f.name}`),
    errorsSeenByClients: load.stats.toJSON(),
    duplicateEmailsSameMessageId: [...result.rawMails].filter(
      ([n, count]) => count > (result.mails.get(n)?.size ?? 0),
    ).length,
    violations: result.violations,
    wrongData: load.wrongData,
    loadMs,
    totalMs: Date.now() - started,
  };
  // One line of figures, written where the report can find it (never to the console in a test).
  writeFileSync(`${cluster.logDir}/../${cluster.label}.figures.json`, JSON.stringify(figures, null, 2));

  expect(cluster.faults).toHaveLength(2 * SUBGRAPH_NAMES.length);
  expect(result.orders.length).toBeGreaterThanOrEqual(SHOPPERS);
  expect(paid).toBeGreaterThan(0);
  expect(cancelled).toBeGreaterThan(0);
  // Clients saw errors, never transport failures (the gateway always answers) and never wrong data.
  expect(load.stats.count((k) => k.endsWith('transport-error'))).toBe(0);
  expect(load.wrongData).toEqual([]);
  expect(result.violations).toEqual([]);
}, 420_000);

it('no password, card number, CVC or token in any log file or datastore of the run', async () => {
  const blobs = await dumpEverything(cluster);
  const everything = blobs.map((b) => b.text).join('\n');
  // The scan sees real data in every store (so an empty scan cannot pass), and the logs of the
  // processes a card could pass through: the router, payments and the PSP.
  for (const prefix of [
    'log:',
    'postgres:',
    'mysql:',
    'mongo:',
    'redis:',
    'nats:',
    'psp:ledger (HTTP 200)',
  ]) {
    expect(blobs.filter((b) => b.source.startsWith(prefix)).length).toBeGreaterThan(0);
  }
  for (const name of ['router', 'payments', 'psp'])
    expect(blobs.some((b) => b.source.startsWith(`log:${name}`) && b.text.length > 0)).toBe(true);
  expect(everything).toContain(load.shoppers[0]!.email);
  expect(everything).toContain(load.products[0]!.sku);
  const paidOrder = load.placed.find((c) => c.paid)!.id!;
  expect(everything).toContain(paidOrder);
  // The PSP's ledger is in the scan, with the last four digits of a card it charged (and no more).
  expect(blobs.find((b) => b.source.startsWith('psp:ledger'))!.text).toContain(paidOrder);

  const needles = [
    ...load.shoppers.map((s) => ({ label: 'password', pattern: s.password })),
    { label: 'admin password', pattern: cluster.admin.password },
    ...CARDS.flatMap((c) => [
      { label: 'card number', pattern: c.number },
      // The number with the spaces or dashes a form or a log formatter may put in.
      { label: 'card number (grouped)', pattern: new RegExp(c.number.split('').join('[ -]?')) },
      // A 3-digit CVC alone is too common in logs (durations, counts): quoted, or after its name.
      c.cvc.length === 4
        ? { label: 'cvc', pattern: new RegExp(`(?<![0-9A-Za-z])${c.cvc}(?![0-9A-Za-z])`) }
        : { label: 'cvc', pattern: new RegExp(`["'=:]\\s*${c.cvc}(?![0-9])|"${c.cvc}"`) },
    ]),
    { label: 'cvc field', pattern: /"?cvc"?\s*[:=]\s*"?\d/i },
    ...[...load.tokens].map((t) => ({ label: 'token', pattern: t })),
    { label: 'any JWT', pattern: /eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{10,}/ },
  ];
  // The scan can fail: each kind of secret planted in a string is found.
  const planted = [
    `x ${load.shoppers[0]!.password} y`,
    `{"msg":"charge","number":"${CARDS[0].number}"}`,
    `card ${CARDS[1].number.replace(/(\d{4})(?=\d)/g, '$1 ')} declined`,
    `{"card":{"cvc":"${CARDS[0].cvc}"}}`,
    `cvc=${CARDS[1].cvc}`,
    `security code ${CARDS[2].cvc} given`,
  ];
  for (const text of planted)
    expect(findSecrets([{ source: 'control', text }], needles).length).toBeGreaterThan(0);
  expect(findSecrets([{ source: 'control', text: 'took 913 ms, 482 rows' }], needles)).toEqual([]);
  expect(findSecrets(blobs, needles)).toEqual([]);
  // Payment method tokens are credentials too (single use, 15 minutes): the graph neither logs nor
  // stores them (the PSP's own log names the tokens it issued, as a provider's dashboard does).
  const tokens = [...load.paymentTokens].map((t) => ({ label: 'payment method token', pattern: t }));
  expect(tokens.length).toBeGreaterThan(0);
  expect(
    findSecrets([{ source: 'control', text: `{"token":"${tokens[0]!.pattern}"}` }], tokens),
  ).toHaveLength(1);
  expect(
    findSecrets(
      blobs.filter((b) => !b.source.startsWith('log:psp')),
      tokens,
    ),
  ).toEqual([]);
  figures.scannedBlobs = blobs.length;
  writeFileSync(`${cluster.logDir}/../${cluster.label}.figures.json`, JSON.stringify(figures, null, 2));
}, 60_000);
