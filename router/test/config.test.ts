import { ConfigError, loadConfig } from '@shop/config';
import { configSchema } from '../index';

describe('router config', () => {
  it('has local defaults: port 4000, the five subgraph URLs and the demo partner key', () => {
    const config = loadConfig(configSchema, {});
    expect(config.PORT).toBe(4000);
    expect(config.PAYMENTS_URL).toBe('http://127.0.0.1:4004/graphql');
    expect(config.PARTNER_API_KEYS.map((k) => k.name)).toEqual(['demo']);
    expect(config.MAX_DEPTH).toBe(12);
  });

  it('parses partner keys and rejects a key given in clear', () => {
    const hash = 'a'.repeat(64);
    expect(
      loadConfig(configSchema, { PARTNER_API_KEYS: `acme:${hash}, globex:${'B'.repeat(64)}` })
        .PARTNER_API_KEYS,
    ).toEqual([
      { name: 'acme', hash },
      { name: 'globex', hash: 'b'.repeat(64) },
    ]);
    expect(() => loadConfig(configSchema, { PARTNER_API_KEYS: 'acme:my-secret-key' })).toThrow(ConfigError);
  });

  it('refuses the demo partner key in production and reports every bad variable at once', () => {
    expect(() => loadConfig(configSchema, { NODE_ENV: 'production' })).toThrow(/demo partner key/);
    try {
      loadConfig(configSchema, { USERS_URL: 'ftp://x', MAX_DEPTH: '0' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect((error as ConfigError).problems.map((p) => p.split(':')[0])).toEqual(['USERS_URL', 'MAX_DEPTH']);
    }
  });
});
