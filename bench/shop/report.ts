/** The Markdown tables of `npm run bench:shop`. */
import type { CheckoutResult } from './checkout';
import type { LoadResult } from './load';
import type { NPlusOneResult } from './nplusone';
import type { Protocol } from '@shop/testing';

export interface QueryFigures {
  name: string;
  subgraph: string;
  gateway: { c50: LoadResult; c1: LoadResult };
  direct: { c50: LoadResult; c1: LoadResult };
}

export function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.map(String).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '–');
const rps = (r: LoadResult) =>
  r.valid && r.requestsPerSecond !== null ? r.requestsPerSecond.toFixed(0) : 'INVALID';
const lat = (r: LoadResult, q: 'p50' | 'p99') => (r.valid ? ms(r.latencyMs[q]) : 'INVALID');

export function queriesTable(figures: QueryFigures[]): string {
  const rows: (string | number)[][] = [];
  for (const f of figures) {
    rows.push([
      f.name,
      'gateway',
      rps(f.gateway.c50),
      lat(f.gateway.c50, 'p99'),
      lat(f.gateway.c1, 'p50'),
      lat(f.gateway.c1, 'p99'),
    ]);
    rows.push([
      f.name,
      `subgraph: ${f.subgraph}`,
      rps(f.direct.c50),
      lat(f.direct.c50, 'p99'),
      lat(f.direct.c1, 'p50'),
      lat(f.direct.c1, 'p99'),
    ]);
  }
  const overhead = figures.map((f) => {
    const valid = f.gateway.c1.valid && f.direct.c1.valid;
    return [
      f.name,
      valid ? ms(f.gateway.c1.latencyMs.p50) : 'INVALID',
      valid ? ms(f.direct.c1.latencyMs.p50) : 'INVALID',
      valid ? ms(f.gateway.c1.latencyMs.p50 - f.direct.c1.latencyMs.p50) : 'INVALID',
    ];
  });
  return [
    table(['query', 'target', 'req/s @50 conn', 'p99 ms @50', 'p50 ms @1 conn', 'p99 ms @1'], rows),
    '',
    table(['query', 'gateway p50 ms @1', 'subgraph p50 ms @1', 'gateway overhead ms (p50)'], overhead),
  ].join('\n');
}

export function checkoutTable(r: CheckoutResult): string {
  const errors = Object.entries(r.errorKinds)
    .map(([k, n]) => `${n}× ${k}`)
    .join('; ');
  return [
    table(
      [
        'shoppers',
        'seconds',
        'placed',
        'paid',
        'paid orders/s',
        'errors',
        'place+pay p50 / p99 ms',
        'confirmed',
        'payment → confirmation p50 / p99 / max ms',
      ],
      [
        [
          r.shoppers,
          r.seconds,
          r.placed,
          r.paid,
          r.valid ? r.paidPerSecond : `${r.paidPerSecond} (INVALID)`,
          r.errors,
          `${ms(r.loopMs.p50)} / ${ms(r.loopMs.p99)}`,
          `${r.confirmed} of ${r.paid}`,
          `${r.confirmationMs.p50} / ${r.confirmationMs.p99} / ${r.confirmationMs.max}`,
        ],
      ],
    ),
    ...(errors ? ['', `Errors: ${errors}`] : []),
  ].join('\n');
}

const STORES: [Protocol, string][] = [
  ['postgres', 'PostgreSQL (users)'],
  ['mysql', 'MariaDB (orders)'],
  ['mongo', 'FerretDB (products)'],
  ['redis', 'Redis (payments) trips / cmds'],
  ['nats', 'NATS KV (notifications)'],
];

export function nPlusOneTable(result: NPlusOneResult): string {
  const rows = result.rows.map((r) => [
    r.query,
    r.size,
    ...STORES.map(([p]) => (p === 'redis' ? `${r.roundTrips[p]} / ${r.requests[p]}` : r.roundTrips[p])),
  ]);
  const flat = Object.entries(result.flat).map(([q, ok]) => `- ${q}: ${ok ? 'flat' : 'NOT flat'}`);
  return [table(['query', 'N', ...STORES.map(([, name]) => name)], rows), '', ...flat].join('\n');
}
