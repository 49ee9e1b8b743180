import type { Logger } from './logger';

/** Anything a service starts and must stop on shutdown (a loop, a consumer, a set of endpoints). */
export interface Stoppable {
  stop(): Promise<void>;
}

export interface Loop extends Stoppable {
  /** Runs the task as soon as possible (used after a commit that wrote work for it). */
  wake(): void;
}

/**
 * The one way to run a background job: `task` every `intervalMs` (never overlapping itself) until
 * stopped; errors are logged with the job's name and the next tick tries again. `wake()` runs it now
 * instead of at the next tick: at once when idle, or right after the current run when one is under
 * way (wake-ups during a run coalesce into one). `stop()` waits for a run under way.
 */
export function every(intervalMs: number, task: () => Promise<unknown>, log: Logger, name: string): Loop {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  const tick = () => {
    clearTimeout(timer);
    timer = undefined;
    again = false;
    running = task()
      .then(() => undefined)
      .catch((error: unknown) => log.error({ err: error, task: name }, 'background task failed'))
      .finally(() => {
        running = null;
        if (stopped) return;
        if (again) tick();
        else timer = setTimeout(tick, intervalMs);
      });
  };
  timer = setTimeout(tick, intervalMs);
  return {
    wake() {
      if (stopped) return;
      if (running) again = true;
      else tick();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/** Stops what was started, last first; every stop runs even when an earlier one fails. */
export async function stopAll(tasks: Stoppable[]): Promise<void> {
  const errors: unknown[] = [];
  for (const task of tasks.splice(0).reverse()) {
    await task.stop().catch((error: unknown) => errors.push(error));
  }
  if (errors.length) throw errors[0];
}
