/**
 * Brings up the local datastores and prints their status.
 *
 *   npm run services             check every endpoint, start what is down, print a status table
 *   npm run services -- --quiet  the same, printing only problems (used by `pretest`)
 *
 * Every endpoint is a URL from the environment (defaults in @shop/config). When a local PostgreSQL,
 * MariaDB, Redis or NATS is down but installed, it is started with the commands documented in
 * DEVELOPERS.md. FerretDB (for MONGO_URL) and Mailpit (for SMTP_URL / MAILPIT_API_URL) are built
 * from tools/ and run in the background with pid files and logs under .run/ and data under .data/.
 * Also importable: `ensureServices()` returns the status rows for the start script and tests.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect as natsConnect } from '@nats-io/transport-node';
import { ConfigError, endpointFields, loadConfig, z } from '@shop/config';
import { Redis } from 'ioredis';
import mongoose from 'mongoose';
import mysql from 'mysql2/promise';
import pg from 'pg';

const root = fileURLToPath(new URL('..', import.meta.url));
const runDir = join(root, '.run');
const dataDir = join(root, '.data');
const binDir = join(root, '.bin');

const CHECK_TIMEOUT_MS = 3_000;
const START_TIMEOUT_MS = 30_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The databases the subgraphs expect to exist. */
export const requiredDatabases = { postgres: 'shop_users', mysql: 'shop_orders' } as const;

export const servicesConfigSchema = z.object(endpointFields);
export type ServicesConfig = z.infer<typeof servicesConfigSchema>;

export type Status = 'up' | 'started' | 'down';

export interface StatusRow {
  service: string;
  /** The endpoint URL with any password masked. */
  url: string;
  status: Status;
  /** Why it is down, or what was done (e.g. a database created). */
  detail?: string;
}

export interface EnsureOptions {
  /** Environment to read the URLs from (default: process.env). */
  env?: Record<string, string | undefined>;
  /** Print nothing but problems. */
  quiet?: boolean;
  /** Start what is down (default true). With false, only check. */
  start?: boolean;
}

type Log = (line: string) => void;

// ---------------------------------------------------------------------------------------------
// Endpoints

interface Endpoint {
  service: string;
  url: string;
  /** A real protocol round trip; throws when the endpoint does not answer properly. */
  check: (url: string) => Promise<void>;
  /** How to start it when it is down, or undefined when we must not (remote URL, not installed). */
  starter?: Starter;
  /** Runs once the endpoint is up: creates what the subgraphs need. Returns a note for the table. */
  prepare?: (url: string) => Promise<string | undefined>;
}

function endpoints(config: ServicesConfig, starters: Starters): Endpoint[] {
  const local = (url: string, starter: Starter, port?: number) => (isLocal(url, port) ? starter : undefined);
  const mailpit = isLocal(config.SMTP_URL, 1025) && isLocal(config.MAILPIT_API_URL, 8025);
  return [
    {
      service: 'PostgreSQL',
      url: config.POSTGRES_URL,
      check: checkPostgres,
      starter: local(config.POSTGRES_URL, starters.postgres),
      prepare: createPostgresDatabase,
    },
    {
      service: 'MariaDB',
      url: config.MYSQL_URL,
      check: checkMysql,
      starter: local(config.MYSQL_URL, starters.mariadb),
      prepare: createMysqlDatabase,
    },
    {
      service: 'Redis',
      url: config.REDIS_URL,
      check: checkRedis,
      starter: local(config.REDIS_URL, starters.redis),
    },
    {
      service: 'NATS JetStream',
      url: config.NATS_URL,
      check: checkNats,
      starter: local(config.NATS_URL, starters.nats),
    },
    {
      // Only the local default gets FerretDB: a MONGO_URL pointing elsewhere is never "fixed" by us.
      service: 'FerretDB (MongoDB protocol)',
      url: config.MONGO_URL,
      check: checkMongo,
      starter: local(config.MONGO_URL, starters.ferretdb, 27017),
    },
    {
      service: 'Mailpit SMTP',
      url: config.SMTP_URL,
      check: checkSmtp,
      starter: mailpit ? starters.mailpit : undefined,
    },
    {
      service: 'Mailpit API',
      url: config.MAILPIT_API_URL,
      check: checkMailpitApi,
      starter: mailpit ? starters.mailpit : undefined,
    },
  ];
}

const loopback = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** True when the URL points at this machine (and, if given, at the expected port). */
function isLocal(url: string, expectedPort?: number): boolean {
  const parsed = new URL(url);
  if (!loopback.has(parsed.hostname)) return false;
  return expectedPort === undefined || defaultPort(parsed) === expectedPort;
}

