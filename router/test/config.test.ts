import { createHash } from 'node:crypto';
import { ConfigError, DEV_ROUTER_SECRET, loadConfig } from '@shop/config';
import { configSchema, DEMO_PARTNER_KEY } from '../index';

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

  it('reports every bad variable at once', () => {
    try {
      loadConfig(configSchema, { USERS_URL: 'ftp://x', MAX_DEPTH: '0' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect((error as ConfigError).problems.map((p) => p.split(':')[0])).toEqual(['USERS_URL', 'MAX_DEPTH']);
    }
  });

  describe('finding 7: production refuses the development defaults', () => {
    const problemsOf = (env: Record<string, string>) => {
      try {
        loadConfig(configSchema, env);
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    };
    const ownKeys = `acme:${createHash('sha256').update('a partner key of our own').digest('hex')}`;
    const realSecret = 'a-router-secret-of-our-own-0123456789';

    it('names the router secret and the demo partner key in one error', () => {
      const problems = problemsOf({ NODE_ENV: 'production' });
      expect(problems.map((p) => p.split(':')[0])).toEqual(['ROUTER_SECRET', 'PARTNER_API_KEYS']);
      expect(problems.join('\n')).toMatch(/published development value/);
      // the secret itself is never repeated
      expect(problems.join('\n')).not.toContain(DEV_ROUTER_SECRET);
    });

    it('refuses each one alone, also given explicitly, and the demo key among others', () => {
      expect(problemsOf({ NODE_ENV: 'production', PARTNER_API_KEYS: ownKeys })).toEqual([
        expect.stringMatching(/^ROUTER_SECRET: /),
      ]);
      expect(
        problemsOf({ NODE_ENV: 'production', PARTNER_API_KEYS: ownKeys, ROUTER_SECRET: DEV_ROUTER_SECRET }),
      ).toEqual([expect.stringMatching(/^ROUTER_SECRET: /)]);
      const demoHash = createHash('sha256').update(DEMO_PARTNER_KEY).digest('hex');
      for (const keys of [`${ownKeys},partner:${demoHash}`, `partner:${demoHash.toUpperCase()}`])
        expect(
          problemsOf({ NODE_ENV: 'production', ROUTER_SECRET: realSecret, PARTNER_API_KEYS: keys }),
        ).toEqual([expect.stringMatching(/^PARTNER_API_KEYS: /)]);
    });

    it('names them next to other invalid variables', () => {
      expect(problemsOf({ NODE_ENV: 'production', MAX_DEPTH: '0' }).map((p) => p.split(':')[0])).toEqual([
        'MAX_DEPTH',
        'ROUTER_SECRET',
        'PARTNER_API_KEYS',
      ]);
    });

    it('starts on real values, and on the defaults outside production', () => {
      const config = loadConfig(configSchema, {
        NODE_ENV: 'production',
        ROUTER_SECRET: realSecret,
        PARTNER_API_KEYS: ownKeys,
      });
      expect(config.ROUTER_SECRET).toBe(realSecret);
      for (const NODE_ENV of ['development', 'test'])
        expect(loadConfig(configSchema, { NODE_ENV }).ROUTER_SECRET).toBe(DEV_ROUTER_SECRET);
    });
  });

  it('TRUST_PROXY_HOPS: 0 by default, a small non-negative integer', () => {
    expect(loadConfig(configSchema, {}).TRUST_PROXY_HOPS).toBe(0);
    expect(loadConfig(configSchema, { TRUST_PROXY_HOPS: '2' }).TRUST_PROXY_HOPS).toBe(2);
    for (const bad of ['-1', '1.5', 'yes', '11'])
      expect(() => loadConfig(configSchema, { TRUST_PROXY_HOPS: bad })).toThrow(/TRUST_PROXY_HOPS/);
  });
});
