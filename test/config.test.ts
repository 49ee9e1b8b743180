/**
 * Invalid configuration stops start-up with one message naming every bad variable.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ConfigError, endpointFields, loadConfig, port, z } from '@shop/config';

const root = fileURLToPath(new URL('..', import.meta.url));

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

function runScript(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn('npx', args, { cwd: root, env: { ...process.env, ...env } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

const schema = z.object({ PORT: port(4001), MONGO_URL: endpointFields.MONGO_URL });

test('a non-numeric port and a malformed URL are both reported in one ConfigError', () => {
  const error = configError(() => loadConfig(schema, { PORT: 'forty', MONGO_URL: 'not a url' }));

  expect(error.problems).toHaveLength(2);
  expect(error.problems[0]).toMatch(/^PORT: .*"forty"/);
  expect(error.problems[1]).toMatch(/^MONGO_URL: .*"not a url"/);
  expect(error.message).toContain('PORT');
  expect(error.message).toContain('MONGO_URL');
});

test('valid values and the defaults parse', () => {
  expect(loadConfig(schema, { PORT: '4010' })).toEqual({
    PORT: 4010,
    MONGO_URL: 'mongodb://127.0.0.1:27017/',
  });
});

test('the services script exits non-zero naming every bad URL', async () => {
  const { code, stderr } = await runScript(['tsx', 'scripts/services.ts'], {
    MONGO_URL: 'notaurl',
    REDIS_URL: 'x',
  });

  expect(code).not.toBe(0);
  expect(stderr).toContain('MONGO_URL');
  expect(stderr).toContain('REDIS_URL');
});
