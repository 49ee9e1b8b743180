import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLauncher, type Launcher } from '../src/index';

/** The launcher on a tiny HTTP process (test/fixtures/tiny-server.ts) instead of the graph. */
const entry = 'packages/graph/test/fixtures/tiny-server.ts';

let logDir: string;
let launcher: Launcher<'tiny' | 'failing'>;
const exits: [string, number | null][] = [];

beforeAll(async () => {
  logDir = mkdtempSync(join(tmpdir(), 'graph-launcher-'));
  launcher = await createLauncher({
    processes: [
      { name: 'tiny', entry, port: 0 },
      { name: 'failing', entry, port: 0 },
    ],
    logDir,
    env: { GREETING: 'hi' },
    envFor: (name): Record<string, string> =>
      name === 'failing' ? { FAIL: '1' } : { READY_AFTER_MS: '300' },
    readyTimeoutMs: 30_000,
    onExit: (name, code) => exits.push([name, code]),
  });
});

afterAll(async () => {
  await launcher?.stop();
  rmSync(logDir, { recursive: true, force: true });
});

const get = async (path: string, timeoutMs = 2_000) => {
  const res = await fetch(`${launcher.url('tiny')}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, text: await res.text() };
};

it('picks one free port per process up front', () => {
  expect(launcher.ports.tiny).toBeGreaterThan(0);
  expect(launcher.ports.failing).toBeGreaterThan(0);
  expect(launcher.ports.tiny).not.toBe(launcher.ports.failing);
});

it('starts a process, waits until /readyz answers 200, and logs its output to <logDir>/<name>.log', async () => {
  await launcher.start('tiny');
  expect(launcher.isRunning('tiny')).toBe(true);
  expect(launcher.pid('tiny')).toBeGreaterThan(0);
  expect((await get('/readyz')).status).toBe(200);
  // the launcher's PORT and the caller's variables
  expect(JSON.parse((await get('/env')).text)).toEqual({ PORT: String(launcher.ports.tiny), GREETING: 'hi' });
  expect(readFileSync(launcher.logFile('tiny'), 'utf8')).toContain('hello from tiny');
}, 60_000);

it('freezes and thaws a process: frozen it answers nothing, thawed it is ready again', async () => {
  launcher.freeze('tiny');
  await expect(get('/readyz', 500)).rejects.toThrow();
  launcher.thaw('tiny');
  await launcher.waitReady('tiny');
  expect((await get('/readyz')).status).toBe(200);
}, 60_000);

it('kills a process (SIGKILL, no surprise exit reported) and starts it again on the same port', async () => {
  const port = launcher.ports.tiny;
  await launcher.kill('tiny');
  expect(launcher.isRunning('tiny')).toBe(false);
  await expect(get('/readyz', 500)).rejects.toThrow();
  await launcher.start('tiny');
  expect(launcher.ports.tiny).toBe(port);
  expect((await get('/readyz')).status).toBe(200);
  expect(exits).toEqual([]);
}, 60_000);

it('reports a process that exits by itself, and refuses to wait for one that dies before it is ready', async () => {
  await get('/exit');
  for (let i = 0; i < 50 && exits.length === 0; i++) await sleep(100);
  expect(exits).toEqual([['tiny', 3]]);
  expect(launcher.isRunning('tiny')).toBe(false);
  await expect(launcher.start('failing')).rejects.toThrow(
    /failing exited; see .*failing\.log:\nfailing on purpose/,
  );
  expect(exits).toEqual([
    ['tiny', 3],
    ['failing', 4],
  ]);
}, 60_000);

it('stop() ends every process with SIGTERM', async () => {
  await launcher.start('tiny');
  await launcher.stop();
  expect(launcher.isRunning('tiny')).toBe(false);
  expect(readFileSync(launcher.logFile('tiny'), 'utf8')).toContain('terminating');
  expect(exits).toHaveLength(2); // a stop is no surprise exit
}, 60_000);
