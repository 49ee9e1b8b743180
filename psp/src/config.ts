import {
  commonFields,
  DEV_PSP_SECRET_KEY,
  DEV_PSP_WEBHOOK_SECRET,
  nonNegativeInt,
  port,
  positiveInt,
  PSP,
  pspSecretKeyField,
  pspWebhookSecretField,
  refuseDevelopmentDefaults,
  subgraph,
  urlWith,
  z,
} from '@shop/config';

/** Every variable the test PSP reads, validated at once (docs/payment-provider.md). */
export const configSchema = z
  .object({
    ...commonFields,
    PORT: port(PSP.port),
    /** payments' API key: `Authorization: Bearer <PSP_SECRET_KEY>` on every server-to-server call. */
    PSP_SECRET_KEY: pspSecretKeyField,
    /** The key of the HMAC-SHA256 that signs every webhook (Psp-Signature). */
    PSP_WEBHOOK_SECRET: pspWebhookSecretField,
    /** Where charge.succeeded / charge.failed are posted: payments' provider webhook endpoint. */
    WEBHOOK_URL: urlWith(
      ['http', 'https'],
      `http://127.0.0.1:${subgraph('payments').port}/webhooks/provider`,
    ),
    /** The PSP as the customer's browser reaches it: the base of the authentication page URLs. */
    PUBLIC_URL: urlWith(['http', 'https'], `http://localhost:${PSP.port}`),
    /** How long a card token stays usable (it is single use: a created charge consumes it). */
    TOKEN_TTL_SECONDS: positiveInt(900),
    /** How long a charge waits for its authentication before it is abandoned (AUTHENTICATION_FAILED; at most a day). */
    AUTHENTICATION_TTL_SECONDS: positiveInt(300).refine((v) => v <= 86_400, {
      message: 'must be at most 86400',
    }),
    /** The simulated processor latency of a charge, in ms (demos, benchmarks, race tests). */
    LATENCY_MS: nonNegativeInt(0, 60_000),
  })
  .superRefine(
    refuseDevelopmentDefaults({
      PSP_SECRET_KEY: DEV_PSP_SECRET_KEY,
      PSP_WEBHOOK_SECRET: DEV_PSP_WEBHOOK_SECRET,
    }),
  );

export type Config = z.infer<typeof configSchema>;
