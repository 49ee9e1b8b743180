import {
  commonFields,
  endpointFields,
  natsPrefixField,
  DEV_ROUTER_SECRET,
  port,
  positiveInt,
  refuseDevelopmentDefaults,
  routerSecretField,
  subgraph,
  urlWith,
  z,
} from '@shop/config';
import type { SigningKey } from '@shop/auth';
import { checkPassword, isInvalid, normalizeEmail } from './validation';

/** The administrator password of the demo (docker-compose.yml, `npm start`): refused in production. */
export const DEMO_ADMIN_PASSWORD = 'admin-password-123';

/** Where a password-reset link points unless PASSWORD_RESET_URL says otherwise (a storefront page). */
export const DEFAULT_PASSWORD_RESET_URL = 'http://localhost:3000/reset-password';

/** An integer from `min` to `max`, e.g. a lifetime in seconds. */
const intBetween = (fallback: number, min: number, max: number) =>
  z
    .string()
    .default(String(fallback))
    .refine((v) => /^\d{1,10}$/.test(v) && Number(v) >= min && Number(v) <= max, {
      message: `must be an integer from ${min} to ${max}`,
    })
    .transform(Number);

const DAY = 86_400;

/** The users subgraph's database unless POSTGRES_URL says otherwise. */
export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/shop_users';

const privateJwk = z
  .object({
    kty: z.literal('OKP'),
    crv: z.literal('Ed25519'),
    kid: z.string().min(1).max(64),
    x: z.string().min(1),
    d: z.string().min(1),
  })
  .loose();

/**
 * JWT_PRIVATE_KEYS: a JSON array of one or two private Ed25519 JWKs, each with a kid. The first one
 * signs; both are published in the JWKS, so the previous key keeps verifying during a rotation.
 */
const signingKeys = z
  .string()
  .optional()
  .transform((value, ctx): SigningKey[] | undefined => {
    if (value === undefined) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON array of private JWKs' });
      return z.NEVER;
    }
    const result = z.array(privateJwk).min(1).max(2).safeParse(parsed);
    if (!result.success) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be a JSON array of 1-2 private Ed25519 JWKs (kty, crv, kid, x, d)',
      });
      return z.NEVER;
    }
    return result.data.map((jwk) => ({ kid: jwk.kid, privateJwk: jwk }));
  });

