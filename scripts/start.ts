/**
 * The README's first command (`npm start`, after `npm ci`): brings up the datastores, the five
 * subgraphs, the test payment service provider and the gateway with demo data (the launcher of
 * @shop/graph, on the table's ports 4000-4005 and 4010) and the storefront on the Vite dev server
 * (http://localhost:3000), waits until every one is ready, and prints where to go.
 * Ctrl-C stops everything it started (the datastores keep running; `npm run services` shows them).
 *
 * Each process logs to .run/logs/<name>.log; `npm start -- --verbose` also streams the logs here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { PSP, ROUTER, SUBGRAPHS, type ProcessName } from '@shop/config';
import { createGraphLauncher, ROOT, TOKEN_ISSUER, type GraphLauncher } from '@shop/graph';
import { DEMO_PARTNER_KEY } from '@shop/router';
import { ensureServices, formatTable } from './services';

const verbose = process.argv.includes('--verbose');

export const DEMO_ADMIN = { email: 'admin@shop.local', password: 'admin-password-123' };

/** The demo data: the admin account of the token issuer, a seeded catalogue and the WELCOME10 code. */
const demoEnv: Partial<Record<ProcessName, Record<string, string>>> = {
  [TOKEN_ISSUER]: { ADMIN_EMAIL: DEMO_ADMIN.email, ADMIN_PASSWORD: DEMO_ADMIN.password },
  products: { SEED_IF_EMPTY: 'true' },
  orders: { SEED_DEMO_DATA: 'true' },
};

let graph: GraphLauncher | undefined;
let storefront: ChildProcess | undefined;
const STOREFRONT_URL = 'http://localhost:3000';

/** The web shop (storefront/) on the Vite dev server, pointed at this graph and PSP. */
async function startStorefront(): Promise<void> {
  const vite = join(ROOT, 'node_modules/vite/bin/vite.js');
  storefront = spawn(process.execPath, [vite, '--logLevel', 'warn'], {
    cwd: join(ROOT, 'storefront'),
    env: {
      ...process.env,
      VITE_GRAPHQL_URL: `http://localhost:${ROUTER.port}/graphql`,
      VITE_PSP_URL: `http://localhost:${PSP.port}`,
    },
    stdio: ['ignore', verbose ? 'inherit' : 'ignore', 'inherit'],
  });
  storefront.once('exit', (code, signal) => {
    if (stopping) return;
    console.error(`✗ storefront exited (${signal ?? code})`);
    void stop(1);
  });
  const deadline = Date.now() + 30_000;
  while (
    !(await fetch(STOREFRONT_URL).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (Date.now() > deadline) throw new Error(`the storefront did not answer on ${STOREFRONT_URL}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
let stopping = false;

function prefix(name: string, chunk: Buffer): string {
  return chunk
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => `${name.padEnd(13)} | ${line}\n`)
    .join('');
}

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log('\nStopping…');
    storefront?.kill('SIGTERM');
    await graph?.stop();
  }
  process.exit(code);
}

async function main() {
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  console.log('Datastores:');
  const rows = await ensureServices({});
  console.log(formatTable(rows));
  if (rows.some((row) => row.status === 'down')) {
    console.error('Some datastores are down; see above.');
    process.exit(1);
  }

  console.log('\nStarting the subgraphs, the test PSP and the gateway…');
  const started = Date.now();
  graph = await createGraphLauncher({
    ports: 'table',
    logDir: join(ROOT, '.run/logs'),
    baseEnv: { NODE_ENV: 'development', ...process.env },
    envFor: (name) => demoEnv[name] ?? {},
    onOutput: verbose ? (name, chunk) => process.stdout.write(prefix(name, chunk)) : undefined,
    onExit: (name, code, signal) => {
      console.error(`✗ ${name} exited (${signal ?? code}); see .run/logs/${name}.log`);
      void stop(1);
    },
  });
  await graph.startAll();
  await startStorefront();

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const subgraphs = SUBGRAPHS.map((s) => `${s.name} :${s.port}`).join('  ');
  console.log(`
All up in ${seconds}s.

  Storefront (the web shop)    ${STOREFRONT_URL}/
  Apollo Sandbox (full API)    http://localhost:${ROUTER.port}/
  GraphQL endpoint             http://localhost:${ROUTER.port}/graphql
  Partner contract             http://localhost:${ROUTER.port}/public/graphql   (header x-api-key: ${DEMO_PARTNER_KEY})
  Mailpit (sent email)         http://localhost:8025/
  Demo admin                   ${DEMO_ADMIN.email} / ${DEMO_ADMIN.password}
  Subgraphs                    ${subgraphs}
  Test PSP (card tokens)       http://localhost:${PSP.port}/v1/tokens   (test cards: docs/payment-provider.md)
  Logs                         .run/logs/<name>.log

Try the whole story in another terminal: npm run demo
Press Ctrl-C to stop.`);
}

main().catch((error: unknown) => {
  if (stopping) return; // a start cut short by Ctrl-C or a process that exited
  console.error(error instanceof Error ? error.message : error);
  void stop(1);
});
