import { ConfigError, loadConfig } from '@shop/config';
import { configSchema } from '../src/config';

describe('orders config', () => {
  it('has working local defaults', () => {
    const config = loadConfig(configSchema, {});
    expect(config).toMatchObject({
      PORT: 4003,
      MYSQL_URL: 'mysql://root@127.0.0.1:3306/shop_orders',
      NATS_PREFIX: '',
      ORDER_TTL_SECONDS: 900,
      RESERVE_TIMEOUT_MS: 3000,
      MAX_CART_LINES: 50,
    });
  });

  it('reports every invalid variable at once', () => {
    let error: unknown;
    try {
      loadConfig(configSchema, {
        PORT: 'x',
        MYSQL_URL: 'postgres://nope',
        ORDER_TTL_SECONDS: '0',
        NATS_PREFIX: 'a.b',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'MYSQL_URL', 'ORDER_TTL_SECONDS', 'NATS_PREFIX'])
      expect(problems).toContain(name);
  });
});
