import { loadConfig } from '@shop/config';
import { createLogger } from '@shop/server';
import { memoryLog } from '@shop/testing';
import { createApp, type AppOverrides } from '../src/app';
import { configSchema } from '../src/config';
import { TEST_CARDS } from '../src/processor';

export const SECRET_KEY = 'test-psp-secret-key-0123456789';
export const WEBHOOK_SECRET = 'test-psp-webhook-secret-0123456789';

/** A PSP on a free port with a captured log. */
export async function startPsp(env: Record<string, string> = {}, overrides: AppOverrides = {}) {
  const config = loadConfig(configSchema, {
    NODE_ENV: 'test',
    PORT: '0',
    PSP_SECRET_KEY: SECRET_KEY,
    PSP_WEBHOOK_SECRET: WEBHOOK_SECRET,
    WEBHOOK_URL: 'http://127.0.0.1:9/webhooks/provider',
    LOG_LEVEL: 'debug',
    ...env,
  });
  const logs = memoryLog();
  const app = createApp(config, {
    log: createLogger({ name: 'psp', level: 'debug' }, logs.stream),
    ...overrides,
  });
  const { url } = await app.start();
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers of many shapes, asserted by the tests
  ): Promise<{ status: number; body: any; headers: Headers }> => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        authorization: `Bearer ${SECRET_KEY}`,
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // HTML or empty
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  let n = 0;
  const psp = {
    app,
    url,
    logs,
    call,
    /** Tokenises a card (the test card's number by default). */
    async token(number: string = TEST_CARDS.SUCCESS, card: Record<string, unknown> = {}): Promise<string> {
      const amex = number.startsWith('37');
      const res = await call('POST', '/v1/tokens', {
        card: {
          number,
          expMonth: 12,
          expYear: 2099,
          cvc: amex ? '7391' : '739',
          holderName: 'Ada Lovelace',
          ...card,
        },
      });
      if (res.status !== 201) throw new Error(`token: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.id as string;
    },
    /** A charge body; key defaults to its paymentId. */
    charge(
      token: string,
      options: { key?: string; amount?: number; paymentId?: string; orderId?: string } = {},
    ) {
      n += 1;
      const paymentId = options.paymentId ?? `pay-${n}-${Math.random().toString(36).slice(2)}`;
      return call(
        'POST',
        '/v1/charges',
        {
          token,
          amount: { amount: options.amount ?? 1999, currency: 'EUR' },
          paymentId,
          orderId: options.orderId ?? `order-${n}`,
          description: 'Order',
        },
        { 'idempotency-key': options.key ?? paymentId },
      );
    },
    refund(charge: string, amount: number, key: string, currency = 'EUR') {
      return call(
        'POST',
        '/v1/refunds',
        { charge, amount: { amount, currency }, paymentId: 'pay' },
        { 'idempotency-key': key },
      );
    },
    stop: () => app.stop(),
  };
  return psp;
}

export type Psp = Awaited<ReturnType<typeof startPsp>>;
