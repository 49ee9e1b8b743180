/**
 * createRunSecrets(label): the secrets of one run of the graph, never the development defaults: the
 * router secret, a partner API key, the admin account, users' signing key, and payments' key at the
 * test PSP and the PSP's webhook signing secret (both given to payments and the PSP).
 */
import { createHash, randomBytes } from 'node:crypto';
import { generateSigningKey } from '@shop/auth';
import { PSP, ROUTER, type ProcessName } from '@shop/config';
import { TOKEN_ISSUER } from './graph';

export interface RunSecrets {
  routerSecret: string;
  /** The partner API key in clear (x-api-key); the router gets its hash. */
  partnerKey: string;
  admin: { email: string; password: string };
  /** JWT_PRIVATE_KEYS of users: a fixed key, so tokens issued before a restart of users still verify. */
  jwtPrivateKeys: string;
  /** PSP_SECRET_KEY: payments' Bearer key at the test PSP. */
  pspSecretKey: string;
  /** PSP_WEBHOOK_SECRET: the PSP signs its webhooks with it, payments verifies them. */
  pspWebhookSecret: string;
  /**
   * ROUTER_SECRET (of every process but the PSP, which takes no router requests), and the variables
   * of the process that holds a secret (users, payments, the PSP, the router).
   */
  envFor(name: ProcessName): Record<string, string>;
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

export async function createRunSecrets(label: string): Promise<RunSecrets> {
  const key = await generateSigningKey(`kid-${label}-${hex(4)}`);
  const secrets = {
    routerSecret: `secret-${label}-${hex(16)}`,
    partnerKey: `partner-${label}-${hex(8)}`,
    admin: { email: `admin-${label}@example.com`, password: `admin-${hex(8)}-secret` },
    jwtPrivateKeys: JSON.stringify([key.privateJwk]),
    pspSecretKey: `psp-key-${label}-${hex(16)}`,
    pspWebhookSecret: `psp-webhook-${label}-${hex(16)}`,
  };
  const partnerApiKeys = `run:${createHash('sha256').update(secrets.partnerKey).digest('hex')}`;
  return {
    ...secrets,
    envFor(name) {
      const psp = { PSP_SECRET_KEY: secrets.pspSecretKey, PSP_WEBHOOK_SECRET: secrets.pspWebhookSecret };
      if (name === PSP.name) return psp;
      const env: Record<string, string> = { ROUTER_SECRET: secrets.routerSecret };
      if (name === TOKEN_ISSUER)
        Object.assign(env, {
          ADMIN_EMAIL: secrets.admin.email,
          ADMIN_PASSWORD: secrets.admin.password,
          JWT_PRIVATE_KEYS: secrets.jwtPrivateKeys,
        });
      if (name === ROUTER.name) env.PARTNER_API_KEYS = partnerApiKeys;
      if (name === 'payments') Object.assign(env, psp);
      return env;
    },
  };
}
