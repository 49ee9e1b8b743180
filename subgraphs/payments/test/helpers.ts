import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROUTER_SECRET_HEADER, createTokenVerifier, type Viewer } from '@shop/auth';
import { loadConfig } from '@shop/config';
import {
  connectNats,
  endpoint,
  jetstreamManager,
  natsNames,
  PayableRequest,
  PaymentEvent,
  serveEndpoints,
  type NatsConnection,
  type PayableReply,
} from '@shop/messaging';
import { createLogger } from '@shop/server';
import {
  createTestIssuer,
  endpoints,
  gql,
  memoryLog,
  natsPrefix,
  redisPrefix,
  runId,
  type TestIssuer,
  deleteStreams,
  dumpRedis,
  waitFor,
} from '@shop/testing';
import { configSchema, createApp, type AppOverrides, type PaymentsApp } from '../src/index';
import { freePort, PSP_SECRET_KEY, PSP_WEBHOOK_SECRET, TEST_CARDS, TestPsp } from './psp';

export { PSP_SECRET_KEY, PSP_WEBHOOK_SECRET, TEST_CARDS, TestPsp };
export const ROUTER_SECRET = 'payments-test-router-secret';
export const YEAR = new Date().getUTCFullYear();

export const PAY = /* GraphQL */ `
  mutation Pay($input: PayOrderInput!) {
    payOrder(input: $input) {
      __typename
      ... on Error {
        message
      }
      ... on PaymentSucceeded {
        payment {
          ...P
        }
      }
      ... on CardDeclinedError {
        declineReason: reason
        payment {
          ...P
        }
      }
      ... on PaymentRequiresAction {
        payment {
          ...P
        }
        action {
          type
          url
          expiresAt
        }
      }
      ... on InvalidInputError {
        field
      }
      ... on OrderNotPayableError {
        status
      }
      ... on PaymentOrderNotFoundError {
        orderId
      }
      ... on PaymentIdempotencyKeyReusedError {
        idempotencyKey
      }
    }
  }
  fragment P on Payment {
    id
    status
    failureReason
    createdAt
    amount {
      amount
      currency
    }
    card {
      brand
      last4
      expMonth
      expYear
    }
    order {
      id
    }
  }
`;

export interface PaymentData {
  id: string;
  status: string;
  failureReason: string | null;
  amount: { amount: number; currency: string };
  card: { brand: string; last4: string; expMonth: number; expYear: number };
  order: { id: string };
}
export interface PayResult {
  __typename: string;
  action?: { type: string; url: string; expiresAt: string };
  message?: string;
  payment?: PaymentData;
  reason?: string;
  declineReason?: string;
  field?: string;
  status?: string;
}

export type CardFields = ReturnType<typeof card>;

export const card = (
  number: string,
  extra: Partial<{ expMonth: number; expYear: number; cvc: string; holderName: string }> = {},
) => ({
  number,
  expMonth: 12,
  expYear: YEAR + 2,
  cvc: '739',
  holderName: 'Ada Lovelace',
  ...extra,
});

export interface StubOrder {
  userId: string;
  amount: { amount: number; currency: string };
  status: string;
}

/**
 * A payments app against real Redis and NATS (own prefixes), a stub orders.payable responder over
 * NATS, a token issuer and a captured log.
 *
 * The stub finds orders whatever the letter case of the id, as MariaDB's case-insensitive collation
 * did before issue 16: a test of canonical ids then fails unless payments itself refuses a variant.
 * It counts the payable requests it receives per id as sent (`payableAsked`).
 */
