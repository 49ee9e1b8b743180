import { ConfigError, DEV_ROUTER_SECRET, loadConfig } from '@shop/config';
import { configSchema } from '../src/config';

describe('config', () => {
  it('has working local defaults', () => {
    const config = loadConfig(configSchema, {});
    expect(config).toMatchObject({
      PORT: 4005,
      SMTP_URL: 'smtp://127.0.0.1:1025',
      MAIL_FROM: 'Shop <orders@shop.local>',
      NATS_PREFIX: '',
      USERS_TIMEOUT_MS: 3000,
      MAX_DELIVER: 6,
      BACKOFF_MS: [1000, 5000, 15000, 60000, 120000],
    });
  });

  it('parses the backoff list and reports every bad variable at once', () => {
    expect(loadConfig(configSchema, { BACKOFF_MS: '100, 200' }).BACKOFF_MS).toEqual([100, 200]);
    let error: unknown;
    try {
      loadConfig(configSchema, {
        BACKOFF_MS: '100,soon',
        SMTP_URL: 'http://mail',
        MAX_DELIVER: '0',
        NATS_PREFIX: 'a.b',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['BACKOFF_MS', 'SMTP_URL', 'MAX_DELIVER', 'NATS_PREFIX'])
      expect(problems).toContain(name);
  });

  it('finding 7: production refuses the development ROUTER_SECRET, set or by default', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(configSchema, env);
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    };
    const refused = [expect.stringMatching(/^ROUTER_SECRET: is a published development value/)];
    expect(problems({ NODE_ENV: 'production' })).toEqual(refused);
    expect(problems({ NODE_ENV: 'production', ROUTER_SECRET: DEV_ROUTER_SECRET })).toEqual(refused);
    expect(problems({ NODE_ENV: 'production', ROUTER_SECRET: 'a-production-router-secret' })).toEqual([]);
    expect(problems({ NODE_ENV: 'development', ROUTER_SECRET: DEV_ROUTER_SECRET })).toEqual([]);
  });
});
