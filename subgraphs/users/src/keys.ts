import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateSigningKey, type SigningKey } from '@shop/auth';
import type { Logger } from '@shop/server';
import type { Config } from './config';

/** Reads a keys file written by loadSigningKeys (a JSON array of private JWKs). */
function readKeysFile(path: string): SigningKey[] {
  const jwks = JSON.parse(readFileSync(path, 'utf8')) as { kid?: string }[];
  if (!Array.isArray(jwks) || jwks.length === 0 || jwks.some((k) => typeof k.kid !== 'string')) {
    throw new Error(`${path} is not a JSON array of private JWKs with kid`);
  }
  return jwks.map((jwk) => ({ kid: jwk.kid!, privateJwk: jwk }));
}

/**
 * The signing keys: JWT_PRIVATE_KEYS when set; in tests a fresh in-memory key; in development a key
 * generated once into JWT_KEYS_FILE (git-ignored .data/), so tokens survive restarts. Production
 * requires JWT_PRIVATE_KEYS (enforced by the config schema).
 */
export async function loadSigningKeys(config: Config, log: Logger): Promise<SigningKey[]> {
  if (config.JWT_PRIVATE_KEYS) return config.JWT_PRIVATE_KEYS;
  if (config.NODE_ENV === 'test')
    return [await generateSigningKey(`test-${crypto.randomUUID().slice(0, 8)}`)];
  const path = config.JWT_KEYS_FILE;
  try {
    return readKeysFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = await generateSigningKey(
    `dev-${new Date().toISOString().slice(0, 10)}-${crypto.randomUUID().slice(0, 8)}`,
  );
  mkdirSync(dirname(path), { recursive: true });
  try {
    // 'wx': if another process created the file meanwhile, use its key instead.
    writeFileSync(path, `${JSON.stringify([key.privateJwk], null, 2)}\n`, { flag: 'wx', mode: 0o600 });
    log.info({ path, kid: key.kid }, 'generated a development signing key');
    return [key];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readKeysFile(path);
    throw error;
  }
}
