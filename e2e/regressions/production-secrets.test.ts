/**
 * Finding 7 of issue 16: with NODE_ENV=production the router, orders and payments started on the
 * published default ROUTER_SECRET, payments on the default card fingerprint secret, the router on
 * the demo partner key. Every service's own config schema (what its main.ts loads) must now refuse
 * to start on a development default, naming every one of them in one error, and start on real values.
 */
import { createHash } from 'node:crypto';
import { ConfigError, DEV_ROUTER_SECRET, loadConfig, type ProcessName } from '@shop/config';
import { createRunSecrets, type RunSecrets } from '@shop/graph';
import * as users from '@shop/users';
import * as products from '@shop/products';
import * as orders from '@shop/orders';
import * as payments from '@shop/payments';
import * as notifications from '@shop/notifications';
import * as router from '@shop/router';

type Schema = Parameters<typeof loadConfig>[0];

/** Every service: its config schema and the development defaults production must refuse by name. */
const SERVICES: Record<ProcessName, { schema: Schema; refuses: string[] }> = {
  users: { schema: users.configSchema, refuses: ['ROUTER_SECRET', 'JWT_PRIVATE_KEYS'] },
  products: { schema: products.configSchema, refuses: ['ROUTER_SECRET'] },
  orders: { schema: orders.configSchema, refuses: ['ROUTER_SECRET'] },
  payments: { schema: payments.configSchema, refuses: ['ROUTER_SECRET', 'CARD_FINGERPRINT_SECRET'] },
  notifications: { schema: notifications.configSchema, refuses: ['ROUTER_SECRET'] },
  router: { schema: router.configSchema, refuses: ['ROUTER_SECRET', 'PARTNER_API_KEYS'] },
};
const NAMES = Object.keys(SERVICES) as ProcessName[];

/** The variables loadConfig names in its one error (or [] when it loads). */
function refused(schema: Schema, env: Record<string, string>): string[] {
  try {
    loadConfig(schema, env);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.map((problem) => problem.split(':')[0]!);
  }
}

let secrets: RunSecrets;
/** Real values for a service in production: the run's own secrets (payments' card secret included). */
const realEnv = (name: ProcessName): Record<string, string> => ({
  NODE_ENV: 'production',
  ...secrets.envFor(name),
});

beforeAll(async () => {
  secrets = await createRunSecrets('production-secrets');
});

describe.each(NAMES)('finding 7: %s in production', (name) => {
  const { schema, refuses } = SERVICES[name];

  it(`finding 7: refuses to start on its development defaults (${refuses.join(', ')}), named in one error`, () => {
    expect(() => loadConfig(schema, { NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(refused(schema, { NODE_ENV: 'production' })).toEqual(expect.arrayContaining(refuses));
  });

  it('finding 7: never repeats the secret it refuses', () => {
    let message = '';
    try {
      loadConfig(schema, { NODE_ENV: 'production', ROUTER_SECRET: DEV_ROUTER_SECRET });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/ROUTER_SECRET/);
    expect(message).not.toContain(DEV_ROUTER_SECRET);
  });

  it('finding 7: refuses the published ROUTER_SECRET given explicitly next to real values', () => {
    expect(refused(schema, { ...realEnv(name), ROUTER_SECRET: DEV_ROUTER_SECRET })).toEqual([
      'ROUTER_SECRET',
    ]);
  });

  it('finding 7: starts on real values', () => {
    expect(refused(schema, realEnv(name))).toEqual([]);
    expect(loadConfig(schema, realEnv(name)).ROUTER_SECRET).toBe(secrets.routerSecret);
  });

  it('finding 7: keeps the development defaults outside production', () => {
    for (const NODE_ENV of ['development', 'test']) expect(refused(schema, { NODE_ENV })).toEqual([]);
  });
});

it('finding 7: the router refuses the demo partner key, also among real ones', () => {
  const demo = `demo:${createHash('sha256').update(router.DEMO_PARTNER_KEY).digest('hex')}`;
  const env = realEnv('router');
  expect(refused(router.configSchema, { ...env, PARTNER_API_KEYS: demo })).toEqual(['PARTNER_API_KEYS']);
  expect(
    refused(router.configSchema, { ...env, PARTNER_API_KEYS: `${env.PARTNER_API_KEYS},${demo}` }),
  ).toEqual(['PARTNER_API_KEYS']);
});
