/**
 * Starting what is down, for `npm run services` (scripts/services.ts): the system services with the
 * commands documented in DEVELOPERS.md, and FerretDB and Mailpit built from tools/ and run in the
 * background with pid files and logs under .run/ and data under .data/.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const runDir = join(root, '.run');
const dataDir = join(root, '.data');
const binDir = join(root, '.bin');

export const START_TIMEOUT_MS = 30_000;

export type Log = (line: string) => void;

/** Starts a service; throws when it cannot. Waiting for it to answer is the caller's job. */
export type Starter = () => Promise<void>;

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

export type Starters = Record<SystemService | Daemon, Starter>;

export function makeStarters(log: Log, quiet: boolean): Starters {
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

/**
 * The tools no daemon starter builds on its way (stripe-mock, which the payments tests start
 * themselves): built when missing, even where FerretDB and Mailpit already run.
 */
export async function ensureTools(log: Log, quiet: boolean): Promise<void> {
  if (!existsSync(join(binDir, 'stripe-mock'))) await buildTools(log, quiet);
}

/** Runs tools/build.sh, a no-op when .bin/ is up to date. Its output is shown unless quiet. */
function buildTools(log: Log, quiet: boolean): Promise<void> {
  log('Building FerretDB, Mailpit and stripe-mock if needed (tools/build.sh)...');
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
