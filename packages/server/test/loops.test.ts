import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '@shop/testing';
import { every, stopAll, type Logger } from '../src/index';

/** A logger that keeps what every() reports. */
function recordingLog() {
  const errors: { obj: unknown; msg: string }[] = [];
  const log = { error: (obj: unknown, msg: string) => errors.push({ obj, msg }) } as unknown as Logger;
  return { log, errors };
}

describe('every()', () => {
  it('runs on wake() at once, coalesces wake-ups during a run into one more run, and stops', async () => {
    let runs = 0;
    let release: (() => void) | null = null;
    const loop = every(
      60_000,
      () =>
        new Promise<void>((resolve) => {
          runs += 1;
          release = resolve;
        }),
      recordingLog().log,
      'test',
    );
    loop.wake();
    expect(runs).toBe(1);
    loop.wake();
    loop.wake();
    expect(runs).toBe(1); // still running: remembered, not overlapped
    release!();
    await waitFor(() => runs === 2 || null, { timeoutMs: 1_000, intervalMs: 5 });
    release!();
    await sleep(50);
    expect(runs).toBe(2); // the three wake-ups gave one extra run
    await loop.stop();
    loop.wake();
    expect(runs).toBe(2);
  });

  it('runs every interval, logs a failed run with the job name and keeps going', async () => {
    const { log, errors } = recordingLog();
    let runs = 0;
    const loop = every(
      10,
      async () => {
        runs += 1;
        if (runs === 1) throw new Error('boom');
      },
      log,
      'the job',
    );
    await waitFor(() => runs >= 3 || null, { timeoutMs: 2_000, intervalMs: 5 });
    await loop.stop();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toBe('background task failed');
    expect(errors[0]!.obj).toMatchObject({
      task: 'the job',
      err: expect.objectContaining({ message: 'boom' }),
    });
    const after = runs;
    await sleep(50);
    expect(runs).toBe(after); // stopped for good
  });

  it('stop() waits for the run under way', async () => {
    let finished = false;
    const loop = every(
      60_000,
      async () => {
        await sleep(100);
        finished = true;
      },
      recordingLog().log,
      'slow',
    );
    loop.wake();
    await loop.stop();
    expect(finished).toBe(true);
  });
});

describe('stopAll()', () => {
  it('stops the last started first, runs every stop although one fails, then throws that failure', async () => {
    const order: string[] = [];
    const task = (name: string, fail = false) => ({
      async stop() {
        order.push(name);
        if (fail) throw new Error(`${name} failed`);
      },
    });
    const running = [task('messaging'), task('jobs', true), task('server')];
    await expect(stopAll(running)).rejects.toThrow('jobs failed');
    expect(order).toEqual(['server', 'jobs', 'messaging']);
    expect(running).toHaveLength(0); // a second stopAll stops nothing twice
  });
});
