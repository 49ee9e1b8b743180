/**
 * `npm run bench:search`: catalogue search on the products subgraph (issue 18).
 *
 * Seeds N generated products (default 10,000: `npm run seed -- --products N`, which indexes them)
 * into the benchmark's own Mongo database, starts the products subgraph alone as a process
 * (NODE_ENV=production, LOG_LEVEL=warn) and sends search queries straight to its /graphql with the
 * router secret, as the router does. For each query: p50/p99 at 1 connection, requests/s (and
 * p50/p99) at 10. Every response body is checked (no errors, the expected totalCount). For
 * comparison, the substring search the catalogue used before (a case-insensitive regex over name,
 * description and SKU, sorted, 21 rows, plus its count) is timed as direct queries on the same data.
 * Everything it created is dropped at the end, also on failure or Ctrl-C.
 *
 *   --quick            short runs (a smoke test of the harness, not figures)
 *   --products=N       catalogue size (default 10000)
 *   --mongo=URL        another MongoDB-protocol server (default MONGO_URL or 127.0.0.1:27017)
 *   --label=TEXT       a note on the server for the report (e.g. "patched FerretDB")
 *   --name=NAME        results as search-<date>-NAME.* and latest-search-NAME.md (a comparison run)
 *
 * Results: bench/results/search-<date>.json and .md, and bench/results/latest-search.md.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { subgraph } from '@shop/config';
import { createLauncher, ROOT } from '@shop/graph';
import { connectNats, natsNames } from '@shop/messaging';
import { deleteStreams, dropMongo, endpoints, mongoDatabase, natsPrefix, withDatabase } from '@shop/testing';
import { fixed, markdownTable } from './lib/report';
import { percentile, probe, runLoad, type LoadResult, type LoadSpec } from './shop/load';
import { cleanupOnExit, log, pinSelf } from './lib/run';

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const quick = process.argv.includes('--quick');
const size = Number(arg('products') ?? 10_000);
const serverNote = arg('label') ?? 'FerretDB 1.24.2 (SQLite), .bin/ferretdb';
const seconds = quick ? { warmup: 1, c1: 2, c10: 2 } : { warmup: 2, c1: 8, c10: 8 };
const LOAD_CORE = '0';

interface Scenario {
  name: string;
  filter: Record<string, unknown>;
  sort?: string;
  /** The fewest matches the generated catalogue must give (a sanity check of the data). */
  atLeast: number;
}

/** The queries measured (the generated catalogue's words: seed-generated.ts). */
const SCENARIOS: Scenario[] = [
  { name: 'one word ("lamp")', filter: { search: 'lamp' }, atLeast: 20 },
  { name: 'two words ("oak lamp")', filter: { search: 'oak lamp' }, atLeast: 2 },
  { name: 'plural ("candles")', filter: { search: 'candles' }, atLeast: 20 },
  { name: 'accented ("CRÈME")', filter: { search: 'CRÈME' }, atLeast: 100 },
  {
    name: 'category + price ("mug", kitchen, 10-50 €)',
    filter: { search: 'mug', category: 'kitchen', minPrice: 1000, maxPrice: 5000 },
    atLeast: 5,
  },
  {
    name: 'sorted by price ("wool", PRICE_ASC)',
    filter: { search: 'wool' },
    sort: 'PRICE_ASC',
    atLeast: 100,
  },
  { name: 'rare word ("gooseneck")', filter: { search: 'gooseneck' }, atLeast: 1 },
  { name: 'thousands ("daily")', filter: { search: 'daily' }, atLeast: 1000 },
  { name: 'thousands + in stock ("daily")', filter: { search: 'daily', inStock: true }, atLeast: 1000 },
  { name: 'prefix as typed ("wooden bl")', filter: { search: 'wooden bl' }, atLeast: 1 },
];

const QUERY = `query Search($filter: ProductFilter, $sort: ProductSort) {
  products(first: 20, filter: $filter, sort: $sort) {
    totalCount
    edges { cursor node { id name price { amount currency } inStock } }
    pageInfo { hasNextPage endCursor }
  }
}`;

interface SearchResponse {
  data?: { products: { totalCount: number; edges: unknown[] } };
  errors?: unknown[];
}

function specOf(url: string, secret: string, s: Scenario, expectedTotal: number): LoadSpec {
  return {
    url,
    headers: { 'x-router-secret': secret },
    query: QUERY,
    variables: { filter: s.filter, ...(s.sort ? { sort: s.sort } : {}) },
    validate: (body) => {
      const r = body as SearchResponse;
      if (r.errors?.length) throw new Error(`errors: ${JSON.stringify(r.errors)}`);
      const total = r.data?.products.totalCount;
      if (total !== expectedTotal) throw new Error(`totalCount ${total}, expected ${expectedTotal}`);
      if ((r.data?.products.edges.length ?? 0) !== Math.min(20, expectedTotal)) throw new Error('short page');
    },
  };
}

