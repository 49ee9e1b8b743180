import {
  commonFields,
  DEV_ROUTER_SECRET,
  endpointFields,
  jwksUrlField,
  natsPrefixField,
  port,
  positiveInt,
  refuseDevelopmentDefaults,
  routerSecretField,
  subgraph,
  z,
} from '@shop/config';

/** A comma-separated list of positive integers, e.g. "1000,5000,30000". */
const msList = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((v) => v.split(',').every((part) => /^\s*\d+\s*$/.test(part) && Number(part) > 0), {
      message: 'must be a comma-separated list of positive integers (milliseconds)',
    })
    .transform((v) => v.split(',').map((part) => Number(part.trim())));

export const configSchema = z
  .object({
    ...commonFields,
    PORT: port(subgraph('notifications').port),
    ROUTER_SECRET: routerSecretField,
    JWKS_URL: jwksUrlField,
    NATS_URL: endpointFields.NATS_URL,
    NATS_PREFIX: natsPrefixField,
    /** Where confirmation emails go: smtp:// or smtps://, with user:password if the server needs it. */
    SMTP_URL: endpointFields.SMTP_URL,
    /** The From header of every email. */
    MAIL_FROM: z.string().min(3).default('Shop <orders@shop.local>'),
    /** How long to wait for users.contact before the event is retried later. */
    USERS_TIMEOUT_MS: positiveInt(3000),
    /** Deliveries of an orders.paid event before it goes to the dead-letter subject. */
    MAX_DELIVER: positiveInt(6),
    /** Redelivery delays after a failure, in ms; the last one repeats. */
    BACKOFF_MS: msList('1000,5000,15000,60000,120000'),
  })
  .superRefine(refuseDevelopmentDefaults({ ROUTER_SECRET: DEV_ROUTER_SECRET }));

export type Config = z.infer<typeof configSchema>;