function defaultPort(url: URL): number {
  const ports: Record<string, number> = {
    'postgres:': 5432,
    'postgresql:': 5432,
    'mysql:': 3306,
    'mariadb:': 3306,
    'mongodb:': 27017,
    'redis:': 6379,
    'rediss:': 6379,
    'nats:': 4222,
    'tls:': 4222,
    'smtp:': 25,
    'smtps:': 465,
    'http:': 80,
    'https:': 443,
  };
  return url.port ? Number(url.port) : (ports[url.protocol] ?? 0);
}

/** The URL as shown in the table: the password replaced by ***. */
export function redact(url: string): string {
  const parsed = new URL(url);
  if (!parsed.password) return url;
  parsed.password = '***';
  return parsed.toString();
}

// ---------------------------------------------------------------------------------------------
// Checks: a TCP connect first (fails fast when nothing listens), then a real protocol round trip.

function tcpConnect(url: string): Promise<void> {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port: defaultPort(parsed), timeout: CHECK_TIMEOUT_MS });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`TCP connect to ${host}:${defaultPort(parsed)} timed out`));
    });
    socket.once('error', reject);
  });
}

async function checkPostgres(url: string): Promise<void> {
  await tcpConnect(url);
  await withPostgres(url, async (client) => {
    await client.query('SELECT 1');
  });
}

async function checkMysql(url: string): Promise<void> {
  await tcpConnect(url);
  await withMysql(url, async (connection) => {
    await connection.query('SELECT 1');
  });
}

async function checkRedis(url: string): Promise<void> {
  await tcpConnect(url);
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: CHECK_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => {}); // reported through the rejected command instead
  try {
    await redis.connect();
    const pong = await redis.ping();
    if (pong !== 'PONG') throw new Error(`PING answered ${pong}`);
  } finally {
    redis.disconnect();
  }
}

async function checkNats(url: string): Promise<void> {
  await tcpConnect(url);
  const nc = await natsConnect({ servers: url, timeout: CHECK_TIMEOUT_MS, reconnect: false });
  try {
    const jsm = await jetstreamManager(nc, { timeout: CHECK_TIMEOUT_MS });
    await jsm.getAccountInfo(); // fails unless JetStream is enabled
  } finally {
    await nc.close();
  }
}

async function checkMongo(url: string): Promise<void> {
  await tcpConnect(url);
  const client = new mongoose.mongo.MongoClient(url, {
    serverSelectionTimeoutMS: CHECK_TIMEOUT_MS,
    connectTimeoutMS: CHECK_TIMEOUT_MS,
  });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
  } finally {
    await client.close();
  }
}

/** An SMTP server greets with a 220 banner as soon as the connection opens. */
function checkSmtp(url: string): Promise<void> {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port: defaultPort(parsed), timeout: CHECK_TIMEOUT_MS });
    socket.setEncoding('utf8');
    socket.once('data', (banner: string) => {
      socket.end('QUIT\r\n');
      if (banner.startsWith('220')) resolve();
      else reject(new Error(`unexpected SMTP banner: ${banner.trim()}`));
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error('no SMTP banner'));
    });
    socket.once('error', reject);
  });
}

async function checkMailpitApi(url: string): Promise<void> {
  const response = await fetch(new URL('api/v1/info', withSlash(url)), {
    signal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`GET /api/v1/info answered HTTP ${response.status}`);
  const info = (await response.json()) as { Version?: unknown };
  if (typeof info.Version !== 'string') throw new Error('GET /api/v1/info did not look like Mailpit');
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

// ---------------------------------------------------------------------------------------------
// Databases the subgraphs need

async function withPostgres<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CHECK_TIMEOUT_MS });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

async function withMysql<T>(url: string, use: (connection: mysql.Connection) => Promise<T>): Promise<T> {
  const connection = await mysql.createConnection({ uri: url, connectTimeout: CHECK_TIMEOUT_MS });
  try {
    return await use(connection);
  } finally {
    await connection.end();
  }
}

async function createPostgresDatabase(url: string): Promise<string | undefined> {
  const name = requiredDatabases.postgres;
  return withPostgres(url, async (client) => {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return undefined;
    try {
      await client.query(`CREATE DATABASE ${name}`);
    } catch (error) {
      if ((error as { code?: string }).code === '42P04') return undefined; // created concurrently
      throw error;
    }
    return `created database ${name}`;
  });
}

