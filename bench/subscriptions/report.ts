/** The result of `npm run bench:subscriptions` and its Markdown tables. */
import { cpus, release } from 'node:os';
import { table } from '../shop/report';
import type { Checked } from './subscriber';

export interface SubscriptionsResult {
  subscribers: number;
  /** Orders paid in the measurement (one per registered customer); the other subscribers own none. */
  orders: number;
  ratePerSecond: number;
  selection: string;
  connect: { seconds: number; p50Ms: number; p99Ms: number };
  events: Checked & {
    expected: number;
    payErrors: number;
    firstPayError: string | null;
    /** First payment sent → last event delivered. */
    windowSeconds: number;
    perSecond: number;
  };
  router: {
    rssMb: { before: number; withSubscribers: number; afterEvents: number; peak: number };
    idleCpuMsPerSecond: { bare: number; withSubscribers: number };
    /** Router CPU during the events ÷ events delivered; net: less the idle rate with the subscribers. */
    cpuMsPerEvent: { raw: number; net: number };
    cpuDuringEvents: string;
  };
  valid: boolean;
}

const trio = (f: { p50: number; p99: number; max: number }) => `${f.p50} / ${f.p99} / ${f.max}`;

export function subscriptionsReport(
  r: SubscriptionsResult,
  date: string,
  load: { before: number[]; after: number[] },
  placement: { routerCore: string; loadCore: string; quick: boolean },
): string {
  const e = r.events;
  return [
    `# Subscription benchmark (${date.slice(0, 16).replace('T', ' ')} UTC)`,
    '',
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Linux ${release()}, Node ${process.version}; ` +
      `1-min load average ${load.before[0]?.toFixed(1)} before, ${load.after[0]?.toFixed(1)} after. ` +
      `Router pinned to core ${placement.routerCore}, subscribers and load to core ${placement.loadCore}, ` +
      `subgraphs and datastores unpinned. NODE_ENV=production, LOG_LEVEL=warn.` +
      (placement.quick ? ' QUICK RUN: smoke test, not figures.' : ''),
    '',
    `${r.subscribers} graphql-ws connections on one router process (one customer each, \`ws\`), each ` +
      `subscribed to \`myOrderEvents\`. ${r.orders} of the customers are registered and have an order; ` +
      `the orders are paid straight on the payments subgraph at ${r.ratePerSecond}/s, 3 events each ` +
      `(PAYMENT_SUCCEEDED, PAID, NOTIFICATION_SENT), each resolved through the supergraph for its ` +
      `subscriber; the other ${r.subscribers - r.orders} own nothing and must receive nothing. ` +
      `Selection: \`${r.selection}\`.`,
    '',
    table(
      [
        'subscribers',
        'valid',
        'events delivered',
        'events/s',
        'event → delivered p50 / p99 / max ms',
        'NATS → delivered p50 / p99 / max ms',
        'router CPU ms/event (net of idle)',
        'router CPU during events',
      ],
      [
        [
          r.subscribers,
          r.valid ? 'yes' : 'NO',
          `${e.delivered} of ${e.expected}`,
          e.perSecond,
          trio(e.eventToDelivered),
          trio(e.natsToDelivered),
          `${r.router.cpuMsPerEvent.raw} (${r.router.cpuMsPerEvent.net})`,
          r.router.cpuDuringEvents,
        ],
      ],
    ),
    '',
    table(
      [
        'router RSS MB: before',
        `with ${r.subscribers} subscribers`,
        'after the events',
        'peak',
        'router idle CPU ms/s: bare',
        'with subscribers',
        `connecting ${r.subscribers}: s`,
        'connect p50 / p99 ms',
      ],
      [
        [
          r.router.rssMb.before,
          r.router.rssMb.withSubscribers,
          r.router.rssMb.afterEvents,
          r.router.rssMb.peak,
          r.router.idleCpuMsPerSecond.bare,
          r.router.idleCpuMsPerSecond.withSubscribers,
          r.connect.seconds,
          `${r.connect.p50Ms} / ${r.connect.p99Ms}`,
        ],
      ],
    ),
    '',
    table(
      ['event kind', 'event → delivered p50 / p99 / max ms'],
      Object.entries(e.byKind).map(([kind, f]) => [kind, trio(f)]),
    ),
    '',
    `Checks: missing ${e.missing}, extra ${e.extra}, of another customer's order ${e.foreign}, ` +
      `subscription errors ${e.subscriptionErrors}${e.firstSubscriptionError ? ` (first: ${e.firstSubscriptionError})` : ''}, ` +
      `payment errors ${e.payErrors}${e.firstPayError ? ` (first: ${e.firstPayError})` : ''}; ` +
      `${e.natsToDelivered.matched} deliveries matched to their NATS message.`,
  ].join('\n');
}
