import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** The repository root: children run from there, so `--import tsx` resolves. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Pinned<T> {
  pid: number;
  /** What the child printed on its READY line. */
  info: T;
  child: ChildProcess;
  /** SIGTERM, then SIGKILL after 5 s; resolves when the process has exited. */
  stop(): Promise<void>;
  /** Everything it wrote to stderr (for failure reports). */
  stderr(): string;
}

/** `taskset -c <cpu> node --import tsx <script> ...args` (taskset execs, so the pid is node's). */
export function spawnPinned(
  cpu: string,
  script: string,
  args: string[],
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
) {
  return spawn('taskset', ['-c', cpu, process.execPath, ...nodeArgs, '--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * Starts a long-running pinned child and waits for its first stdout line `READY <json>`.
 */
export async function startPinned<T>(
  cpu: string,
  script: string,
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
  /** Extra node flags, e.g. --cpu-prof (not allowed in NODE_OPTIONS). */
  nodeArgs: string[] = [],
): Promise<Pinned<T>> {
  const child = spawnPinned(cpu, script, args, env, nodeArgs);
  let err = '';
  child.stderr?.on('data', (c: Buffer) => {
    err = (err + c.toString('utf8')).slice(-20_000);
  });
  const info = await new Promise<T>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`${script}: not ready after ${timeoutMs} ms\n${err}`)),
      timeoutMs,
    );
    const onData = (c: Buffer) => {
      out += c.toString('utf8');
      const line = out.split('\n').find((l) => l.startsWith('READY '));
      if (line) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve(JSON.parse(line.slice('READY '.length)) as T);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code}) before it was ready\n${err}`));
    });
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${script}: no pid`);
  return {
    pid,
    info,
    child,
    stderr: () => err,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs a pinned child to completion and returns its stdout's last line parsed as JSON. */
export async function runPinned<T>(cpu: string, script: string, args: string[]): Promise<T> {
  const child = spawnPinned(cpu, script, args);
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (err = (err + c.toString('utf8')).slice(-20_000)));
  const [code] = (await once(child, 'exit')) as [number | null];
  const last = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || !last) throw new Error(`${script} failed (${code})\n${err}`);
  return JSON.parse(last) as T;
}
