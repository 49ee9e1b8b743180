import { ConfigError, DEV_ROUTER_SECRET, loadConfig } from '@shop/config';
import { configSchema, maxOrderAgeSeconds } from '../src/config';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(configSchema, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
};

describe('orders config', () => {
  it('has working local defaults', () => {
    const config = loadConfig(configSchema, {});
    expect(config).toMatchObject({
      PORT: 4003,
      MYSQL_URL: 'mysql://root@127.0.0.1:3306/shop_orders',
      NATS_PREFIX: '',
      ORDER_TTL_SECONDS: 900,
      PAYMENT_LEASE_SECONDS: 120,
      RESERVE_TIMEOUT_MS: 3000,
      MAX_CART_LINES: 50,
      MAX_LINE_QUANTITY: 100,
      MAX_ORDER_TOTAL: 10_000_000,
      MAX_UNPAID_ORDERS: 5,
    });
    expect(config.MAX_ORDER_AGE_SECONDS).toBeUndefined();
    expect(maxOrderAgeSeconds(config)).toBe(1800);
  });

  it('reports every invalid variable at once', () => {
    const problems = problemsOf({
      PORT: 'x',
      MYSQL_URL: 'postgres://nope',
      ORDER_TTL_SECONDS: '0',
      NATS_PREFIX: 'a.b',
      MAX_UNPAID_ORDERS: '0',
      MAX_ORDER_AGE_SECONDS: '-1',
    }).join('\n');
    for (const name of [
      'PORT',
      'MYSQL_URL',
      'ORDER_TTL_SECONDS',
      'NATS_PREFIX',
      'MAX_UNPAID_ORDERS',
      'MAX_ORDER_AGE_SECONDS',
    ])
      expect(problems).toContain(name);
  });

  it('finding 6: the hard deadline defaults to 2 × the TTL, never below TTL + lease, and may not be set below it', () => {
    expect(maxOrderAgeSeconds(loadConfig(configSchema, { ORDER_TTL_SECONDS: '600' }))).toBe(1200);
    expect(maxOrderAgeSeconds(loadConfig(configSchema, { ORDER_TTL_SECONDS: '2' }))).toBe(122);
    expect(
      maxOrderAgeSeconds(
        loadConfig(configSchema, {
          ORDER_TTL_SECONDS: '60',
          PAYMENT_LEASE_SECONDS: '20',
          MAX_ORDER_AGE_SECONDS: '80',
        }),
      ),
    ).toBe(80);
    expect(
      problemsOf({ ORDER_TTL_SECONDS: '60', PAYMENT_LEASE_SECONDS: '20', MAX_ORDER_AGE_SECONDS: '79' }),
    ).toEqual([
      'MAX_ORDER_AGE_SECONDS: must be at least ORDER_TTL_SECONDS + PAYMENT_LEASE_SECONDS (got "79")',
    ]);
  });

  it('finding 4: MAX_ORDER_TOTAL must fit a GraphQL Int', () => {
    expect(loadConfig(configSchema, { MAX_ORDER_TOTAL: String(2 ** 31 - 1) }).MAX_ORDER_TOTAL).toBe(
      2 ** 31 - 1,
    );
    expect(problemsOf({ MAX_ORDER_TOTAL: String(2 ** 31) })).toEqual([
      'MAX_ORDER_TOTAL: must be at most 2147483647 (got "2147483648")',
    ]);
  });

  it('finding 7: production refuses the published development ROUTER_SECRET, without echoing it', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    expect(problems).toEqual(['ROUTER_SECRET: is a published development value; set your own in production']);
    expect(problems.join('\n')).not.toContain(DEV_ROUTER_SECRET);
    expect(problemsOf({ NODE_ENV: 'production', ROUTER_SECRET: DEV_ROUTER_SECRET })).toHaveLength(1);
    const own = loadConfig(configSchema, {
      NODE_ENV: 'production',
      ROUTER_SECRET: 'a-secret-of-our-own-0123',
    });
    expect(own.ROUTER_SECRET).toBe('a-secret-of-our-own-0123');
    // Outside production the development value is the working default.
    expect(loadConfig(configSchema, { NODE_ENV: 'development' }).ROUTER_SECRET).toBe(DEV_ROUTER_SECRET);
  });
});
