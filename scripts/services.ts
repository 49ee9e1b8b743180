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
 * The checks live in datastores/checks.ts, the starters in datastores/starters.ts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { ConfigError, endpointFields, loadConfig, z } from '@shop/config';
import { ensureChromium } from './datastores/browser';
import {
  checkMailpitApi,
  checkMongo,
  checkMysql,
  checkNats,
  checkPostgres,
  checkRedis,
  checkSmtp,
  createMysqlDatabase,
  createPostgresDatabase,
  isLocal,
  redact,
} from './datastores/checks';
import {
  ensureTools,
  makeStarters,
  START_TIMEOUT_MS,
  type Log,
  type Starter,
  type Starters,
} from './datastores/starters';

export { redact, requiredDatabases } from './datastores/checks';

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
  const rows = await Promise.all(endpoints(config, starters).map((endpoint) => bringUp(endpoint, start)));
  if (start) await ensureTools(log, quiet);
  return rows;
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
  // the storefront's browser tests (npm test) need Chromium; npm start does not
  if (argv.includes('--browser')) ensureChromium((line) => console.error(line));
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