async function createMysqlDatabase(url: string): Promise<string | undefined> {
  const name = requiredDatabases.mysql;
  return withMysql(url, async (connection) => {
    const [rows] = await connection.query<mysql.RowDataPacket[]>(
      'SELECT 1 FROM information_schema.schemata WHERE schema_name = ?',
      [name],
    );
    if (rows.length > 0) return undefined;
    await connection.query(`CREATE DATABASE IF NOT EXISTS ${name}`);
    return `created database ${name}`;
  });
}

// ---------------------------------------------------------------------------------------------
// Starting what is down

/** Starts a service; throws when it cannot. Waiting for it to answer is the caller's job. */
type Starter = () => Promise<void>;

/** Memoized per run, so that two endpoints of one server (Mailpit) start it once. */
function once(start: Starter): Starter {
  let running: Promise<void> | undefined;
  return () => (running ??= start());
}

/** The system services, started with the commands documented in DEVELOPERS.md. */
const systemServices = {
  postgres: {
    installed: () => existsSync('/usr/bin/pg_ctlcluster') && existsSync('/etc/postgresql'),
    command: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  },
  mariadb: {
    installed: () => existsSync('/usr/sbin/mariadbd'),
    command: 'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd',
  },
  redis: {
    installed: () => commandExists('redis-server'),
    command:
      'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no ' +
      '--dir /var/lib/redis --logfile /var/log/redis/ci.log',
  },
  nats: {
    installed: () => existsSync('/usr/sbin/nats-server'),
    command:
      'start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- ' +
      '-a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log',
  },
};

type SystemService = keyof typeof systemServices;

async function startSystemService(name: SystemService): Promise<void> {
  const { installed, command } = systemServices[name];
  if (!installed()) throw new Error(`not installed here, and nothing answers`);
  const result = spawnSync('sh', ['-c', command], { encoding: 'utf8', timeout: START_TIMEOUT_MS });
  if (result.status !== 0) {
    const output = `${result.stderr ?? ''}${result.stdout ?? ''}`.trim();
    throw new Error(`\`${command}\` failed (exit ${result.status}): ${output}`);
  }
}

function commandExists(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** The background daemons built from tools/ into .bin/, run from the repo root. */
const daemons = {
  ferretdb: [
    '--listen-addr=127.0.0.1:27017',
    '--handler=sqlite',
    '--sqlite-url=file:.data/ferretdb/?_pragma=synchronous(normal)',
    '--log-level=error',
  ],
  mailpit: [
    '--smtp=127.0.0.1:1025',
    '--listen=127.0.0.1:8025',
    '--database=.data/mailpit/mailpit.db',
    '--disable-version-check',
  ],
};

type Daemon = keyof typeof daemons;

type Starters = Record<SystemService | Daemon, Starter>;

function makeStarters(log: Log, quiet: boolean): Starters {
  const build = once(() => buildTools(log, quiet));
  const daemon = (name: Daemon) =>
    once(async () => {
      await build();
      await stopStale(name);
      await startDaemon(name, log);
    });
  const system = (name: SystemService) =>
    once(async () => {
      log(`Starting ${name}: ${systemServices[name].command}`);
      await startSystemService(name);
    });
  return {
    postgres: system('postgres'),
    mariadb: system('mariadb'),
    redis: system('redis'),
    nats: system('nats'),
    ferretdb: daemon('ferretdb'),
    mailpit: daemon('mailpit'),
  };
}

/** Runs tools/build.sh, a no-op when .bin/ is up to date. Its output is shown unless quiet. */
function buildTools(log: Log, quiet: boolean): Promise<void> {
  log('Building FerretDB and Mailpit if needed (tools/build.sh)...');
  return new Promise<void>((resolve, reject) => {
    const child = spawn('bash', [join(root, 'tools', 'build.sh')], {
      stdio: quiet ? ['ignore', 'pipe', 'pipe'] : ['ignore', process.stderr, process.stderr],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`tools/build.sh failed (exit ${code}) ${output.trim()}`)),
    );
  });
}

const pidFile = (name: Daemon) => join(runDir, `${name}.pid`);
const logFile = (name: Daemon) => join(runDir, `${name}.log`);

/**
 * A pid file left behind must not block a restart: if it names a live copy of our daemon (which is
 * not answering, or we would not be here), stop it; either way remove the file.
 */
