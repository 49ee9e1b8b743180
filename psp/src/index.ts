export { configSchema, type Config } from './config';
export { createApp, type AppOverrides, type PspApp } from './app';
export { signPayload, SIGNATURE_HEADER, type WebhookEvent } from './webhooks';
export { TestProcessor, TEST_CARDS, type ChargeRequest, type ChargeOutcome, type Token } from './processor';
export type { TestRefund, RefundRequest } from './refunds';
export type { Charge, ChargeStatus, Refund, Money, DeclineReason, TestCharge } from './models';
export {
  validateCard,
  luhnValid,
  brandOf,
  type CardSummary,
  type CardBrand,
  type InvalidCardReason,
} from './card';
