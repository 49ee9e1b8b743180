import { ConfigError, loadConfig } from '@shop/config';
import { configSchema } from '../src/config';
import { demoCatalogue } from '../src/seed-data';
import { CURRENCIES } from '../src/models';

describe('products config', () => {
  it('has the documented defaults', () => {
    const config = loadConfig(configSchema, {});
    expect(config).toMatchObject({
      PORT: 4002,
      MONGO_URL: 'mongodb://127.0.0.1:27017/shop_products',
      JWKS_URL: 'http://127.0.0.1:4001/.well-known/jwks.json',
      NATS_URL: 'nats://127.0.0.1:4222',
      NATS_PREFIX: '',
      SEED_IF_EMPTY: true,
    });
  });

  it('reports every invalid variable at once', () => {
    let error: unknown;
    try {
      loadConfig(configSchema, {
        PORT: 'x',
        MONGO_URL: 'postgres://nope',
        NATS_PREFIX: 'a.b',
        SEED_IF_EMPTY: 'maybe',
        ROUTER_SECRET: 'short',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'MONGO_URL', 'NATS_PREFIX', 'SEED_IF_EMPTY', 'ROUTER_SECRET'])
      expect(problems).toContain(name);
  });
});

describe('demo catalogue', () => {
  it('has at least 60 valid products with unique SKUs in several categories', () => {
    expect(demoCatalogue.length).toBeGreaterThanOrEqual(60);
    expect(new Set(demoCatalogue.map((p) => p.sku)).size).toBe(demoCatalogue.length);
    expect(new Set(demoCatalogue.map((p) => p.category)).size).toBeGreaterThanOrEqual(5);
    for (const p of demoCatalogue) {
      expect(p.price.amount).toBeGreaterThan(0);
      expect(CURRENCIES).toContain(p.price.currency);
      expect(p.stock).toBeGreaterThanOrEqual(0);
      expect(p.sku).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    }
  });
});