async function stopStale(name: Daemon): Promise<void> {
  const file = pidFile(name);
  if (!existsSync(file)) return;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (Number.isInteger(pid) && pid > 0 && isOurDaemon(pid, name)) {
    process.kill(pid, 'SIGTERM');
    for (let waited = 0; waited < 5_000 && isAlive(pid); waited += 100) await sleep(100);
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(file, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function isOurDaemon(pid: number, name: Daemon): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.split('\0')[0] === join(binDir, name);
  } catch {
    return false;
  }
}

/**
 * Starts the daemon detached from this process (it outlives the script), logging to .run/. A daemon
 * that dies at once (port taken, bad flag) is reported with the end of its log.
 */
async function startDaemon(name: Daemon, log: Log): Promise<void> {
  mkdirSync(runDir, { recursive: true });
  mkdirSync(join(dataDir, name), { recursive: true });
  const out = openSync(logFile(name), 'a');
  const child = spawn(join(binDir, name), daemons[name], {
    cwd: root,
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  const early = new Promise<string>((resolve) => {
    child.once('error', (error) => resolve(error.message));
    child.once('exit', (code, signal) => resolve(`exited (${signal ?? code})`));
  });
  child.unref();
  if (child.pid !== undefined) {
    writeFileSync(pidFile(name), `${child.pid}\n`);
    log(`Started ${name} (pid ${child.pid}, log .run/${name}.log)`);
  }
  const failure = await Promise.race([early, sleep(500).then(() => undefined)]);
  if (failure !== undefined) {
    rmSync(pidFile(name), { force: true });
    throw new Error(`.bin/${name} ${failure}: ${lastLine(logFile(name))}`);
  }
}

function lastLine(file: string): string {
  const line = readFileSync(file, 'utf8').trimEnd().split('\n').at(-1) ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}

// ---------------------------------------------------------------------------------------------
// Bringing one endpoint up

async function tryCheck(endpoint: Endpoint): Promise<Error | undefined> {
  try {
    await endpoint.check(endpoint.url);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

async function waitUntilUp(endpoint: Endpoint): Promise<Error | undefined> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let problem = await tryCheck(endpoint);
  while (problem && Date.now() < deadline) {
    await sleep(250);
    problem = await tryCheck(endpoint);
  }
  return problem;
}

async function bringUp(endpoint: Endpoint, start: boolean): Promise<StatusRow> {
  const row: StatusRow = { service: endpoint.service, url: redact(endpoint.url), status: 'up' };
  let problem = await tryCheck(endpoint);
  if (problem && start && endpoint.starter) {
    try {
      await endpoint.starter();
      problem = await waitUntilUp(endpoint);
      row.status = 'started';
    } catch (error) {
      problem = error instanceof Error ? error : new Error(String(error));
    }
  }
  if (problem) return { ...row, status: 'down', detail: describe(problem) };
  if (endpoint.prepare) {
    try {
      const note = await endpoint.prepare(endpoint.url);
      if (note) row.detail = note;
    } catch (error) {
      return { ...row, status: 'down', detail: `setup failed: ${describe(error)}` };
    }
  }
  return row;
}

function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describe(error.errors[0]);
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/**
 * Checks every endpoint, starts what is down and startable, creates the databases the subgraphs
 * need, and returns one row per endpoint. Throws ConfigError when a URL is invalid.
 */
export async function ensureServices(options: EnsureOptions = {}): Promise<StatusRow[]> {
  const { env = process.env, quiet = false, start = true } = options;
  const config = loadConfig(servicesConfigSchema, env);
  const log: Log = quiet ? () => {} : (line) => process.stderr.write(`${line}\n`);
  const starters = makeStarters(log, quiet);
  return Promise.all(endpoints(config, starters).map((endpoint) => bringUp(endpoint, start)));
}

/** The status table as text: a header and one line per endpoint. */
export function formatTable(rows: StatusRow[]): string {
  const lines = [
    ['SERVICE', 'URL', 'STATUS', ''],
    ...rows.map((row) => [row.service, row.url, row.status, row.detail ?? '']),
  ];
  const widths = [0, 1, 2].map((column) => Math.max(...lines.map((cells) => cells[column]!.length)));
  return lines
    .map((cells) =>
      cells
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

async function main(argv: string[]): Promise<number> {
  const quiet = argv.includes('--quiet');
  let rows: StatusRow[];
  try {
    rows = await ensureServices({ quiet });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`services: ${error.message}`);
      return 1;
    }
    throw error;
  }
  const down = rows.filter((row) => row.status === 'down');
  if (!quiet) console.log(formatTable(rows));
  else if (down.length > 0) console.error(formatTable(down));
  if (down.length > 0) {
    console.error(
      `services: ${down.length} of ${rows.length} endpoints are down (logs of our daemons: .run/)`,
    );
  }
  return down.length > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
