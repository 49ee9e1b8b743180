import { createHash, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface PartnerKey {
  name: string;
  /** sha256 hex of the key. */
  hash: string;
}

export const API_KEY_HEADER = 'x-api-key';

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Finds the partner an API key belongs to. Keys are configured as sha256 hashes; the presented key
 * is hashed and compared in constant time against every configured hash.
 */
export function partnerForKey(
  keys: PartnerKey[],
  presented: string | string[] | undefined,
): PartnerKey | undefined {
  if (typeof presented !== 'string' || presented.length === 0 || presented.length > 256) return undefined;
  const digest = sha256(presented);
  let found: PartnerKey | undefined;
  for (const key of keys) {
    if (timingSafeEqual(digest, Buffer.from(key.hash, 'hex')) && !found) found = key;
  }
  return found;
}

export interface RateLimitResult {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the current window ends. */
  resetSeconds: number;
}

/**
 * A fixed-window limiter in Redis: one counter per partner and minute (INCR + EXPIRE in one
 * MULTI), shared by every router instance.
 */
export function createRateLimiter(
  redis: Redis,
  options: { prefix: string; limit: number; windowSeconds?: number },
) {
  const windowSeconds = options.windowSeconds ?? 60;
  return async function take(partner: string, now = Date.now()): Promise<RateLimitResult> {
    const window = Math.floor(now / 1000 / windowSeconds);
    const key = `${options.prefix}${partner}:${window}`;
    const result = await redis
      .multi()
      .incr(key)
      .expire(key, windowSeconds * 2)
      .exec();
    const count = Number(result?.[0]?.[1] ?? 0);
    const resetSeconds = Math.max(1, (window + 1) * windowSeconds - Math.floor(now / 1000));
    return {
      allowed: count <= options.limit,
      limit: options.limit,
      remaining: Math.max(0, options.limit - count),
      resetSeconds,
    };
  };
}
export type RateLimiter = ReturnType<typeof createRateLimiter>;
