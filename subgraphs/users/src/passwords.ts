import { hash, verify, type Algorithm } from '@node-rs/argon2';

/**
 * argon2id with the OWASP Password Storage Cheat Sheet's first recommended configuration:
 * m=19456 KiB (19 MiB), t=2, p=1.
 */
export const ARGON2_OPTIONS = {
  // Algorithm is an ambient const enum, which isolatedModules cannot read; 2 is Argon2id.
  algorithm: 2 as Algorithm,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(passwordHash: string, password: string): Promise<boolean>;
  /**
   * Verifies against a hash of a random password, so that a login for an unknown email costs the
   * same time as one with a wrong password.
   */
  verifyDummy(password: string): Promise<false>;
}

export async function createPasswordHasher(): Promise<PasswordHasher> {
  const dummyHash = await hash(crypto.randomUUID(), ARGON2_OPTIONS);
  const check = async (passwordHash: string, password: string) => {
    try {
      return await verify(passwordHash, password);
    } catch {
      return false;
    }
  };
  return {
    hash: (password) => hash(password, ARGON2_OPTIONS),
    verify: check,
    verifyDummy: async (password) => {
      await check(dummyHash, password);
      return false;
    },
  };
}
