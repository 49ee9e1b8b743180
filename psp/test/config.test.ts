import { ConfigError, DEV_PSP_SECRET_KEY, DEV_PSP_WEBHOOK_SECRET, loadConfig } from '@shop/config';
import { configSchema } from '../src/config';
import { createApp } from '../src/app';
import { createLogger } from '@shop/server';

const problems = (env: Record<string, string>) => {
  try {
    loadConfig(configSchema, env);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.map((p) => p.split(':')[0]);
  }
};

it('has the documented defaults', () => {
  expect(loadConfig(configSchema, {})).toMatchObject({
    PORT: 4010,
    PSP_SECRET_KEY: DEV_PSP_SECRET_KEY,
    PSP_WEBHOOK_SECRET: DEV_PSP_WEBHOOK_SECRET,
    WEBHOOK_URL: 'http://127.0.0.1:4004/webhooks/provider',
    PUBLIC_URL: 'http://localhost:4010',
    TOKEN_TTL_SECONDS: 900,
    AUTHENTICATION_TTL_SECONDS: 300,
    LATENCY_MS: 0,
  });
});

it('refuses both published secrets in production, naming them without their values', () => {
  expect(problems({ NODE_ENV: 'production' }).sort()).toEqual(['PSP_SECRET_KEY', 'PSP_WEBHOOK_SECRET']);
  expect(
    problems({ NODE_ENV: 'production', PSP_SECRET_KEY: 'k'.repeat(32), PSP_WEBHOOK_SECRET: 'w'.repeat(32) }),
  ).toEqual([]);
  expect(problems({ PSP_SECRET_KEY: 'short' })).toEqual(['PSP_SECRET_KEY']);
});

it('bounds LATENCY_MS to 0-60000 and wants URLs and positive TTLs', () => {
  expect(problems({ LATENCY_MS: '60000' })).toEqual([]);
  expect(problems({ LATENCY_MS: '60001' })).toEqual(['LATENCY_MS']);
  expect(problems({ LATENCY_MS: '-1' })).toEqual(['LATENCY_MS']);
  expect(problems({ WEBHOOK_URL: 'ftp://x', PUBLIC_URL: 'nope' }).sort()).toEqual([
    'PUBLIC_URL',
    'WEBHOOK_URL',
  ]);
  expect(problems({ AUTHENTICATION_TTL_SECONDS: '86400' })).toEqual([]);
  expect(problems({ AUTHENTICATION_TTL_SECONDS: '86401' })).toEqual(['AUTHENTICATION_TTL_SECONDS']); // beyond a timer's range soon
  expect(problems({ TOKEN_TTL_SECONDS: '0', AUTHENTICATION_TTL_SECONDS: 'x' }).sort()).toEqual([
    'AUTHENTICATION_TTL_SECONDS',
    'TOKEN_TTL_SECONDS',
  ]);
});

it('createApp listens on a free port for PORT 0, and stop() may be called twice', async () => {
  const app = createApp(loadConfig(configSchema, { PORT: '0' }), {
    log: createLogger({ name: 'psp', level: 'silent' }),
  });
  const { url, port } = await app.start();
  expect(port).toBeGreaterThan(0);
  expect(url).toBe(`http://127.0.0.1:${port}`);
  expect((await fetch(`${url}/readyz`)).status).toBe(200);
  await Promise.all([app.stop(), app.stop()]);
  await app.stop();
  await expect(fetch(`${url}/healthz`)).rejects.toThrow();
});
