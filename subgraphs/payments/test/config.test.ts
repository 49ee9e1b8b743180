import {
  ConfigError,
  DEV_PSP_SECRET_KEY,
  DEV_PSP_WEBHOOK_SECRET,
  DEV_ROUTER_SECRET,
  loadConfig,
} from '@shop/config';
import { configSchema as ordersConfigSchema } from '@shop/orders';
import { providerFor } from '../src/app';
import { CHARGE_LOCK_MS, configSchema, MAX_ORDERS_TIMEOUT_MS, MAX_PROVIDER_TIMEOUT_MS } from '../src/config';
import { PspProvider } from '../src/providers/psp-provider';
import { StripeProvider } from '../src/providers/stripe-provider';

const OWN = {
  ROUTER_SECRET: 'a-real-router-secret-of-ours',
  PSP_SECRET_KEY: 'a-real-psp-secret-key-of-ours',
  PSP_WEBHOOK_SECRET: 'a-real-psp-webhook-secret-of-ours',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(configSchema, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('payments config', () => {
  it('has working local defaults: the test PSP', () => {
    const config = loadConfig(configSchema, {});
    expect(config).toMatchObject({
      PORT: 4004,
      REDIS_PREFIX: 'shop:payments:',
      ORDERS_TIMEOUT_MS: 3000,
      PROVIDER_TIMEOUT_MS: 10_000,
      PAYMENT_PROVIDER: 'test',
      PSP_URL: 'http://127.0.0.1:4010',
      PSP_SECRET_KEY: DEV_PSP_SECRET_KEY,
      PSP_WEBHOOK_SECRET: DEV_PSP_WEBHOOK_SECRET,
      WEBHOOK_TOLERANCE_SECONDS: 300,
      PENDING_ACTION_INTERVAL_MS: 30_000,
      ROUTER_SECRET: DEV_ROUTER_SECRET,
    });
    expect(config.STRIPE_SECRET_KEY).toBeUndefined();
    // gone: the card never reaches payments, and the PSP simulates its own latency
    expect(config).not.toHaveProperty('CARD_FINGERPRINT_SECRET');
    expect(config).not.toHaveProperty('TEST_PROVIDER_LATENCY_MS');
  });

  it('finding 7: production refuses the default ROUTER_SECRET and PSP secrets in one error naming each, without echoing them', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'PSP_SECRET_KEY',
      'PSP_WEBHOOK_SECRET',
      'ROUTER_SECRET',
    ]);
    for (const p of problems) expect(p).toMatch(/published development value/);
    const all = problems.join('\n');
    for (const secret of [DEV_ROUTER_SECRET, DEV_PSP_SECRET_KEY, DEV_PSP_WEBHOOK_SECRET])
      expect(all).not.toContain(secret);
  });

  it('finding 7: the defaults set explicitly are refused too, each on its own', () => {
    for (const [name, value] of [
      ['ROUTER_SECRET', DEV_ROUTER_SECRET],
      ['PSP_SECRET_KEY', DEV_PSP_SECRET_KEY],
      ['PSP_WEBHOOK_SECRET', DEV_PSP_WEBHOOK_SECRET],
    ] as const) {
      expect(
        problemsOf({ NODE_ENV: 'production', ...OWN, [name]: value }).map((p) => p.split(':')[0]),
      ).toEqual([name]);
    }
  });

  it('PAYMENT_PROVIDER=stripe requires both Stripe secrets; the PSP secrets are not asked for then', () => {
    expect(
      problemsOf({ PAYMENT_PROVIDER: 'stripe' })
        .map((p) => p.split(':')[0])
        .sort(),
    ).toEqual(['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET']);
    expect(problemsOf({ PAYMENT_PROVIDER: 'stripe', STRIPE_SECRET_KEY: 'sk_test_123' })).toHaveLength(1);
    const stripe = {
      PAYMENT_PROVIDER: 'stripe',
      STRIPE_SECRET_KEY: 'sk_test_123',
      STRIPE_WEBHOOK_SECRET: 'whsec_123',
      STRIPE_API_URL: 'http://127.0.0.1:12111',
    };
    expect(loadConfig(configSchema, stripe)).toMatchObject(stripe);
    expect(problemsOf({ NODE_ENV: 'production', ...stripe, ROUTER_SECRET: OWN.ROUTER_SECRET })).toEqual([]);
    expect(problemsOf({ ...stripe, STRIPE_API_URL: 'not a url' }).map((p) => p.split(':')[0])).toEqual([
      'STRIPE_API_URL',
    ]);
    expect(problemsOf({ PAYMENT_PROVIDER: 'paypal' }).map((p) => p.split(':')[0])).toEqual([
      'PAYMENT_PROVIDER',
    ]);
  });

  it('PAYMENT_PROVIDER picks the provider: the test PSP by default, Stripe when asked', async () => {
    expect(await providerFor(loadConfig(configSchema, {}))).toBeInstanceOf(PspProvider);
    const stripe = await providerFor(
      loadConfig(configSchema, {
        PAYMENT_PROVIDER: 'stripe',
        STRIPE_SECRET_KEY: 'sk_test_123',
        STRIPE_WEBHOOK_SECRET: 'whsec_123',
        STRIPE_API_URL: 'http://127.0.0.1:12111',
      }),
    );
    expect(stripe).toBeInstanceOf(StripeProvider);
    expect(stripe.name).toBe('stripe');
  });

  it('finding 7: production starts with secrets of its own; development and test keep the defaults', () => {
    expect(loadConfig(configSchema, { NODE_ENV: 'production', ...OWN })).toMatchObject(OWN);
    expect(problemsOf({ NODE_ENV: 'development' })).toEqual([]);
    expect(problemsOf({ NODE_ENV: 'test' })).toEqual([]);
  });

  it.each([
    ['ORDERS_TIMEOUT_MS', String(MAX_ORDERS_TIMEOUT_MS + 1)],
    ['ORDERS_TIMEOUT_MS', '0'],
    ['PROVIDER_TIMEOUT_MS', String(MAX_PROVIDER_TIMEOUT_MS + 1)],
    ['PROVIDER_TIMEOUT_MS', '0'],
    ['PROVIDER_TIMEOUT_MS', '1e3'],
    ['PSP_URL', 'not a url'],
    ['PSP_SECRET_KEY', 'short'],
    ['PSP_WEBHOOK_SECRET', 'short'],
    ['WEBHOOK_TOLERANCE_SECONDS', '0'],
    ['PENDING_ACTION_INTERVAL_MS', '-5'],
  ])('refuses %s=%s', (name, value) => {
    expect(problemsOf({ [name]: value }).map((p) => p.split(':')[0])).toEqual([name]);
  });

  it('accepts the timeouts at their maximum', () => {
    expect(
      loadConfig(configSchema, {
        ORDERS_TIMEOUT_MS: String(MAX_ORDERS_TIMEOUT_MS),
        PROVIDER_TIMEOUT_MS: String(MAX_PROVIDER_TIMEOUT_MS),
      }),
    ).toMatchObject({
      ORDERS_TIMEOUT_MS: MAX_ORDERS_TIMEOUT_MS,
      PROVIDER_TIMEOUT_MS: MAX_PROVIDER_TIMEOUT_MS,
    });
  });

  it("finding 3: the longest payable + charge fits in the charge lock and is well below orders' default payment lease", () => {
    const longest = MAX_ORDERS_TIMEOUT_MS + MAX_PROVIDER_TIMEOUT_MS;
    expect(longest).toBeLessThanOrEqual((CHARGE_LOCK_MS * 2) / 3);
    const lease = loadConfig(ordersConfigSchema, {}).PAYMENT_LEASE_SECONDS * 1000;
    expect(longest * 2).toBeLessThanOrEqual(lease);
  });
});
