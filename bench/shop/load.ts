/**
 * Fixed-duration autocannon runs (in this process, which shop.ts pins to the load core) where every
 * response body is validated: a body that fails its check is a mismatch, and a run with any mismatch,
 * error, timeout or non-2xx response is invalid and reports no throughput.
 */
import { createRequire } from 'node:module';

// autocannon 8 ships no types: the part of its programmatic API used here.
interface AutocannonResult {
  errors: number;
  timeouts: number;
  mismatches: number;
  non2xx: number;
  duration: number;
}
interface AutocannonInstance {
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, ms: number) => void): void;
  on(event: 'mismatch', listener: (client: unknown, body: string) => void): void;
  on(event: 'reqError', listener: (error: Error) => void): void;
}
type Autocannon = (
  options: {
    url: string;
    connections: number;
    duration: number;
    method: 'POST';
    headers: Record<string, string>;
    body: string;
    verifyBody: (body: string) => boolean;
    timeout: number;
  },
  callback: (err: Error | null, result: AutocannonResult) => void,
) => AutocannonInstance;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export interface LoadSpec {
  url: string;
  headers: Record<string, string>;
  query: string;
  variables?: Record<string, unknown>;
  /** Throws (with the reason) unless the parsed response is the expected one. */
  validate: (response: unknown) => void;
}

export interface LoadResult {
  connections: number;
  seconds: number;
  /** 2xx responses whose body passed validation. */
  requests: number;
  /** Null when the run was invalid. */
  requestsPerSecond: number | null;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  mismatches: number;
  valid: boolean;
  /** The first rejected body and why (for the report). */
  firstFailure?: string;
}

export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const round = (n: number) => Math.round(n * 100) / 100;

/**
 * Validates the body once per distinct text (the responses of a read query are byte-identical
 * when correct), so validation costs the load generator little.
 */
function bodyValidator(validate: LoadSpec['validate'], onFailure: (reason: string) => void) {
  const good = new Set<string>();
  return (body: string): boolean => {
    if (good.has(body)) return true;
    try {
      validate(JSON.parse(body));
      if (good.size < 100) good.add(body);
      return true;
    } catch (error) {
      onFailure(`${error instanceof Error ? error.message : String(error)}: ${body.slice(0, 300)}`);
      return false;
    }
  };
}

export function runLoad(spec: LoadSpec, connections: number, seconds: number): Promise<LoadResult> {
  const samples: number[] = [];
  let firstFailure: string | undefined;
  const verifyBody = bodyValidator(spec.validate, (reason) => {
    firstFailure ??= reason;
  });
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        connections,
        duration: seconds,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...spec.headers },
        body: JSON.stringify({ query: spec.query, variables: spec.variables ?? {} }),
        verifyBody,
        timeout: 10,
      },
      (err, result) => {
        if (err) return reject(err);
        samples.sort((a, b) => a - b);
        const requests = Math.max(0, samples.length - result.mismatches);
        const valid =
          result.errors + result.timeouts + result.non2xx + result.mismatches === 0 && requests > 0;
        resolve({
          connections,
          seconds,
          requests,
          requestsPerSecond: valid ? Math.round((requests / result.duration) * 10) / 10 : null,
          latencyMs: {
            p50: round(percentile(samples, 0.5)),
            p90: round(percentile(samples, 0.9)),
            p99: round(percentile(samples, 0.99)),
            max: round(samples[samples.length - 1] ?? Number.NaN),
          },
          errors: result.errors,
          timeouts: result.timeouts,
          non2xx: result.non2xx,
          mismatches: result.mismatches,
          valid,
          ...(firstFailure || requests === 0
            ? { firstFailure: firstFailure ?? 'no response completed within the run' }
            : {}),
        });
      },
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) samples.push(ms);
      else firstFailure ??= `HTTP ${status}`;
    });
    instance.on('reqError', (error) => {
      firstFailure ??= `request error: ${error.message}`;
    });
  });
}

/** One request outside the load run: validates the response and returns it (a check before a run). */
export async function probe(spec: LoadSpec): Promise<unknown> {
  const res = await fetch(spec.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...spec.headers },
    body: JSON.stringify({ query: spec.query, variables: spec.variables ?? {} }),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text.slice(0, 300)}`);
  const body = JSON.parse(text) as unknown;
  spec.validate(body);
  return body;
}
