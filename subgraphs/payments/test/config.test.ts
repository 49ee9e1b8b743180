import { ConfigError, DEV_ROUTER_SECRET, loadConfig } from '@shop/config';
import { configSchema as ordersConfigSchema } from '@shop/orders';
import {
  CHARGE_LOCK_MS,
  configSchema,
  DEV_CARD_FINGERPRINT_SECRET,
  MAX_ORDERS_TIMEOUT_MS,
  MAX_PROVIDER_TIMEOUT_MS,
} from '../src/config';

const OWN = {
  ROUTER_SECRET: 'a-real-router-secret-of-ours',
  CARD_FINGERPRINT_SECRET: 'a-real-fingerprint-secret-of-ours',
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
  it('has working local defaults', () => {
    expect(loadConfig(configSchema, {})).toMatchObject({
      PORT: 4004,
      REDIS_PREFIX: 'shop:payments:',
      ORDERS_TIMEOUT_MS: 3000,
      PROVIDER_TIMEOUT_MS: 10_000,
      TEST_PROVIDER_LATENCY_MS: 0,
      ROUTER_SECRET: DEV_ROUTER_SECRET,
      CARD_FINGERPRINT_SECRET: DEV_CARD_FINGERPRINT_SECRET,
    });
  });

  it('finding 7: production refuses the default ROUTER_SECRET and CARD_FINGERPRINT_SECRET in one error naming both, without echoing them', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    expect(problems).toHaveLength(2);
    expect(problems.find((p) => p.startsWith('ROUTER_SECRET:'))).toMatch(/published development value/);
    expect(problems.find((p) => p.startsWith('CARD_FINGERPRINT_SECRET:'))).toMatch(
      /published development value/,
    );
    expect(problems.join('\n')).not.toContain(DEV_ROUTER_SECRET);
    expect(problems.join('\n')).not.toContain(DEV_CARD_FINGERPRINT_SECRET);
  });

  it('finding 7: the defaults set explicitly are refused too, each on its own', () => {
    expect(
      problemsOf({ NODE_ENV: 'production', ...OWN, ROUTER_SECRET: DEV_ROUTER_SECRET }).map(
        (p) => p.split(':')[0],
      ),
    ).toEqual(['ROUTER_SECRET']);
    expect(
      problemsOf({
        NODE_ENV: 'production',
        ...OWN,
        CARD_FINGERPRINT_SECRET: DEV_CARD_FINGERPRINT_SECRET,
      }).map((p) => p.split(':')[0]),
    ).toEqual(['CARD_FINGERPRINT_SECRET']);
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
    ['TEST_PROVIDER_LATENCY_MS', '60001'],
    ['TEST_PROVIDER_LATENCY_MS', '-1'],
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
