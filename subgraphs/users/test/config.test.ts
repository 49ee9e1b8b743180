import { generateSigningKey } from '@shop/auth';
import { ConfigError, DEV_ROUTER_SECRET, loadConfig } from '@shop/config';
import { configSchema, DEMO_ADMIN_PASSWORD } from '../src/config';

/** The problems loadConfig reports for env, or [] when it accepts it. */
function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(configSchema, env);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems;
  }
}

let keys: string;
beforeAll(async () => {
  keys = JSON.stringify([(await generateSigningKey('prod-key')).privateJwk]);
});

const production = () => ({
  NODE_ENV: 'production',
  JWT_PRIVATE_KEYS: keys,
  ROUTER_SECRET: 'a-production-router-secret-of-ours',
});

describe('config', () => {
  it('has the throttling defaults of the README', () => {
    expect(loadConfig(configSchema, {})).toMatchObject({
      LOGIN_MAX_FAILURES: 5,
      LOGIN_ADDRESS_MAX_FAILURES: 50,
      LOGIN_WINDOW_SECONDS: 3600,
      LOGIN_DELAY_SECONDS: 30,
      LOGIN_MAX_DELAY_SECONDS: 900,
    });
  });

  it('has the session and password-reset defaults of docs/sessions.md, each bounded', () => {
    expect(loadConfig(configSchema, {})).toMatchObject({
      SESSION_IDLE_SECONDS: 14 * 86_400,
      SESSION_MAX_SECONDS: 30 * 86_400,
      SESSIONS_PER_USER: 20,
      PASSWORD_RESET_TTL_SECONDS: 1800,
      PASSWORD_RESET_URL: 'http://localhost:3000/reset-password',
      PASSWORD_RESET_MAX_PER_EMAIL: 3,
      PASSWORD_RESET_MAX_PER_CLIENT: 20,
      PASSWORD_RESET_WINDOW_SECONDS: 3600,
      NOTIFICATIONS_TIMEOUT_MS: 10_000,
    });
    for (const [key, value] of [
      ['SESSION_IDLE_SECONDS', '299'],
      ['SESSION_MAX_SECONDS', String(365 * 86_400 + 1)],
      ['SESSIONS_PER_USER', '0'],
      ['SESSIONS_PER_USER', '101'],
      ['PASSWORD_RESET_TTL_SECONDS', '86401'],
      ['PASSWORD_RESET_TTL_SECONDS', '1e3'],
      ['PASSWORD_RESET_MAX_PER_EMAIL', '-1'],
      ['PASSWORD_RESET_URL', 'javascript:alert(1)'],
      ['PASSWORD_RESET_URL', 'shop.example/reset'],
      ['NOTIFICATIONS_TIMEOUT_MS', '99999999999'],
    ])
      expect(problems({ [key!]: value! })).toEqual([expect.stringMatching(new RegExp(`^${key}: `))]);
    expect(
      problems({ SESSION_IDLE_SECONDS: String(90 * 86_400 + 1), SESSION_MAX_SECONDS: String(365 * 86_400) }),
    ).toEqual([expect.stringMatching(/^SESSION_IDLE_SECONDS: must be an integer from 300 to 7776000/)]);
    expect(problems({ SESSION_IDLE_SECONDS: '7200', SESSION_MAX_SECONDS: '3600' })).toEqual([
      expect.stringMatching(/^SESSION_MAX_SECONDS: must be at least SESSION_IDLE_SECONDS/),
    ]);
  });

  it('finding 7: production refuses the development ROUTER_SECRET, also when it is the default', () => {
    expect(problems(production())).toEqual([]);
    const { ROUTER_SECRET: _set, ...unset } = production();
    expect(problems(unset)).toEqual([
      expect.stringMatching(/^ROUTER_SECRET: is a published development value/),
    ]);
    expect(problems({ ...production(), ROUTER_SECRET: DEV_ROUTER_SECRET })).toEqual([
      expect.stringMatching(/^ROUTER_SECRET: /),
    ]);
    // Development and tests keep working with it.
    expect(problems({ NODE_ENV: 'development', ROUTER_SECRET: DEV_ROUTER_SECRET })).toEqual([]);
  });

  it("finding 7: production refuses the demo's ADMIN_PASSWORD, naming it with every other refusal and without echoing it", () => {
    const admin = { ADMIN_EMAIL: 'admin@shop.local', ADMIN_PASSWORD: DEMO_ADMIN_PASSWORD };
    expect(problems({ ...production(), ...admin, ADMIN_PASSWORD: 'an-admin-password-of-ours' })).toEqual([]);
    const refused = problems({ ...production(), ...admin, ROUTER_SECRET: DEV_ROUTER_SECRET });
    expect(refused).toEqual([
      expect.stringMatching(/^ROUTER_SECRET: /),
      expect.stringMatching(/^ADMIN_PASSWORD: is a published development value/),
    ]);
    expect(refused.join('\n')).not.toContain(DEMO_ADMIN_PASSWORD);
    expect(problems({ NODE_ENV: 'development', ...admin })).toEqual([]);
  });

  it('production still requires the signing keys', () => {
    const { JWT_PRIVATE_KEYS: _keys, ...noKeys } = production();
    expect(problems(noKeys)).toEqual([expect.stringMatching(/^JWT_PRIVATE_KEYS: is required in production/)]);
  });

  it('finding 8: refuses an ADMIN_EMAIL that registration would refuse, and a password it would refuse', () => {
    for (const bad of [
      'Admin <admin@shop.local>',
      'a,admin@shop.local',
      'аdmin@shop.local',
      'admin@раураl.com',
    ]) {
      expect(problems({ ADMIN_EMAIL: bad, ADMIN_PASSWORD: 'long-enough-password' })).toEqual([
        expect.stringMatching(/^ADMIN_EMAIL: email must be a plain address/),
      ]);
    }
    expect(problems({ ADMIN_EMAIL: 'admin@shop.local', ADMIN_PASSWORD: 'short' })).toEqual([
      expect.stringMatching(/^ADMIN_PASSWORD: password must be/),
    ]);
    expect(problems({ ADMIN_EMAIL: ' Admin@Shop.Local ', ADMIN_PASSWORD: 'long-enough-password' })).toEqual(
      [],
    );
  });

  it('refuses throttling limits that contradict each other', () => {
    expect(problems({ LOGIN_DELAY_SECONDS: '60', LOGIN_MAX_DELAY_SECONDS: '30' })).toEqual([
      expect.stringMatching(/^LOGIN_MAX_DELAY_SECONDS: must be at least LOGIN_DELAY_SECONDS/),
    ]);
    expect(problems({ LOGIN_WINDOW_SECONDS: '600' })).toEqual([
      expect.stringMatching(/^LOGIN_WINDOW_SECONDS: must be at least LOGIN_MAX_DELAY_SECONDS/),
    ]);
    expect(problems({ LOGIN_ADDRESS_MAX_FAILURES: '0' })).toEqual([
      expect.stringMatching(/^LOGIN_ADDRESS_MAX_FAILURES/),
    ]);
  });
});
