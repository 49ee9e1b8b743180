/**
 * Headless Chromium for the storefront's browser tests (storefront/test): Debian's `chromium`
 * package, installed with apt-get when it is missing (nothing downloads a browser from anywhere
 * else). `npm run services -- --browser` (part of `npm test`'s set-up) calls it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Where the browser tests find Chromium (CHROMIUM_PATH overrides). */
export const chromiumPath = (env: Record<string, string | undefined> = process.env) =>
  env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function ensureChromium(log: (line: string) => void): void {
  if (existsSync(chromiumPath())) return;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `Chromium is missing at ${chromiumPath()}: install Debian's package (sudo apt-get install chromium)`,
    );
  }
  log('Installing Chromium from Debian (apt-get install chromium)...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'chromium']]) {
    const run = spawnSync('apt-get', args, { env, encoding: 'utf8' });
    if (run.status !== 0)
      throw new Error(`apt-get ${args.join(' ')} failed: ${(run.stderr || run.stdout).trim()}`);
  }
  if (!existsSync(chromiumPath()))
    throw new Error(`apt-get installed chromium but ${chromiumPath()} is missing`);
}
