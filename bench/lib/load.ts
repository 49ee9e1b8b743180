import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  connections: number;
  durationSeconds: number;
  body: string;
  /** A response is valid only if its body is exactly one of these strings (and its status 2xx). */
  expectedBodies: string[];
  headers?: Record<string, string>;
  /** Stop after this many responses instead of after durationSeconds (tests: no timing races). */
  amount?: number;
}

export interface LoadResult {
  connections: number;
  durationSeconds: number;
  /** 2xx responses with a valid body. */
  requests: number;
  /** Requests written, including those still in flight when the run stopped. */
  sent: number;
  requestsPerSecond: number;
  /** Milliseconds, from every 2xx response's own timing (not autocannon's whole-ms histogram). */
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  mismatches: number;
  /** False if any response failed: such a run is never reported as throughput. */
  valid: boolean;
}

/** The value at quantile q (0..1) of sorted samples (nearest rank). */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** A fixed-duration autocannon run of POST requests; every response body is checked. */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const expected = new Set(options.expectedBodies);
  const samples: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationSeconds,
        ...(options.amount ? { amount: options.amount } : {}),
        method: 'POST',
        headers: { 'content-type': 'application/json', ...options.headers },
        body: options.body,
        verifyBody: (body) => expected.has(body),
        // at 50 connections a 25 req/s gateway answers in 2 s on average: room for its tail
        timeout: 30,
      },
      (err, result) => {
        if (err) return reject(err);
        samples.sort((a, b) => a - b);
        const bad = result.errors + result.timeouts + result.non2xx + result.mismatches;
        const requests = Math.max(0, samples.length - result.mismatches);
        resolve({
          connections: options.connections,
          durationSeconds: options.durationSeconds,
          requests,
          sent: result.requests.sent,
          requestsPerSecond: round(requests / result.duration, 1),
          latencyMs: {
            p50: round(percentile(samples, 0.5)),
            p90: round(percentile(samples, 0.9)),
            p99: round(percentile(samples, 0.99)),
            max: round(samples[samples.length - 1] ?? Number.NaN),
            mean: round(samples.reduce((s, v) => s + v, 0) / (samples.length || 1)),
          },
          errors: result.errors,
          timeouts: result.timeouts,
          non2xx: result.non2xx,
          mismatches: result.mismatches,
          valid: bad === 0 && requests > 0,
        });
      },
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      if (statusCode >= 200 && statusCode < 300) samples.push(responseTime);
    });
  });
}
