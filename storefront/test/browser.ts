/**
 * The browser suite's harness: the storefront built against a test environment's graph and PSP and
 * served by `vite preview`, and headless Chromium from Debian (scripts/datastores/browser.ts) driven
 * by playwright-core. Nothing downloads a browser: the executable is the system's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@shop/graph';
import { waitFor } from '@shop/testing';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumPath } from '../../scripts/datastores/browser';

const root = fileURLToPath(new URL('..', import.meta.url));
const vite = fileURLToPath(new URL('../../node_modules/vite/bin/vite.js', import.meta.url));

/** Runs vite in its own process (its bundler does not load inside jest's module VM). */
function runVite(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [vite, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function exited(child: ChildProcess): Promise<void> {
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`vite exited ${code}: ${output}`)),
    ),
  );
}

/** As root on a machine with a closed network Chromium needs these (or its background calls fail). */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Storefront {
  /** The storefront's origin, e.g. http://localhost:41234 (what CORS_ORIGINS must allow). */
  origin: string;
  stop(): Promise<void>;
}

/** A free port for the storefront, known before the graph starts (its CORS_ORIGINS needs it). */
export async function storefrontOrigin(): Promise<string> {
  return `http://localhost:${await freePort()}`;
}

/** Builds the storefront for `graphqlUrl` and `pspUrl` into a fresh folder and serves it at `origin`. */
export async function startStorefront(
  origin: string,
  urls: { graphqlUrl: string; pspUrl: string },
): Promise<Storefront> {
  const outDir = mkdtempSync(join(tmpdir(), 'storefront-'));
  const env = { VITE_GRAPHQL_URL: urls.graphqlUrl, VITE_PSP_URL: urls.pspUrl };
  await exited(runVite(['build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], env));
  const port = new URL(origin).port;
  const server = runVite(
    ['preview', '--outDir', outDir, '--port', port, '--host', 'localhost', '--strictPort'],
    env,
  );
  const gone = exited(server).catch(() => undefined);
  await waitFor(() => fetch(origin).then((res) => res.ok), { timeoutMs: 30_000 });
  return {
    origin,
    async stop() {
      server.kill('SIGTERM');
      await gone;
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
}

const axeSource = readFileSync(fileURLToPath(import.meta.resolve('axe-core/axe.min.js')), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** The page's serious and critical accessibility violations (axe-core, WCAG 2.1 A and AA rules). */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(o: object): Promise<{ violations: AxeViolation[] }> } })
      .axe;
    const result = await axe.run({
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
