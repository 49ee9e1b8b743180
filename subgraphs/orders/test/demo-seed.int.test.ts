import { loadConfig } from '@shop/config';
import { configSchema } from '../src/config';
import { bootCheckout, type CheckoutWorld } from './checkout.harness';

/** SEED_DEMO_DATA (set by `npm start`): the demo's WELCOME10 code, stored once, refused in production. */
describe('demo data', () => {
  let w: CheckoutWorld;

  beforeAll(async () => {
    w = await bootCheckout({ SEED_DEMO_DATA: 'true' });
  }, 60_000);
  afterAll(async () => {
    await w?.stop();
  });

  it('seeds WELCOME10 at start-up, and a second seeding stores nothing more', async () => {
    const rows = await w.h.app.db.rows<Record<string, unknown>>(
      'SELECT code, kind, value, minimum_subtotal, usage_limit, usage_limit_per_customer, times_used FROM discount_codes',
    );
    expect(rows.map((r) => ({ ...r, minimum_subtotal: Number(r.minimum_subtotal) }))).toEqual([
      {
        code: 'WELCOME10',
        kind: 'PERCENTAGE',
        value: 10,
        minimum_subtotal: 2000,
        usage_limit: null,
        usage_limit_per_customer: 1,
        times_used: 0,
      },
    ]);
    expect(await w.h.app.service.discounts.seedDemoCodes()).toEqual([]);
    const [count] = await w.h.app.db.rows<{ n: number }>('SELECT COUNT(*) AS n FROM discount_codes');
    expect(Number(count?.n)).toBe(1);
  });

  it('is refused in production', () => {
    expect(() =>
      loadConfig(configSchema, {
        NODE_ENV: 'production',
        ROUTER_SECRET: 'a-real-secret-of-enough-length',
        SEED_DEMO_DATA: 'true',
      }),
    ).toThrow(/SEED_DEMO_DATA/);
  });
});
