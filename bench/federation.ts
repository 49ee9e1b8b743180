/**
 * The standard federation benchmark (graphql-hive/graphql-gateways-benchmark's scenario), run
 * against four gateways one after the other in one run:
 *   subgraphs (one process) and the load generator (autocannon, one process per run) on core 0,
 *   the gateway under test (one process) alone on core 1.
 * Every response body is checked against the expected 87,599-byte response; a run with any failed
 * response is marked invalid and its throughput is not reported.
 *
 *   npm run bench:federation      (tsx bench/federation.ts)
 * Env: BENCH_GATEWAYS (comma list), BENCH_WARMUP_S (10), BENCH_DURATION_S (15), BENCH_SINGLE_S (10),
 *      BENCH_CONNECTIONS (50), BENCH_RESULTS_DIR (bench/results), BENCH_GATEWAY_NODE_ARGS (e.g.
 *      "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the gateways).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { GATEWAY_KINDS, GATEWAY_LABELS, type GatewayKind } from './federation/gateways';
import {
  BENCH_BODY,
  EXPECTED_RESPONSE_BYTES,
  EXPECTED_RESPONSE_SHA256,
  composeBenchSupergraph,
} from './federation/query';
import type { RepresentationCounts, SubgraphCounts, SubgraphName } from './federation/subgraphs';
import type { LoadOptions, LoadResult } from './lib/load';
import { cpuMs, peakRssMb } from './lib/proc';
import { fixed, machine, markdownTable, packageVersion } from './lib/report';
import { runPinned, startPinned, type Pinned } from './lib/spawn';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const LOAD_CPU = '0';
const SUBGRAPHS_CPU = '0';
const GATEWAY_CPU = '1';

const envInt = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
};
const settings = {
  warmupSeconds: envInt('BENCH_WARMUP_S', 10),
  durationSeconds: envInt('BENCH_DURATION_S', 15),
  singleSeconds: envInt('BENCH_SINGLE_S', 10),
  connections: envInt('BENCH_CONNECTIONS', 50),
};
const kinds = (process.env.BENCH_GATEWAYS?.split(',').map((s) => s.trim()) ?? [
  ...GATEWAY_KINDS,
]) as GatewayKind[];
for (const k of kinds) if (!GATEWAY_KINDS.includes(k)) throw new Error(`unknown gateway ${k}`);
/** Extra node flags for the gateway processes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof". */
const gatewayNodeArgs = process.env.BENCH_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
const resultsDir = process.env.BENCH_RESULTS_DIR ?? join(HERE, 'results');

const log = (msg: string) => process.stderr.write(`[bench:federation] ${msg}\n`);
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

interface GatewayResult {
  gateway: GatewayKind;
  label: string;
  valid: boolean;
  problems: string[];
  responseBytes: number;
  subgraphFetchesPerQuery: number;
  subgraphFetchesByName: SubgraphCounts | null;
  /** Entity representations the gateway sent for one query, and how many were distinct per fetch. */
  representationsPerQuery: RepresentationCounts | null;
  /** Subgraph requests per answered query over the 1-connection run. */
  subgraphRequestsPerQueryUnderLoad: number | null;
  /**
   * Subgraph requests per query sent over the run at 50 connections: below the fetches of one query
   * when a gateway shares identical subgraph requests of concurrent queries.
   */
  subgraphRequestsPerQueryAt50: number | null;
  at50: LoadResult | null;
  at1: LoadResult | null;
  /** Gateway CPU (user + system) per query executed in the measured run at 50 connections. */
  cpuMsPerQuery: number | null;
  /** Gateway CPU per query at 1 connection. */
  cpuMsPerQueryAt1: number | null;
  gatewayCpuUtilisation: number | null;
  core0CpuUtilisation: number | null;
  peakRssMb: number | null;
}

