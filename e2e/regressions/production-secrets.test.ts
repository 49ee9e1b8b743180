/**
 * Finding 7 of issue 16: with NODE_ENV=production the router, orders and payments started on the
 * published default ROUTER_SECRET, the router on the demo partner key. Every service's own config
 * schema (what its main.ts loads) must now refuse to start on a development default, naming every one
 * of them in one error, and start on real values. Since issue 20 payments and the test PSP share two
 * more secrets (payments' key at the PSP, the PSP's webhook signing key), refused in both; the card
 * fingerprint secret is gone with the card fields.
 */
import { createHash } from 'node:crypto';
import {
  ConfigError,
  DEV_PSP_SECRET_KEY,
  DEV_PSP_WEBHOOK_SECRET,
  DEV_ROUTER_SECRET,
  loadConfig,
  type ProcessName,
} from '@shop/config';
import { createRunSecrets, type RunSecrets } from '@shop/graph';
import * as users from '@shop/users';
import * as products from '@shop/products';
import * as orders from '@shop/orders';
import * as payments from '@shop/payments';
import * as notifications from '@shop/notifications';
import * as router from '@shop/router';
import * as psp from '@shop/psp';

type Schema = Parameters<typeof loadConfig>[0];

/** Every service: its config schema and the development defaults production must refuse by name. */
const SERVICES: Record<ProcessName, { schema: Schema; refuses: string[] }> = {
  users: { schema: users.configSchema, refuses: ['ROUTER_SECRET', 'JWT_PRIVATE_KEYS'] },
  products: { schema: products.configSchema, refuses: ['ROUTER_SECRET'] },
  orders: { schema: orders.configSchema, refuses: ['ROUTER_SECRET'] },
  payments: {
    schema: payments.configSchema,
    refuses: ['ROUTER_SECRET', 'PSP_SECRET_KEY', 'PSP_WEBHOOK_SECRET'],
  },
  notifications: { schema: notifications.configSchema, refuses: ['ROUTER_SECRET'] },
  router: { schema: router.configSchema, refuses: ['ROUTER_SECRET', 'PARTNER_API_KEYS'] },
  psp: { schema: psp.configSchema, refuses: ['PSP_SECRET_KEY', 'PSP_WEBHOOK_SECRET'] },
};
/** The published development values a service must refuse even next to real values. */
const PUBLISHED: Record<string, string> = {
  ROUTER_SECRET: DEV_ROUTER_SECRET,
  PSP_SECRET_KEY: DEV_PSP_SECRET_KEY,
  PSP_WEBHOOK_SECRET: DEV_PSP_WEBHOOK_SECRET,
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
/** Real values for a service in production: the run's own secrets (the PSP's shared ones included). */
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

  const published = refuses.filter((variable) => variable in PUBLISHED);

  it.each(published)('finding 7: never repeats the published %s it refuses', (variable) => {
    let message = '';
    try {
      loadConfig(schema, { NODE_ENV: 'production', [variable]: PUBLISHED[variable]! });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(variable);
    expect(message).not.toContain(PUBLISHED[variable]!);
  });

  it.each(published)(
    'finding 7: refuses the published %s given explicitly next to real values',
    (variable) => {
      expect(refused(schema, { ...realEnv(name), [variable]: PUBLISHED[variable]! })).toEqual([variable]);
    },
  );

  it('finding 7: starts on real values', () => {
    expect(refused(schema, realEnv(name))).toEqual([]);
    const config = loadConfig(schema, realEnv(name)) as Record<string, unknown>;
    if (refuses.includes('ROUTER_SECRET')) expect(config.ROUTER_SECRET).toBe(secrets.routerSecret);
    if (refuses.includes('PSP_SECRET_KEY')) {
      expect(config.PSP_SECRET_KEY).not.toBe(DEV_PSP_SECRET_KEY);
      expect(config.PSP_WEBHOOK_SECRET).not.toBe(DEV_PSP_WEBHOOK_SECRET);
    }
  });

  it('finding 7: keeps the development defaults outside production', () => {
    for (const NODE_ENV of ['development', 'test']) expect(refused(schema, { NODE_ENV })).toEqual([]);
  });
});

it('payments and the PSP get the same PSP secrets of the run (the key payments presents, the key webhooks are signed with)', () => {
  const [pay, provider] = [realEnv('payments'), realEnv('psp')];
  expect(pay.PSP_SECRET_KEY).toBeTruthy();
  expect(pay.PSP_WEBHOOK_SECRET).toBeTruthy();
  expect([provider.PSP_SECRET_KEY, provider.PSP_WEBHOOK_SECRET]).toEqual([
    pay.PSP_SECRET_KEY,
    pay.PSP_WEBHOOK_SECRET,
  ]);
  expect(pay.PSP_SECRET_KEY).not.toBe(pay.PSP_WEBHOOK_SECRET);
});

it('finding 7: the router refuses the demo partner key, also among real ones', () => {
  const demo = `demo:${createHash('sha256').update(router.DEMO_PARTNER_KEY).digest('hex')}`;
  const env = realEnv('router');
  expect(refused(router.configSchema, { ...env, PARTNER_API_KEYS: demo })).toEqual(['PARTNER_API_KEYS']);
  expect(
    refused(router.configSchema, { ...env, PARTNER_API_KEYS: `${env.PARTNER_API_KEYS},${demo}` }),
  ).toEqual(['PARTNER_API_KEYS']);
});
