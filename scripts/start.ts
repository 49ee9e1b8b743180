/**
 * The README's first command (`npm start`, after `npm ci`): brings up the datastores, the five
 * subgraphs and the gateway with demo data, waits until every one is ready, and prints where to go.
 * Ctrl-C stops everything it started (the datastores keep running; `npm run services` shows them).
 *
 * Each process logs to .run/logs/<name>.log; `npm start -- --verbose` also streams the logs here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureServices, formatTable } from './services';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const verbose = process.argv.includes('--verbose');

/** The demo partner key (router/README.md); its sha256 is the router's development default. */
export const DEMO_PARTNER_KEY = 'shop-demo-partner-key';
export const DEMO_ADMIN = { email: 'admin@shop.local', password: 'admin-password-123' };

interface Proc {
  name: string;
  entry: string;
  port: number;
  env?: Record<string, string>;
}

const subgraphs: Proc[] = [
  {
    name: 'users',
    entry: 'subgraphs/users/src/main.ts',
    port: 4001,
    env: { ADMIN_EMAIL: DEMO_ADMIN.email, ADMIN_PASSWORD: DEMO_ADMIN.password },
  },
  { name: 'products', entry: 'subgraphs/products/src/main.ts', port: 4002, env: { SEED_IF_EMPTY: 'true' } },
  { name: 'orders', entry: 'subgraphs/orders/src/main.ts', port: 4003 },
  { name: 'payments', entry: 'subgraphs/payments/src/main.ts', port: 4004 },
  { name: 'notifications', entry: 'subgraphs/notifications/src/main.ts', port: 4005 },
];
const router: Proc = { name: 'router', entry: 'router/main.ts', port: 4000 };

const children: { proc: Proc; child: ChildProcess }[] = [];
let stopping = false;

function launch(proc: Proc): ChildProcess {
  mkdirSync(join(root, '.run/logs'), { recursive: true });
  const log = createWriteStream(join(root, `.run/logs/${proc.name}.log`), { flags: 'a' });
  const child = spawn(process.execPath, ['--import', 'tsx', proc.entry], {
    cwd: root,
    env: { NODE_ENV: 'development', ...process.env, PORT: String(proc.port), ...proc.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream?.pipe(log, { end: false });
    if (verbose) stream?.on('data', (chunk: Buffer) => process.stdout.write(prefix(proc.name, chunk)));
  }
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`✗ ${proc.name} exited (${signal ?? code}); see .run/logs/${proc.name}.log`);
      void stop(1);
    }
  });
  children.push({ proc, child });
  return child;
}

function prefix(name: string, chunk: Buffer): string {
  return chunk
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => `${name.padEnd(13)} | ${line}\n`)
    .join('');
}

async function waitReady(proc: Proc, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const url = `http://127.0.0.1:${proc.port}/readyz`;
  while (Date.now() < deadline) {
    if (stopping) throw new Error('stopping');
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${proc.name} was not ready within ${timeoutMs / 1000}s; see .run/logs/${proc.name}.log`);
}

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log('\nStopping…');
    const exits = children.map(
      ({ child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    );
    await Promise.all(exits);
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

  console.log('\nStarting the subgraphs…');
  const started = Date.now();
  // users first: the others fetch its JWKS.
  launch(subgraphs[0]!);
  await waitReady(subgraphs[0]!);
  for (const proc of subgraphs.slice(1)) launch(proc);
  await Promise.all(subgraphs.slice(1).map((proc) => waitReady(proc)));
  launch(router);
  await waitReady(router);

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`
All up in ${seconds}s.

  Apollo Sandbox (full API)    http://localhost:4000/
  GraphQL endpoint             http://localhost:4000/graphql
  Partner contract             http://localhost:4000/public/graphql   (header x-api-key: ${DEMO_PARTNER_KEY})
  Mailpit (sent email)         http://localhost:8025/
  Demo admin                   ${DEMO_ADMIN.email} / ${DEMO_ADMIN.password}
  Subgraphs                    users :4001  products :4002  orders :4003  payments :4004  notifications :4005
  Logs                         .run/logs/<name>.log

Try the whole story in another terminal: npm run demo
Press Ctrl-C to stop.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  void stop(1);
});
