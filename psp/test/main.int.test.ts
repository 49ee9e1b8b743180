import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PSP } from '@shop/config';
import { createLauncher, type Launcher } from '@shop/graph';
import { SECRET_KEY, WEBHOOK_SECRET } from './helpers';

/** The PSP as the launcher runs it: its main.ts from the service table, configured by environment. */
let logDir: string;
let launcher: Launcher<'psp'>;
beforeAll(async () => {
  logDir = mkdtempSync(join(tmpdir(), 'psp-main-'));
  launcher = await createLauncher({
    processes: [PSP],
    logDir,
    env: {
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      PSP_SECRET_KEY: SECRET_KEY,
      PSP_WEBHOOK_SECRET: WEBHOOK_SECRET,
    },
    readyTimeoutMs: 60_000,
  });
  await launcher.startAll();
}, 90_000);
afterAll(async () => {
  await launcher?.stop();
  rmSync(logDir, { recursive: true, force: true });
});

it('starts from the table’s entry, tokenises and charges, and stops on SIGTERM', async () => {
  const url = launcher.url('psp');
  expect((await fetch(`${url}/readyz`)).status).toBe(200);
  const token = await fetch(`${url}/v1/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      card: { number: '4242424242424242', expMonth: 1, expYear: 2099, cvc: '123', holderName: 'A' },
    }),
  });
  expect(token.status).toBe(201);
  const { id } = (await token.json()) as { id: string };
  const charge = await fetch(`${url}/v1/charges`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${SECRET_KEY}`,
      'idempotency-key': 'k',
    },
    body: JSON.stringify({
      token: id,
      amount: { amount: 100, currency: 'EUR' },
      paymentId: 'p',
      orderId: 'o',
    }),
  });
  expect(((await charge.json()) as { status: string }).status).toBe('succeeded');
  await launcher.stop();
  const log = readFileSync(join(logDir, 'psp.log'), 'utf8');
  expect(log).toContain('psp listening');
  expect(log).toContain('shutting down');
  expect(log).not.toContain('4242424242424242');
  expect(log).not.toContain(SECRET_KEY);
});

it('refuses to start in production on the published development secrets', async () => {
  const dev = await createLauncher({
    processes: [PSP],
    logDir,
    env: { NODE_ENV: 'production', PSP_SECRET_KEY: '', PSP_WEBHOOK_SECRET: '' },
    readyTimeoutMs: 30_000,
  });
  await expect(dev.startAll()).rejects.toThrow();
  await dev.stop();
  const log = readFileSync(join(logDir, 'psp.log'), 'utf8');
  expect(log).toMatch(/PSP_SECRET_KEY: is a published development value/);
  expect(log).toMatch(/PSP_WEBHOOK_SECRET: is a published development value/);
}, 60_000);
