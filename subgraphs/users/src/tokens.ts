import { createHash, randomBytes } from 'node:crypto';

/**
 * Opaque secrets handed to clients: refresh tokens (sessions) and password-reset tokens. Each is 32
 * random bytes (256 bits) from the operating system's CSPRNG, written as 43 characters of unpadded
 * base64url. Only their SHA-256 is stored (a table of hashes gives an attacker who reads it nothing
 * to present: the tokens have full entropy, so no salt or slow hash is needed).
 *
 * A token is accepted only in the exact form it was issued: another letter case, a padded (`=`),
 * truncated or longer string is another string, hashes to something never stored, and names nothing.
 */

export const TOKEN_BYTES = 32;
/** Length of an issued token: 32 bytes in unpadded base64url. */
export const TOKEN_LENGTH = 43;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export interface IssuedToken {
  /** The token in clear: goes to the client once, never stored nor logged. */
  token: string;
  /** SHA-256 of the token: what the database keeps. */
  hash: Buffer;
}

export const hashToken = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/** A fresh token and its hash. */
export function newToken(): IssuedToken {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  return { token, hash: hashToken(token) };
}

/** The hash to look a presented token up by, or null when it cannot be one we issued (its shape). */
export function hashOfPresented(token: string): Buffer | null {
  return TOKEN_SHAPE.test(token) ? hashToken(token) : null;
}
