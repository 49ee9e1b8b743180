import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import Stripe from 'stripe';
import { StripeProvider, type StripeProviderOptions } from '../src/providers/stripe-provider';

/** Built by tools/build.sh (pinned in tools/go.mod), like .bin/ferretdb and .bin/mailpit. */
export const STRIPE_MOCK_BIN = fileURLToPath(new URL('../../../.bin/stripe-mock', import.meta.url));
export const TEST_SECRET_KEY = 'sk_test_123stripemock';
export const TEST_WEBHOOK_SECRET = 'whsec_test_stripe_provider';

export interface StripeMock {
  /** http://127.0.0.1:<port>, for StripeProvider's apiUrl. */
  url: string;
  /** What stripe-mock printed (its request log when verbose). */
  output: () => string;
  stop: () => Promise<void>;
}

/**
 * Starts .bin/stripe-mock on ports the system chooses (HTTP and HTTPS both, so that no two runs
 * collide on its defaults 12111/12112) and answers once it listens.
 */
export async function startStripeMock(bin = STRIPE_MOCK_BIN): Promise<StripeMock> {
  if (!existsSync(bin)) {
    throw new Error(
      `${bin} is missing: run \`bash tools/build.sh\` (npm run tools:build) to build stripe-mock`,
    );
  }
  const child: ChildProcess = spawn(
    bin,
    ['-http-addr', '127.0.0.1:0', '-https-addr', '127.0.0.1:0', '-verbose'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`stripe-mock did not start within 15 s:\n${output}`));
    }, 15_000);
    const look = () => {
      const match = /Listening for HTTP at address: (127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(`http://${match[1]}`);
      }
    };
    child.stdout?.on('data', look);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`stripe-mock exited with ${code} before listening:\n${output}`));
    });
  });
  return {
    url,
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A provider pointed at `apiUrl` with the test secrets (no retries unless asked: tests stay fast). */
export function stripeProvider(apiUrl: string, options: Partial<StripeProviderOptions> = {}): StripeProvider {
  return new StripeProvider({
    secretKey: TEST_SECRET_KEY,
    webhookSecret: TEST_WEBHOOK_SECRET,
    apiUrl,
    toleranceSeconds: 300,
    maxNetworkRetries: 0,
    ...options,
  });
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** The SDK's own signer, as Stripe signs a delivery (`t=<unix seconds>,v1=<HMAC>`). */
const signer = new Stripe(TEST_SECRET_KEY);

export function signedHeader(payload: string, options: { secret?: string; timestamp?: number } = {}): string {
  return signer.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? TEST_WEBHOOK_SECRET,
    timestamp: options.timestamp ?? Math.floor(Date.now() / 1000),
  });
}

/** A PaymentIntent as Stripe sends it in an event (ids unexpanded), with our metadata. */
export function paymentIntent(overrides: Partial<Stripe.PaymentIntent> = {}): Stripe.PaymentIntent {
  return {
    id: 'pi_3TestIntent0001',
    object: 'payment_intent',
    amount: 2599,
    amount_received: 2599,
    currency: 'eur',
    status: 'succeeded',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    metadata: { orderId: 'order-1', paymentId: 'payment-1' },
    payment_method: 'pm_1TestMethod',
    latest_charge: 'ch_3TestCharge',
    last_payment_error: null,
    next_action: null,
    cancellation_reason: null,
    ...overrides,
  } as Stripe.PaymentIntent;
}

export function event(type: string, object: unknown, id = 'evt_1TestEvent'): string {
  return JSON.stringify({
    id,
    object: 'event',
    type,
    api_version: '2026-02-25.clover',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object },
  });
}

/** One request the canned server received, as it arrived on the wire. */
export interface CannedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** True when the client went away before the answer (an aborted call). */
  dropped: boolean;
}

export interface CannedAnswer {
  status: number;
  body: unknown;
  /** Wait this long before answering (to abort a call in flight). */
  delayMs?: number;
}

/**
 * A local HTTP server that answers Stripe-shaped JSON from a queue: the outcomes stripe-mock (which
 * always answers its fixture) cannot give — declines, 402s, 5xx, 429s, slow answers — go through
 * the real SDK and HTTP all the same. An empty queue answers 500.
 */
export async function startCannedStripe(): Promise<{
  url: string;
  answer: (...answers: CannedAnswer[]) => void;
  requests: CannedRequest[];
  stop: () => Promise<void>;
}> {
  const { createServer: createHttpServer } = await import('node:http');
  const queue: CannedAnswer[] = [];
  const requests: CannedRequest[] = [];
  const server = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const seen: CannedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        dropped: false,
      };
      requests.push(seen);
      res.on('close', () => {
        if (!res.writableFinished) seen.dropped = true;
      });
      const next = queue.shift() ?? {
        status: 500,
        body: { error: { type: 'api_error', message: 'no canned answer' } },
      };
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(next.status, {
          'content-type': 'application/json',
          'request-id': `req_canned_${requests.length}`,
        });
        res.end(JSON.stringify(next.body));
      };
      if (next.delayMs) setTimeout(send, next.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    answer: (...answers) => queue.push(...answers),
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A Stripe error body (`{ error: { type, code, decline_code, ... } }`). */
export function stripeErrorBody(error: Record<string, unknown>): { error: Record<string, unknown> } {
  return { error: { message: 'canned error', ...error } };
}
