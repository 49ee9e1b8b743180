/**
 * What every benchmark script's main does the same way: timestamped log lines, pinning the load
 * generator to its core, bounded concurrency, and cleanups that run once, also on Ctrl-C.
 */
import { execFileSync } from 'node:child_process';

export const log = (message: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

/** Pins this process (every thread) to `core`; says whether it worked. */
export function pinSelf(core: string): string {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', core, String(process.pid)], { stdio: 'ignore' });
    return `load generator pinned to core ${core}`;
  } catch {
    return 'taskset failed: the load generator is NOT pinned';
  }
}

/** Runs fn over items with at most `limit` at a time. */
export async function concurrently<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

/**
 * The run's cleanups (push as things are created): `cleanup()` runs them once, newest first, each
 * failure reported and the rest still run; SIGINT and SIGTERM run them and exit 130.
 */
export function cleanupOnExit() {
  const cleanups: (() => Promise<void>)[] = [];
  let cleaning: Promise<void> | null = null;
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const c of cleanups.reverse()) {
        try {
          await c();
        } catch (error) {
          console.error(`cleanup: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.on(signal, () => {
      log(`${signal}: cleaning up`);
      void cleanup().then(() => process.exit(130));
    });
  return { cleanups, cleanup };
}