/** `npm run seed -- --products N` against the benchmark's database (it indexes as it inserts). */
function seed(mongoUrl: string, natsPrefixValue: string): Promise<number> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'subgraphs/products/src/seed.ts', `--products=${size}`],
      {
        cwd: ROOT,
        env: { ...process.env, MONGO_URL: mongoUrl, NATS_PREFIX: natsPrefixValue, LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    child.once('exit', (code) =>
      code === 0 ? resolve((Date.now() - started) / 1000) : reject(new Error(`seed exited with ${code}`)),
    );
  });
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Today's substring search, as the catalogue ran it: regex $or, sort, 21 rows, and the count. */
async function regexScan(mongoUrl: string, words: string[], runs: number) {
  const connection = await mongoose.createConnection(mongoUrl).asPromise();
  try {
    const products = connection.collection('products');
    const out: { search: string; p50: number; max: number; matched: number }[] = [];
    for (const search of words) {
      const pattern = new RegExp(escapeRegex(search), 'i');
      const filter = { $or: [{ name: pattern }, { description: pattern }, { sku: pattern }] };
      const samples: number[] = [];
      let matched = 0;
      for (let i = 0; i < runs; i += 1) {
        const t0 = performance.now();
        await products.find(filter).sort({ createdAt: -1, _id: -1 }).limit(21).toArray();
        matched = await products.countDocuments(filter);
        samples.push(performance.now() - t0);
      }
      samples.sort((a, b) => a - b);
      out.push({ search, p50: percentile(samples, 0.5), max: samples.at(-1)!, matched });
    }
    return out;
  } finally {
    await connection.close();
  }
}

async function indexStats(mongoUrl: string) {
  const connection = await mongoose.createConnection(mongoUrl).asPromise();
  try {
    const terms = await connection
      .collection<{ _id: string; p: string; n: number }>('search_terms')
      .find({})
      .toArray();
    let postings = 0;
    let bytes = 0;
    let largest = { key: '', n: 0, bytes: 0 };
    for (const t of terms) {
      postings += t.n;
      bytes += Buffer.byteLength(t.p);
      if (t.n > largest.n) largest = { key: t._id, n: t.n, bytes: Buffer.byteLength(t.p) };
    }
    const products = await connection.collection('products').estimatedDocumentCount();
    return { products, keys: terms.length, postings, bytes, largest };
  } finally {
    await connection.close();
  }
}

const rssMb = (pid: number | undefined) => {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
  } catch {
    return Number.NaN;
  }
};

interface Figures {
  scenario: Scenario;
  total: number;
  c1: LoadResult;
  c10: LoadResult;
}

