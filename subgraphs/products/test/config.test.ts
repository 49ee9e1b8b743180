import { ConfigError, DEV_ROUTER_SECRET, loadConfig } from '@shop/config';
import { configSchema } from '../src/config';
import { demoCatalogue, demoCategories } from '../src/seed-data';
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
      MAX_STOCK: 1_000_000,
      MAX_PRICE_AMOUNT: 1_000_000,
      PUBLIC_URL: 'http://localhost:4002',
      LOW_STOCK_THRESHOLD: 5,
    });
  });

  it('PUBLIC_URL is an http(s) base without query, fragment or credentials (a trailing / dropped)', () => {
    expect(loadConfig(configSchema, { PUBLIC_URL: 'https://cdn.example.com/shop/' }).PUBLIC_URL).toBe(
      'https://cdn.example.com/shop',
    );
    for (const PUBLIC_URL of ['ftp://x', 'not a url', 'https://x/?a=1', 'https://x/#f', 'https://u:p@x/']) {
      expect(() => loadConfig(configSchema, { PUBLIC_URL })).toThrow(/PUBLIC_URL/);
    }
  });

  it('LOW_STOCK_THRESHOLD is a whole number from 0 to MAX_STOCK’s default', () => {
    expect(loadConfig(configSchema, { LOW_STOCK_THRESHOLD: '0' }).LOW_STOCK_THRESHOLD).toBe(0);
    expect(loadConfig(configSchema, { LOW_STOCK_THRESHOLD: '1000000' }).LOW_STOCK_THRESHOLD).toBe(1_000_000);
    for (const LOW_STOCK_THRESHOLD of ['-1', '2.5', 'five', '1000001']) {
      expect(() => loadConfig(configSchema, { LOW_STOCK_THRESHOLD })).toThrow(/LOW_STOCK_THRESHOLD/);
    }
  });

  it('finding 7: production refuses the published development ROUTER_SECRET, named in the error', () => {
    let error: unknown;
    try {
      loadConfig(configSchema, { NODE_ENV: 'production' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'ROUTER_SECRET: is a published development value; set your own in production',
    ]);
    // The secret itself is never repeated in the error.
    expect((error as ConfigError).message).not.toContain(DEV_ROUTER_SECRET);
    expect(() =>
      loadConfig(configSchema, { NODE_ENV: 'production', ROUTER_SECRET: DEV_ROUTER_SECRET }),
    ).toThrow(/ROUTER_SECRET: is a published development value/);
    // Outside production the development value is what makes `npm start` work.
    expect(loadConfig(configSchema, { NODE_ENV: 'development' }).ROUTER_SECRET).toBe(DEV_ROUTER_SECRET);
    expect(loadConfig(configSchema, { NODE_ENV: 'test' }).ROUTER_SECRET).toBe(DEV_ROUTER_SECRET);
    // A secret of one's own starts.
    const own = 'a-real-secret-of-our-own-0123456789';
    expect(loadConfig(configSchema, { NODE_ENV: 'production', ROUTER_SECRET: own }).ROUTER_SECRET).toBe(own);
  });

  it('production reports the development secret together with every other invalid variable', () => {
    let error: unknown;
    try {
      loadConfig(configSchema, { NODE_ENV: 'production', MAX_STOCK: '0', PORT: 'x' });
    } catch (e) {
      error = e;
    }
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['ROUTER_SECRET', 'MAX_STOCK', 'PORT']) expect(problems).toContain(name);
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
  it('has at least 60 valid products with unique SKUs, each in a demo category and with an image', () => {
    expect(demoCatalogue.length).toBeGreaterThanOrEqual(60);
    const skus = demoCatalogue.flatMap((p) => p.variants.map((v) => v.sku));
    expect(new Set(skus).size).toBe(skus.length);
    const categories = new Set(demoCategories.map(([slug]) => slug));
    expect(new Set(demoCatalogue.flatMap((p) => p.categorySlugs)).size).toBeGreaterThanOrEqual(6);
    for (const p of demoCatalogue) {
      expect(p.categorySlugs.length).toBeGreaterThanOrEqual(1);
      for (const slug of p.categorySlugs) expect(categories).toContain(slug);
      expect(p.images.length).toBeGreaterThanOrEqual(1);
      expect(p.slug).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      for (const v of p.variants) {
        expect(v.price.amount).toBeGreaterThan(0);
        expect(CURRENCIES).toContain(v.price.currency);
        expect(v.stock).toBeGreaterThanOrEqual(0);
        expect(v.sku).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
      }
    }
    // Two levels: every parent is a top-level category, and at least six categories in all.
    expect(demoCategories.length).toBeGreaterThanOrEqual(6);
    const topLevel = new Set(demoCategories.filter(([, , parent]) => parent === null).map(([slug]) => slug));
    for (const [, , parent] of demoCategories) if (parent !== null) expect(topLevel).toContain(parent);
    expect(demoCategories.some(([, , parent]) => parent !== null)).toBe(true);
    // Products with and without variants (a T-shirt in sizes and colours, a mug in two colours).
    expect(demoCatalogue.filter((p) => p.variants.length > 1).length).toBeGreaterThanOrEqual(2);
    expect(demoCatalogue.filter((p) => p.variants.length === 1).length).toBeGreaterThan(50);
  });
});