async function main() {
  const tmp = mkdtempSync(join(tmpdir(), 'bench-federation-'));
  const started = Date.now();
  const loadBefore = loadavg();
  let subgraphs: Pinned<{ port: number; urls: Record<SubgraphName, string> }> | undefined;
  const results: GatewayResult[] = [];
  try {
    subgraphs = await startPinned(SUBGRAPHS_CPU, join(HERE, 'federation/subgraphs-main.ts'), []);
    const { urls, port } = subgraphs.info;
    const statsUrl = `http://127.0.0.1:${port}/stats`;
    const allStats = async () =>
      (await (await fetch(statsUrl)).json()) as { requests: SubgraphCounts } & RepresentationCounts;
    const stats = async () => (await allStats()).requests;
    const total = (c: SubgraphCounts) => Object.values(c).reduce((a, b) => a + b, 0);
    /** Waits until no subgraph request has arrived for 500 ms (at most 30 s). */
    const quiet = async () => {
      let last = total(await stats());
      for (let i = 0; i < 60; i++) {
        await sleep(500);
        const now = total(await stats());
        if (now === last) return;
        last = now;
      }
      throw new Error('the gateway kept sending subgraph requests 30 s after the load stopped');
    };
    const resetStats = async () => void (await (await fetch(`${statsUrl}/reset`, { method: 'POST' })).text());

    const supergraphFile = join(tmp, 'supergraph.graphql');
    writeFileSync(supergraphFile, composeBenchSupergraph(urls));
    log(`subgraphs on :${port}, supergraph composed`);

    let loadIndex = 0;
    const load = async (options: LoadOptions) => {
      const file = join(tmp, `load-${loadIndex++}.json`);
      writeFileSync(file, JSON.stringify(options));
      return runPinned<LoadResult>(LOAD_CPU, join(HERE, 'lib/load-main.ts'), [file]);
    };

    for (const kind of kinds) {
      const result: GatewayResult = {
        gateway: kind,
        label: GATEWAY_LABELS[kind],
        valid: false,
        problems: [],
        responseBytes: 0,
        subgraphFetchesPerQuery: 0,
        subgraphFetchesByName: null,
        representationsPerQuery: null,
        subgraphRequestsPerQueryUnderLoad: null,
        subgraphRequestsPerQueryAt50: null,
        at50: null,
        at1: null,
        cpuMsPerQuery: null,
        cpuMsPerQueryAt1: null,
        gatewayCpuUtilisation: null,
        core0CpuUtilisation: null,
        peakRssMb: null,
      };
      results.push(result);
      log(`${kind}: starting`);
      let gateway: Pinned<{ url: string; port: number }> | undefined;
      try {
        gateway = await startPinned(
          GATEWAY_CPU,
          join(HERE, 'federation/gateway-main.ts'),
          [kind],
          {
            SUPERGRAPH_FILE: supergraphFile,
            SUBGRAPH_URLS: JSON.stringify(urls),
          },
          60_000,
          gatewayNodeArgs,
        );
        const { url } = gateway.info;

        // one request: the exact response and the subgraph fetches of one query
        await resetStats();
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: BENCH_BODY,
        });
        const text = await res.text();
        const body = text.endsWith('\n') ? text.slice(0, -1) : text;
        result.responseBytes = Buffer.byteLength(body);
        const { requests: counts, representations, distinct } = await allStats();
        result.subgraphFetchesByName = counts;
        result.representationsPerQuery = { representations, distinct };
        result.subgraphFetchesPerQuery = total(counts);
        if (res.status !== 200) result.problems.push(`HTTP ${res.status}`);
        if (body.includes('"errors"')) result.problems.push(`errors: ${body.slice(0, 300)}`);
        if (sha256(body) !== EXPECTED_RESPONSE_SHA256)
          result.problems.push(
            `response differs (${result.responseBytes} bytes, expected ${EXPECTED_RESPONSE_BYTES})`,
          );
        if (result.problems.length) {
          log(`${kind}: wrong response, not loaded: ${result.problems.join('; ')}`);
          continue;
        }
        // the exact bytes this gateway sends (with or without its trailing newline)
        const expectedBodies = [body, `${body}\n`];
        const base = { url, body: BENCH_BODY, expectedBodies };

        log(`${kind}: warm-up ${settings.warmupSeconds} s at ${settings.connections} connections`);
        const warm = await load({
          ...base,
          connections: settings.connections,
          durationSeconds: settings.warmupSeconds,
        });
        if (!warm.valid) result.problems.push(`warm-up had failures: ${JSON.stringify(warm)}`);

        log(`${kind}: ${settings.durationSeconds} s at ${settings.connections} connections`);
        // queries abandoned by a finished autocannon run still execute: start from a quiet gateway
        await quiet();
        const sub0 = total(await stats());
        const cpu0 = cpuMs(gateway.pid);
        const core0 = cpuMs(subgraphs.pid);
        const t0 = process.hrtime.bigint();
        const at50 = await load({
          ...base,
          connections: settings.connections,
          durationSeconds: settings.durationSeconds,
        });
        const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
        const cpuLoad = cpuMs(gateway.pid);
        const core1 = cpuMs(subgraphs.pid);
        // and end when the queries in flight at the end have finished, counting them too (every
        // request autocannon sent; a gateway that drops abandoned queries looks a little cheaper)
        await quiet();
        const cpu1 = cpuMs(gateway.pid);
        result.subgraphRequestsPerQueryAt50 =
          at50.sent > 0 ? (total(await stats()) - sub0) / at50.sent : null;
        result.at50 = at50;
        if (!at50.valid) result.problems.push(`failed responses at ${settings.connections} connections`);
        result.cpuMsPerQuery = at50.sent > 0 ? (cpu1 - cpu0) / at50.sent : null;
        result.gatewayCpuUtilisation = (cpuLoad - cpu0) / wallMs;
        // subgraphs only: the load generator's own CPU is not in here (it is a separate process)
        result.core0CpuUtilisation = (core1 - core0) / wallMs;

        log(`${kind}: ${settings.singleSeconds} s at 1 connection`);
        await quiet();
        const subBefore1 = total(await stats());
        const cpuBefore1 = cpuMs(gateway.pid);
        const at1 = await load({ ...base, connections: 1, durationSeconds: settings.singleSeconds });
        const cpuAfter1 = cpuMs(gateway.pid);
        await quiet();
        const subAfter1 = total(await stats());
        result.at1 = at1;
        // at 1 connection at most one query is in flight when the run ends (and finished by now)
        const answered1 = at1.requests + at1.mismatches;
        result.subgraphRequestsPerQueryUnderLoad = at1.sent ? (subAfter1 - subBefore1) / at1.sent : null;
        result.cpuMsPerQueryAt1 = answered1 ? (cpuAfter1 - cpuBefore1) / answered1 : null;
        if (!at1.valid) result.problems.push('failed responses at 1 connection');
        result.peakRssMb = peakRssMb(gateway.pid);
        result.valid = result.problems.length === 0;
        log(
          `${kind}: ${result.valid ? 'valid' : 'INVALID'}, ${at50.requestsPerSecond} req/s, ` +
            `${fixed(result.cpuMsPerQuery, 2)} ms CPU/query, gateway CPU ${fixed((result.gatewayCpuUtilisation ?? 0) * 100, 0)}%, ` +
            `subgraphs CPU ${fixed((result.core0CpuUtilisation ?? 0) * 100, 0)}%, peak RSS ${fixed(result.peakRssMb)} MB`,
        );
      } catch (err) {
        result.problems.push(String(err instanceof Error ? err.message : err).slice(0, 2000));
        log(`${kind}: failed: ${result.problems.at(-1)}`);
      } finally {
        await gateway?.stop();
      }
    }
  } finally {
    await subgraphs?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }

  const date = new Date().toISOString().slice(0, 10);
  const report = {
    benchmark: 'graphql-gateways-benchmark federation (TestQuery, 4 subgraphs)',
    date: new Date().toISOString(),
    wallSeconds: Math.round((Date.now() - started) / 1000),
    settings,
    pinning: {
      gateway: `core ${GATEWAY_CPU} (alone)`,
      subgraphs: `core ${SUBGRAPHS_CPU}`,
      loadGenerator: `core ${LOAD_CPU} (autocannon, own process)`,
    },
    machine: machine(),
    /** Other processes share this machine: its load average before and after the run. */
    loadAverage: { before: loadBefore, after: loadavg() },
    versions: Object.fromEntries(
      [
        '@apollo/gateway',
        '@apollo/server',
        '@apollo/subgraph',
        '@graphql-hive/gateway',
        '@graphql-hive/gateway-runtime',
        '@graphql-hive/router-runtime',
        'autocannon',
        'graphql',
      ].map((n) => [n, packageVersion(n)]),
    ),
    expected: { bytes: EXPECTED_RESPONSE_BYTES, sha256: EXPECTED_RESPONSE_SHA256 },
    results,
  };
  const markdown = renderMarkdown(report.date, report.machine, results, report.loadAverage);
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, `federation-${date}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(resultsDir, `federation-${date}.md`), markdown);
  writeFileSync(join(resultsDir, 'latest-federation.md'), markdown);
  process.stdout.write(`${markdown}\n`);
  log(`done in ${report.wallSeconds} s; results in ${resultsDir}`);
  if (results.some((r) => !r.valid)) process.exitCode = 1;
}

function renderMarkdown(
  date: string,
  m: ReturnType<typeof machine>,
  results: GatewayResult[],
  load: { before: number[]; after: number[] },
): string {
  const c = settings.connections;
  const rows = results.map((r) => {
    const ok = r.valid;
    return [
      r.label,
      ok ? 'yes' : `**no**: ${r.problems.join('; ').replace(/\|/g, '/').slice(0, 120)}`,
      ok ? fixed(r.at50?.requestsPerSecond) : '–',
      fixed(r.at50?.latencyMs.p50, 2),
      fixed(r.at50?.latencyMs.p99, 2),
      fixed(r.at1?.latencyMs.p50, 2),
      fixed(r.at1?.latencyMs.p99, 2),
      ok ? fixed(r.at1?.requestsPerSecond) : '–',
      fixed(r.cpuMsPerQuery, 2),
      fixed(r.cpuMsPerQueryAt1, 2),
      r.gatewayCpuUtilisation === null ? '–' : `${Math.round(r.gatewayCpuUtilisation * 100)}%`,
      fixed(r.peakRssMb, 0),
      r.subgraphFetchesPerQuery || '–',
      r.representationsPerQuery
        ? `${r.representationsPerQuery.representations} / ${r.representationsPerQuery.distinct}`
        : '–',
      fixed(r.subgraphRequestsPerQueryAt50, 2),
      fixed(r.subgraphRequestsPerQueryUnderLoad, 2),
    ];
  });
  return [
    `## Federation benchmark (${date.slice(0, 10)})`,
    '',
    `graphql-gateways-benchmark's \`TestQuery\` (response ${EXPECTED_RESPONSE_BYTES} bytes, checked on every response). ` +
      `Gateway alone on core 1; subgraphs (one Node process) and autocannon on core 0. ` +
      `${settings.warmupSeconds} s warm-up, ${settings.durationSeconds} s at ${c} connections, ${settings.singleSeconds} s at 1 connection. ` +
      `${m.cpu}, ${m.cores} cores, Node ${m.node}; 1-min load average ${fixed(load.before[0], 1)} before, ` +
      `${fixed(load.after[0], 1)} after (other processes on the machine take CPU from every figure; ` +
      `"gateway CPU" below 100% at ${c} connections shows how much).`,
    '',
    `CPU ms/query @${c}: gateway process CPU (/proc stat) from the start of the run until its last ` +
      `subgraph request, ÷ requests sent. Entity representations: per query, all / distinct per fetch.`,
    '',
    markdownTable(
      [
        'gateway',
        'valid',
        `req/s @${c}`,
        `p50 ms @${c}`,
        `p99 ms @${c}`,
        'p50 ms @1',
        'p99 ms @1',
        'req/s @1',
        `CPU ms/query @${c}`,
        'CPU ms/query @1',
        'gateway CPU',
        'peak RSS MB',
        'subgraph fetches/query',
        'entity representations sent / distinct',
        `subgraph req/query @${c}`,
        'subgraph req/query @1',
      ],
      rows,
    ),
    '',
  ].join('\n');
}

await main();