async function main() {
  const pinned = pinSelf(LOAD_CORE);
  log(`${pinned}; ${quick ? 'QUICK run (not figures)' : 'full run'}; ${size} products`);
  const started = Date.now();
  const base = arg('mongo') ?? endpoints.mongo;
  const db = mongoDatabase('benchsearch');
  const mongoUrl = withDatabase(base, db.name);
  const prefix = natsPrefix('benchsearch');
  const secret = randomBytes(24).toString('hex');
  const logDir = join(ROOT, '.run/bench', `search-${db.name}`);
  const { cleanups, cleanup } = cleanupOnExit();

  const figures: Figures[] = [];
  let seedSeconds = 0;
  let stats: Awaited<ReturnType<typeof indexStats>> | undefined;
  let regex: Awaited<ReturnType<typeof regexScan>> = [];
  const rss = { idle: Number.NaN, after: Number.NaN };
  const load = { before: loadavg()[0]!, after: Number.NaN };
  try {
    cleanups.push(() => dropMongo(mongoUrl));
    cleanups.push(async () => {
      const nc = await connectNats(endpoints.nats, 'bench-search-drop');
      try {
        await deleteStreams(nc, natsNames(prefix));
      } finally {
        await nc.close();
      }
    });
    log(`seeding ${size} products into ${db.name} (${base})`);
    seedSeconds = await seed(mongoUrl, prefix);
    stats = await indexStats(mongoUrl);
    log(`seeded in ${seedSeconds.toFixed(0)} s: ${stats.products} products, ${stats.keys} index keys`);

    const spec = subgraph('products');
    const launcher = await createLauncher({
      processes: [{ name: 'products', entry: spec.entry, port: spec.port }],
      logDir,
      env: {
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        HOST: '127.0.0.1',
        MONGO_URL: mongoUrl,
        NATS_URL: endpoints.nats,
        NATS_PREFIX: prefix,
        ROUTER_SECRET: secret,
        SEED_IF_EMPTY: 'false',
      },
      readyTimeoutMs: 300_000,
    });
    cleanups.push(() => launcher.stop());
    await launcher.startAll();
    const url = `${launcher.url('products')}/graphql`;
    rss.idle = rssMb(launcher.pid('products'));

    for (const scenario of SCENARIOS) {
      // the expected total from one request (then every response must say the same)
      const first = (await probe({
        ...specOf(url, secret, scenario, -1),
        validate: () => undefined,
      })) as SearchResponse;
      if (first.errors?.length || !first.data)
        throw new Error(`${scenario.name}: ${JSON.stringify(first.errors)}`);
      const total = first.data.products.totalCount;
      if (total < scenario.atLeast)
        throw new Error(`${scenario.name}: ${total} matches, expected ≥ ${scenario.atLeast}`);
      const loadSpec = specOf(url, secret, scenario, total);
      log(`${scenario.name}: ${total} matches`);
      await runLoad(loadSpec, 1, seconds.warmup);
      const c1 = await runLoad(loadSpec, 1, seconds.c1);
      const c10 = await runLoad(loadSpec, 10, seconds.c10);
      for (const r of [c1, c10]) if (!r.valid) log(`  INVALID @${r.connections}: ${r.firstFailure ?? '?'}`);
      figures.push({ scenario, total, c1, c10 });
    }
    rss.after = rssMb(launcher.pid('products'));
    await launcher.stop();
    log('timing the former substring search (direct queries)');
    regex = await regexScan(mongoUrl, ['lamp', 'daily', 'gooseneck'], quick ? 2 : 5);
    load.after = loadavg()[0]!;
  } finally {
    await cleanup();
  }
  rmSync(logDir, { recursive: true, force: true });

  const date = new Date().toISOString();
  const table = markdownTable(
    ['query', 'matches', 'p50 @1 (ms)', 'p99 @1 (ms)', 'req/s @10', 'p50 @10 (ms)', 'p99 @10 (ms)'],
    figures.map(({ scenario, total, c1, c10 }) => [
      scenario.name,
      total,
      c1.valid ? fixed(c1.latencyMs.p50) : 'invalid',
      c1.valid ? fixed(c1.latencyMs.p99) : 'invalid',
      c10.valid ? fixed(c10.requestsPerSecond) : 'invalid',
      c10.valid ? fixed(c10.latencyMs.p50) : 'invalid',
      c10.valid ? fixed(c10.latencyMs.p99) : 'invalid',
    ]),
  );
  const regexTable = markdownTable(
    ['search', 'matches', 'p50 (ms)', 'max (ms)'],
    regex.map((r) => [r.search, r.matched, fixed(r.p50), fixed(r.max)]),
  );
  const markdown = [
    `# Search benchmark (${date.slice(0, 16).replace('T', ' ')} UTC)`,
    '',
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Linux ${release()}, Node ${process.version}. ` +
      `Store: ${serverNote}. Load generator pinned to core ${LOAD_CORE}; the products subgraph and the store unpinned. ` +
      `NODE_ENV=production, LOG_LEVEL=warn. 1-min load average ${load.before.toFixed(1)} before, ${load.after.toFixed(1)} after.` +
      `${quick ? ' QUICK RUN: smoke test, not figures.' : ''}`,
    '',
    `Catalogue: ${stats?.products ?? '?'} products (\`npm run seed -- --products ${size}\`: ${seedSeconds.toFixed(0)} s, indexing included). ` +
      `Index: ${stats?.keys ?? '?'} keys, ${stats?.postings ?? '?'} postings, ${((stats?.bytes ?? 0) / 1e6).toFixed(1)} MB of postings; ` +
      `largest key \`${stats?.largest.key ?? '?'}\` with ${stats?.largest.n ?? '?'} postings (${((stats?.largest.bytes ?? 0) / 1e3).toFixed(0)} kB). ` +
      `Products subgraph RSS ${fixed(rss.idle, 0)} MB after start, ${fixed(rss.after, 0)} MB after the run (postings cache).`,
    '',
    `## Search requests at the products subgraph (first: 20; ${seconds.c1} s at 1 connection, ${seconds.c10} s at 10; every body checked)`,
    '',
    table,
    '',
    '## The former substring search on the same data (direct queries: regex over name, description, SKU; 21 rows + count)',
    '',
    regexTable,
    '',
  ].join('\n');
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const name = arg('name')?.replace(/[^a-z0-9-]/gi, '');
  const stamp = `${date.slice(0, 10)}${name ? `-${name}` : ''}`;
  writeFileSync(
    join(dir, `search-${stamp}.json`),
    `${JSON.stringify({ date, quick, size, serverNote, seconds, seedSeconds, stats, rss, load, figures, regex }, null, 2)}\n`,
  );
  writeFileSync(join(dir, `search-${stamp}.md`), markdown);
  writeFileSync(join(dir, `latest-search${name ? `-${name}` : ''}.md`), markdown);
  console.log(`\n${markdown}`);
  log(
    `done in ${((Date.now() - started) / 1000).toFixed(0)} s; results in bench/results/search-${stamp}.{json,md}`,
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