export const configSchema = z
  .object({
    ...commonFields,
    PORT: port(subgraph('users').port),
    ROUTER_SECRET: routerSecretField,
    POSTGRES_URL: urlWith(['postgres', 'postgresql'], DEFAULT_POSTGRES_URL),
    NATS_URL: endpointFields.NATS_URL,
    NATS_PREFIX: natsPrefixField,
    /** Private signing keys; required in production. */
    JWT_PRIVATE_KEYS: signingKeys,
    /** Where development keys are generated once when JWT_PRIVATE_KEYS is unset (git-ignored). */
    JWT_KEYS_FILE: z.string().min(1).default('.data/users/jwt-keys.json'),
    /** Lifetime of an access token in seconds. */
    JWT_TTL_SECONDS: positiveInt(900),
    /**
     * Failed sign-ins for one account from one client address before each further attempt from
     * there waits (LOGIN_DELAY_SECONDS, doubling per failure). Other addresses are not affected.
     */
    LOGIN_MAX_FAILURES: positiveInt(5),
    /** Failed sign-ins from one client address, over all accounts, before its attempts wait. */
    LOGIN_ADDRESS_MAX_FAILURES: positiveInt(50),
    /** A throttling bucket is forgotten this many seconds after its last failure. */
    LOGIN_WINDOW_SECONDS: positiveInt(3600),
    /** The first wait after the limit, in seconds; it doubles with every further failure. */
    LOGIN_DELAY_SECONDS: positiveInt(30),
    /** The longest wait between attempts, in seconds. */
    LOGIN_MAX_DELAY_SECONDS: positiveInt(900),
    /**
     * A session's refresh token expires when unused this many seconds (each refresh starts it
     * again): 14 days by default, 5 minutes to 90 days.
     */
    SESSION_IDLE_SECONDS: intBetween(14 * DAY, 300, 90 * DAY),
    /**
     * A session accepts no refresh this many seconds after its sign-in, however active (then the
     * user signs in again): 30 days by default, 5 minutes to 365 days; at least SESSION_IDLE_SECONDS.
     */
    SESSION_MAX_SECONDS: intBetween(30 * DAY, 300, 365 * DAY),
    /** Live sessions per user (1-100); one more sign-in revokes the oldest. */
    SESSIONS_PER_USER: intBetween(20, 1, 100),
    /** How long a password-reset link works, in seconds: 30 minutes by default, 5 minutes to 1 day. */
    PASSWORD_RESET_TTL_SECONDS: intBetween(1800, 300, DAY),
    /** The storefront page a reset link opens, with `?token=` added (use https outside development). */
    PASSWORD_RESET_URL: urlWith(['http', 'https'], DEFAULT_PASSWORD_RESET_URL),
    /** Reset requests per email address within PASSWORD_RESET_WINDOW_SECONDS (1-100). */
    PASSWORD_RESET_MAX_PER_EMAIL: intBetween(3, 1, 100),
    /** Reset requests per client address within PASSWORD_RESET_WINDOW_SECONDS (1-10000). */
    PASSWORD_RESET_MAX_PER_CLIENT: intBetween(20, 1, 10_000),
    /** The window of the reset request limits, in seconds (1 minute to 1 day). */
    PASSWORD_RESET_WINDOW_SECONDS: intBetween(3600, 60, DAY),
    /** How long to wait for notifications.password_reset (the email send) in ms (100-60000). */
    NOTIFICATIONS_TIMEOUT_MS: intBetween(10_000, 100, 60_000),
    /** An administrator account created at start-up when missing (both or neither). */
    ADMIN_EMAIL: z.string().optional(),
    ADMIN_PASSWORD: z.string().optional(),
  })
  .superRefine(
    refuseDevelopmentDefaults({ ROUTER_SECRET: DEV_ROUTER_SECRET, ADMIN_PASSWORD: DEMO_ADMIN_PASSWORD }),
  )
  .superRefine((config, ctx) => {
    if (config.NODE_ENV === 'production' && !config.JWT_PRIVATE_KEYS) {
      ctx.addIssue({ code: 'custom', path: ['JWT_PRIVATE_KEYS'], message: 'is required in production' });
    }
    if ((config.ADMIN_EMAIL === undefined) !== (config.ADMIN_PASSWORD === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['ADMIN_PASSWORD'],
        message: 'ADMIN_EMAIL and ADMIN_PASSWORD must be set together',
      });
    }
    // The administrator's address follows the one rule of every account (validation.ts).
    const adminEmail = config.ADMIN_EMAIL === undefined ? undefined : normalizeEmail(config.ADMIN_EMAIL);
    if (isInvalid(adminEmail))
      ctx.addIssue({ code: 'custom', path: ['ADMIN_EMAIL'], message: adminEmail.message });
    const adminPassword =
      config.ADMIN_PASSWORD === undefined ? undefined : checkPassword(config.ADMIN_PASSWORD);
    if (isInvalid(adminPassword))
      ctx.addIssue({ code: 'custom', path: ['ADMIN_PASSWORD'], message: adminPassword.message });
    if (config.SESSION_MAX_SECONDS < config.SESSION_IDLE_SECONDS)
      ctx.addIssue({
        code: 'custom',
        path: ['SESSION_MAX_SECONDS'],
        message: 'must be at least SESSION_IDLE_SECONDS',
      });
    if (config.LOGIN_MAX_DELAY_SECONDS < config.LOGIN_DELAY_SECONDS)
      ctx.addIssue({
        code: 'custom',
        path: ['LOGIN_MAX_DELAY_SECONDS'],
        message: 'must be at least LOGIN_DELAY_SECONDS',
      });
    if (config.LOGIN_WINDOW_SECONDS < config.LOGIN_MAX_DELAY_SECONDS)
      ctx.addIssue({
        code: 'custom',
        path: ['LOGIN_WINDOW_SECONDS'],
        message: 'must be at least LOGIN_MAX_DELAY_SECONDS (a bucket must outlive its longest wait)',
      });
  });

export type Config = z.infer<typeof configSchema>;