export async function bootPayments(
  label: string,
  overrides: AppOverrides = {},
  options: {
    natsPrefix?: string;
    issuer?: TestIssuer;
    stubOrders?: boolean;
    /** Another Redis URL for the app (a counting proxy); keys and dumps stay on the same Redis. */
    redisUrl?: string;
    /** More config variables. */
    env?: Record<string, string>;
    /** The file's test PSP (started here, stopped by close()); a fresh one by default. */
    psp?: TestPsp;
    /** Where the PSP posts its webhooks (default: this payments app's /webhooks/provider). */
    webhookUrl?: string;
  } = {},
) {
  const psp = options.psp ?? new TestPsp();
  const port = await freePort();
  await psp.start(options.webhookUrl ?? `http://127.0.0.1:${port}/webhooks/provider`);
  const redis = redisPrefix(label);
  const prefix = options.natsPrefix ?? natsPrefix(label);
  const names = natsNames(prefix);
  const log = memoryLog();
  const logger = createLogger({ name: 'payments', level: 'debug' }, log.stream);
  const issuer: TestIssuer = options.issuer ?? (await createTestIssuer());
  const config = loadConfig(configSchema, {
    PORT: String(port),
    REDIS_URL: options.redisUrl ?? endpoints.redis,
    REDIS_PREFIX: redis.prefix,
    NATS_URL: endpoints.nats,
    NATS_PREFIX: prefix,
    ROUTER_SECRET,
    ORDERS_TIMEOUT_MS: '400',
    PSP_URL: psp.url,
    PSP_SECRET_KEY,
    PSP_WEBHOOK_SECRET,
    ...options.env,
  });
  const app: PaymentsApp = await createApp(config, {
    log: logger,
    verifyToken: createTokenVerifier({ jwks: issuer.jwks }),
    ...overrides,
  });
  const { url } = await app.start();

  const nc: NatsConnection = await connectNats(endpoints.nats, 'payments-test');
  const orders = new Map<string, StubOrder>();
  const payableAsked: string[] = [];
  let payableHook: ((orderId: string) => Promise<void>) | undefined;
  let ordersUp = true;
  const stub =
    options.stubOrders === false
      ? null
      : serveEndpoints(
          nc,
          names.services.orders,
          [
            endpoint({
              name: 'payable',
              subject: names.commands.ordersPayable,
              schema: PayableRequest,
              handler: async (req): Promise<PayableReply> => {
                payableAsked.push(req.orderId);
                await payableHook?.(req.orderId);
                if (!ordersUp) await sleep(2_000);
                const order = orders.get(req.orderId.toLowerCase());
                if (!order) return { ok: false, code: 'NOT_FOUND', message: 'no such order' };
                if (order.userId !== req.userId)
                  return { ok: false, code: 'FORBIDDEN', message: 'not yours' };
                if (order.status !== 'PENDING')
                  return { ok: false, code: 'NOT_PAYABLE', message: 'not payable', status: order.status };
                return {
                  ok: true,
                  orderId: req.orderId,
                  userId: order.userId,
                  amount: order.amount,
                  status: order.status,
                };
              },
            }),
          ],
          logger,
        );
  await nc.flush();

  const headersFor = async (viewer: Viewer | null): Promise<Record<string, string>> => {
    const h: Record<string, string> = { [ROUTER_SECRET_HEADER]: ROUTER_SECRET };
    if (viewer) h.authorization = await issuer.bearer(viewer);
    return h;
  };

  return {
    app,
    psp,
    url,
    port,
    webhookUrl: `http://127.0.0.1:${port}/webhooks/provider`,
    log,
    names,
    nc,
    redisPrefix: redis.prefix,
    orders,
    payableAsked,
    setOrdersUp: (up: boolean) => {
      ordersUp = up;
    },
    /** Runs inside the stub's payable handler, before it answers (undefined: none). */
    setPayableHook: (hook?: (orderId: string) => Promise<void>) => {
      payableHook = hook;
    },
    customer: (): Viewer => ({ id: randomUUID(), role: 'CUSTOMER', email: `${runId('e')}@example.test` }),
    admin: (): Viewer => ({ id: randomUUID(), role: 'ADMIN', email: `${runId('e')}@example.test` }),
    /** A stub order with an id of the issued form (a lower-case UUID). */
    newOrder(userId: string, amount = 4999, status = 'PENDING') {
      const id = randomUUID();
      orders.set(id, { userId, amount: { amount, currency: 'EUR' }, status });
      return id;
    },
    headersFor,
    async pay(viewer: Viewer | null, input: Record<string, unknown>) {
      const res = await gql<{ payOrder: PayResult }>(url, PAY, { input }, await headersFor(viewer));
      return res;
    },
    async query<T = Record<string, unknown>>(
      viewer: Viewer | null,
      query: string,
      variables?: Record<string, unknown>,
    ) {
      return gql<T>(url, query, variables, await headersFor(viewer));
    },
    /** Every event in this run's PAYMENTS stream. */
    async streamEvents(): Promise<{ subject: string; event: PaymentEvent }[]> {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(names.streams.payments);
      const out: { subject: string; event: PaymentEvent }[] = [];
      for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
        const msg = await jsm.streams.getMessage(names.streams.payments, { seq }).catch(() => null);
        if (msg) out.push({ subject: msg.subject, event: PaymentEvent.parse(msg.json()) });
      }
      return out;
    },
    /** A token of a test card (the number only; the rest of card()). */
    token: (number: string = TEST_CARDS.SUCCESS, extra: Parameters<typeof card>[1] = {}) =>
      psp.tokenize(card(number, extra)),
    async close() {
      await stub?.stop();
      await app.stop();
      await psp.stop();
      await deleteStreams(nc, names);
      await nc.drain();
      await redis.cleanup();
    },
  };
}
export type Harness = Awaited<ReturnType<typeof bootPayments>>;

/** Every key under a prefix with its full value rendered as text, for secret scans. */
export { dumpRedis };

/**
 * The keys under the prefix once earlier tests' writes are over (their outbox relayed, the PSP's
 * webhooks delivered), without the marks of handled webhooks: a test that checks "nothing was
 * written" compares these.
 */
export async function quietKeys(h: Harness, psp: { webhooksPending(): number }): Promise<string[]> {
  await waitFor(async () => psp.webhooksPending() === 0 && (await h.app.repository.outboxLength()) === 0);
  return (await dumpRedis(h.redisPrefix))
    .filter((line) => !line.startsWith(`${h.redisPrefix}webhook:`))
    .sort();
}

/**
 * The lines that give away a card number (anywhere, spaces and dashes ignored) or a CVC (as a token
 * of its own, not inside a longer id or number).
 */
export function leaks(texts: string[], numbers: string[], cvcs: string[]): string[] {
  return texts.filter(
    (text) =>
      numbers.some((n) => text.replace(/[\s-]/g, '').includes(n)) ||
      cvcs.some((c) => new RegExp(`(?<![0-9A-Za-z])${c}(?![0-9A-Za-z])`).test(text)),
  );
}
