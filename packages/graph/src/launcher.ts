/**
 * One launcher for processes that serve HTTP with a `/readyz`: each is a child
 * `node --import tsx <entry>` (optionally under `taskset -c <cpus>`), configured only through its
 * environment, on a port fixed up front (so a restarted process comes back on the same address), its
 * stdout and stderr appended to `<logDir>/<name>.log`.
 *
 * kill() is SIGKILL (no shutdown hooks run), freeze() SIGSTOP (the process keeps its sockets but
 * answers nothing), thaw() SIGCONT; stop() is SIGTERM, then SIGKILL after a grace period.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, createWriteStream, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports';

/** The repository root: entries are relative to it and children run from it (`--import tsx`). */
export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export interface ProcessSpec<N extends string = string> {
  name: N;
  /** The entry file, relative to the repository root. */
  entry: string;
  /** Its port when the launcher keeps the table's ports. */
  port: number;
}

export interface LauncherOptions<N extends string> {
  processes: readonly ProcessSpec<N>[];
  /** What startAll() starts, stage after stage (each stage's processes together). Default: one stage. */
  stages?: readonly (readonly N[])[];
  /** Each process logs to `<logDir>/<name>.log` (appended across restarts). */
  logDir: string;
  /** 'table': each spec's own port; 'free' (default): a free port per process, picked up front. */
  ports?: 'table' | 'free';
  /** The environment every child starts from (default: this process's). */
  baseEnv?: Record<string, string | undefined>;
  /** Variables of every process, on top of baseEnv. */
  env?: Record<string, string>;
  /** Variables of one process, on top of env (PORT is always the launcher's). */
  envFor?: (name: N, ports: Record<N, number>) => Record<string, string>;
  /** `taskset -c` cpu list per process (unpinned when absent). */
  cpus?: Partial<Record<N, string>>;
  /** How long start() and waitReady() wait for `/readyz` (default 90 s). */
  readyTimeoutMs?: number;
  /** A process exited without being killed or stopped by the launcher. */
  onExit?: (name: N, code: number | null, signal: NodeJS.Signals | null) => void;
  /** Also hands every chunk a process writes to this (its log file still gets it). */
  onOutput?: (name: N, chunk: Buffer) => void;
}

export interface StopOptions {
  /** Milliseconds between SIGTERM and SIGKILL (default 10 s); 0 kills at once. */
  graceMs?: number;
}

export type Launcher<N extends string> = Awaited<ReturnType<typeof createLauncher<N>>>;

/** The last lines of a log file, for an error that says why a process did not come up. */
function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function createLauncher<N extends string>(options: LauncherOptions<N>) {
  const { processes, logDir, readyTimeoutMs = 90_000 } = options;
  mkdirSync(logDir, { recursive: true });
  const spec = (name: N) => {
    const found = processes.find((p) => p.name === name);
    if (!found) throw new Error(`no process named ${name}`);
    return found;
  };

  const ports = {} as Record<N, number>;
  for (const p of processes) ports[p.name] = options.ports === 'table' ? p.port : await freePort();
  const url = (name: N) => `http://127.0.0.1:${ports[name]}`;
  const logFile = (name: N) => join(logDir, `${name}.log`);

  const children = new Map<N, ChildProcess>();
  const exited = new Map<N, Promise<void>>();
  /** Children the launcher itself is ending: their exit is no surprise. */
  const ending = new WeakSet<ChildProcess>();
  let stopping = false;

  const spawnProcess = (name: N) => {
    if (children.has(name)) throw new Error(`${name} is already running`);
    const { entry } = spec(name);
    const env = {
      ...(options.baseEnv ?? process.env),
      ...options.env,
      ...options.envFor?.(name, ports),
      PORT: String(ports[name]),
    };
    const node = [process.execPath, '--import', 'tsx', entry];
    const cpus = options.cpus?.[name];
    // taskset execs node, so the child's pid is node's.
    const [command, ...args] = cpus ? ['taskset', '-c', cpus, ...node] : node;
    let child: ChildProcess;
    if (options.onOutput) {
      const onOutput = options.onOutput;
      const log = createWriteStream(logFile(name), { flags: 'a' });
      child = spawn(command!, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      for (const stream of [child.stdout, child.stderr]) {
        stream?.pipe(log, { end: false });
        stream?.on('data', (chunk: Buffer) => onOutput(name, chunk));
      }
      child.once('exit', () => log.end());
    } else {
      // The child writes straight to the file: nothing to pump here, and nothing lost if we die.
      const fd = openSync(logFile(name), 'a');
      child = spawn(command!, args, { cwd: ROOT, env, stdio: ['ignore', fd, fd] });
      closeSync(fd);
    }
    children.set(name, child);
    exited.set(
      name,
      new Promise<void>((done) =>
        child.once('exit', (code, signal) => {
          if (children.get(name) === child) children.delete(name);
          if (!ending.has(child) && !stopping) options.onExit?.(name, code, signal);
          done();
        }),
      ),
    );
  };

  /** Polls /readyz until 200 (bounded); throws with the end of the log when it exits or never gets ready. */
  const waitReady = async (name: N, timeoutMs = readyTimeoutMs) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (stopping) throw new Error('stopping');
      if (!children.has(name))
        throw new Error(`${name} exited; see ${logFile(name)}:\n${tail(logFile(name))}`);
      try {
        const res = await fetch(`${url(name)}/readyz`, { signal: AbortSignal.timeout(1_000) });
        await res.arrayBuffer();
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(
      `${name} was not ready within ${timeoutMs / 1000}s; see ${logFile(name)}:\n${tail(logFile(name))}`,
    );
  };

  const start = async (name: N) => {
    spawnProcess(name);
    await waitReady(name);
  };

  /** Ends one process: SIGKILL at once (graceMs 0) or SIGTERM first; resolves once it has exited. */
  const end = async (name: N, graceMs: number) => {
    const child = children.get(name);
    if (!child) return;
    ending.add(child);
    child.kill('SIGCONT'); // a frozen process must run to die promptly
    child.kill(graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
    const timer = graceMs > 0 ? setTimeout(() => child.kill('SIGKILL'), graceMs) : undefined;
    await exited.get(name);
    clearTimeout(timer);
  };

  const stop = async ({ graceMs = 10_000 }: StopOptions = {}) => {
    stopping = true;
    try {
      await Promise.all([...children.keys()].map((name) => end(name, graceMs)));
    } finally {
      stopping = false;
    }
  };

  return {
    ports,
    /** `http://127.0.0.1:<port>` of a process. */
    url,
    logDir,
    logFile,
    start,
    waitReady,
    /** Starts every stage in turn, each stage's processes together; on failure stops them all. */
    async startAll(stages: readonly (readonly N[])[] = options.stages ?? [processes.map((p) => p.name)]) {
      try {
        for (const stage of stages) await Promise.all(stage.map((name) => start(name)));
      } catch (error) {
        await stop();
        throw error;
      }
    },
    /** SIGKILL; resolves once the process has exited. */
    kill: (name: N) => end(name, 0),
    freeze(name: N) {
      const child = children.get(name);
      if (!child) throw new Error(`${name} is not running`);
      child.kill('SIGSTOP');
    },
    thaw(name: N) {
      children.get(name)?.kill('SIGCONT');
    },
    /** Ends every process (SIGTERM, then SIGKILL after graceMs); the launcher can start them again. */
    stop,
    isRunning: (name: N) => children.has(name),
    pid: (name: N) => children.get(name)?.pid,
  };
}
