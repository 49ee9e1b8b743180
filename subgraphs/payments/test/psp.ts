import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '@shop/config';
import {
  createApp as createPsp,
  configSchema as pspConfigSchema,
  TEST_CARDS,
  type AppOverrides as PspOverrides,
  type PspApp,
  type TestProcessor,
} from '@shop/psp';
import { createLogger } from '@shop/server';
import { memoryLog } from '@shop/testing';
import type { CardFields } from './helpers';

export { TEST_CARDS };
export const PSP_SECRET_KEY = 'payments-test-psp-secret-key';
export const PSP_WEBHOOK_SECRET = 'payments-test-psp-webhook-secret';

/** A free TCP port (payments listens on it, so the PSP can be told its webhook URL first). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The real test PSP (psp/, @shop/psp) in-process on a free port, as one test file's processor.
 * Made at module scope and started by bootPayments, so a file reads its ledger (the old in-process
 * provider's counters: charges, succeeded, chargesByOrder, refunds, refundCalls, refundsDown) the
 * way it read the old provider's.
 */
export class TestPsp {
  app: PspApp | undefined;
  url = '';
  logs = memoryLog();

  constructor(
    readonly env: Record<string, string> = {},
    readonly overrides: PspOverrides = {},
  ) {}

  async start(webhookUrl: string): Promise<void> {
    const config = loadConfig(pspConfigSchema, {
      NODE_ENV: 'test',
      PORT: '0',
      LOG_LEVEL: 'debug',
      PSP_SECRET_KEY,
      PSP_WEBHOOK_SECRET,
      WEBHOOK_URL: webhookUrl,
      ...this.env,
    });
    this.app = createPsp(config, {
      log: createLogger({ name: 'psp', level: 'debug' }, this.logs.stream),
      webhookDelaysMs: [100, 300, 1000],
      ...this.overrides,
    });
    this.url = (await this.app.start()).url.replace(/\/+$/, '');
  }

  get processor(): TestProcessor {
    if (!this.app) throw new Error('the test PSP is not started (use it inside tests)');
    return this.app.processor;
  }
  get charges() {
    return this.processor.charges;
  }
  /** Webhook deliveries not done yet (sending, or waiting to be retried). */
  webhooksPending(): number {
    return this.app?.webhooks.pending() ?? 0;
  }
  get succeeded() {
    return this.processor.succeeded;
  }
  chargesByOrder() {
    return this.processor.chargesByOrder();
  }
  get refunds() {
    return this.processor.refunds;
  }
  get refundCalls() {
    return this.processor.refundCalls;
  }
  get refundsDown() {
    return this.processor.refundsDown;
  }
  set refundsDown(down: boolean) {
    this.processor.refundsDown = down;
  }
  refundedByCharge() {
    return this.processor.refundedByCharge();
  }

  /** What the browser does: posts the card to the PSP's tokenisation endpoint; the token's id. */
  async tokenize(c: CardFields): Promise<string> {
    const res = await fetch(`${this.url}/v1/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ card: c }),
    });
    const body = (await res.json()) as { id?: string };
    if (res.status !== 201 || !body.id) throw new Error(`tokenize: ${res.status} ${JSON.stringify(body)}`);
    return body.id;
  }

  /** The customer on the challenge page: succeed or fail the charge's authentication. */
  async authenticate(chargeIdOrUrl: string, result: 'succeed' | 'fail'): Promise<number> {
    const url = chargeIdOrUrl.startsWith('http')
      ? chargeIdOrUrl
      : `${this.url}/v1/authentications/${chargeIdOrUrl}`;
    const path = new URL(url).pathname;
    const res = await fetch(`${this.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ result }),
    });
    await res.text();
    return res.status;
  }

  /** Waits until the PSP has no webhook in flight or waiting for a retry. */
  async webhooksIdle(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.app && this.app.webhooks.pending() > 0) {
      if (Date.now() > deadline) throw new Error('the PSP still has webhooks to deliver');
      await sleep(20);
    }
  }

  async stop(): Promise<void> {
    await this.app?.stop();
  }
}
