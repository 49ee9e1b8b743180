import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Money } from '@shop/graphql';
import { DECLINE_REASONS, type CardBrand, type DeclineReason, type StoredCard } from '../models';
import {
  ProviderUnavailableError,
  RefundRefusedError,
  WebhookSignatureError,
  type ChargeRequest,
  type ChargeResult,
  type PaymentProvider,
  type ProviderEvent,
  type RefundRequest,
  type RefundResult,
  type WebhookHeaders,
} from './provider';

export interface PspProviderOptions {
  /** The PSP's base URL (PSP_URL). */
  url: string;
  /** payments' API key at the PSP (PSP_SECRET_KEY). */
  secretKey: string;
  /** The webhooks' HMAC key (PSP_WEBHOOK_SECRET). */
  webhookSecret: string;
  /** A webhook signed further than this from now is a replay (WEBHOOK_TOLERANCE_SECONDS). */
  toleranceSeconds: number;
  /** How long a refund, lookup or cancel may take (a charge has the request's signal). */
  callTimeoutMs?: number;
  /** The clock (tests). */
  now?: () => number;
}

/** A charge as the PSP answers it (docs/payment-provider.md). */
interface PspCharge {
  id?: unknown;
  status?: unknown;
  paymentId?: unknown;
  orderId?: unknown;
  amount?: unknown;
  card?: unknown;
  declineReason?: unknown;
  message?: unknown;
  action?: unknown;
}

const BRANDS: Record<string, CardBrand> = {
  VISA: 'VISA',
  MASTERCARD: 'MASTERCARD',
  AMEX: 'AMEX',
  AMERICAN_EXPRESS: 'AMEX',
  DISCOVER: 'DISCOVER',
};

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function toCard(raw: unknown): StoredCard | null {
  if (!raw || typeof raw !== 'object') return null;
  const c = raw as Record<string, unknown>;
  const brand =
    BRANDS[
      String(c.brand ?? '')
        .toUpperCase()
        .replace(/[\s-]+/g, '_')
    ] ?? 'UNKNOWN';
  const last4 = str(c.last4);
  if (!last4 || !/^\d{4}$/.test(last4)) return null;
  return { brand, last4, expMonth: Number(c.expMonth) || 0, expYear: Number(c.expYear) || 0 };
}

function toMoney(raw: unknown): Money | null {
  if (!raw || typeof raw !== 'object') return null;
  const m = raw as Record<string, unknown>;
  if (!Number.isSafeInteger(m.amount) || typeof m.currency !== 'string') return null;
  return { amount: m.amount as number, currency: m.currency };
}

function toDate(raw: unknown): Date | null {
  if (typeof raw === 'number') return new Date(raw < 1e12 ? raw * 1000 : raw);
  if (typeof raw === 'string') {
    const d = new Date(raw);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  return null;
}

function toReason(raw: unknown, fallback: DeclineReason): DeclineReason {
  return DECLINE_REASONS.includes(raw as DeclineReason) ? (raw as DeclineReason) : fallback;
}

const UNKNOWN_CARD: StoredCard = { brand: 'UNKNOWN', last4: '0000', expMonth: 0, expYear: 0 };

/** A PSP charge as payments' ChargeResult. */
export function chargeResult(raw: PspCharge): ChargeResult {
  const chargeId = str(raw.id);
  const card = toCard(raw.card);
  if (!chargeId) throw new ProviderUnavailableError('the payment provider answered a charge without an id');
  switch (raw.status) {
    case 'succeeded':
      return { outcome: 'SUCCEEDED', chargeId, card: card ?? UNKNOWN_CARD };
    case 'requires_action': {
      const action = (raw.action ?? {}) as Record<string, unknown>;
      const url = str(action.url);
      const expiresAt = toDate(action.expiresAt);
      if (!url || !expiresAt)
        throw new ProviderUnavailableError('the payment provider asked for an action without url or expiry');
      return { outcome: 'REQUIRES_ACTION', chargeId, card: card ?? UNKNOWN_CARD, action: { url, expiresAt } };
    }
    case 'declined':
    case 'failed':
    case 'canceled':
    case 'cancelled':
      return {
        outcome: 'DECLINED',
        chargeId,
        card,
        reason: toReason(
          raw.declineReason,
          raw.status === 'declined' ? 'CARD_DECLINED' : 'AUTHENTICATION_FAILED',
        ),
        message: str(raw.message) ?? 'The payment was declined',
      };
    default:
      throw new ProviderUnavailableError(`the payment provider answered an unknown charge status`);
  }
}

/**
 * The test PSP (psp/, docs/payment-provider.md) over HTTP: charges with our payment id as the
 * Idempotency-Key, refunds with our refund keys, lookups and cancels of charges awaiting
 * authentication, and its webhooks verified (Psp-Signature: HMAC-SHA256 of "<t>.<raw body>").
 */
export class PspProvider implements PaymentProvider {
  readonly name = 'test';
  private readonly base: string;
  private readonly callTimeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly options: PspProviderOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.callTimeoutMs = options.callTimeoutMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    const { status, body } = await this.call(
      'POST',
      '/v1/charges',
      {
        token: request.paymentMethod,
        amount: request.amount,
        paymentId: request.paymentId,
        orderId: request.orderId,
        description: request.description,
      },
      request.signal,
      request.paymentId,
    );
    if (status === 200) return chargeResult(body as PspCharge);
    const type = errorType(body);
    // an unknown, expired or used token; or one the PSP refuses by its shape (it takes at most 100 characters)
    if (
      status === 400 &&
      (type === 'invalid_token' || (type === 'invalid_request' && errorField(body) === 'token'))
    )
      return {
        outcome: 'INVALID_PAYMENT_METHOD',
        message: errorMessage(body) ?? 'The payment method is not usable',
      };
    throw this.failure(status, type, 'charge');
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    const { status, body } = await this.call(
      'POST',
      '/v1/refunds',
      { charge: request.chargeId, amount: request.amount, paymentId: request.paymentId },
      AbortSignal.timeout(this.callTimeoutMs),
      request.idempotencyKey,
    );
    if (status === 200) {
      const id = str((body as Record<string, unknown> | null)?.id);
      if (!id) throw new ProviderUnavailableError('the payment provider answered a refund without an id');
      return { refundId: id };
    }
    const type = errorType(body);
    if (status === 400 && type === 'refund_refused')
      throw new RefundRefusedError(errorMessage(body) ?? 'the payment provider refused the refund');
    throw this.failure(status, type, 'refund');
  }

  async retrieveCharge(chargeId: string): Promise<ChargeResult> {
    const { status, body } = await this.call(
      'GET',
      `/v1/charges/${encodeURIComponent(chargeId)}`,
      undefined,
      AbortSignal.timeout(this.callTimeoutMs),
    );
    if (status === 200) return chargeResult(body as PspCharge);
    throw this.failure(status, errorType(body), 'charge lookup');
  }

  async cancelCharge(chargeId: string): Promise<ChargeResult> {
    const { status, body } = await this.call(
      'POST',
      `/v1/charges/${encodeURIComponent(chargeId)}/cancel`,
      {},
      AbortSignal.timeout(this.callTimeoutMs),
    );
    if (status === 200) return chargeResult(body as PspCharge);
    throw this.failure(status, errorType(body), 'charge cancel');
  }

  parseWebhook(rawBody: Buffer, headers: WebhookHeaders): ProviderEvent | null {
    verifySignature(
      rawBody,
      headers['psp-signature'],
      this.options.webhookSecret,
      this.options.toleranceSeconds,
      this.now(),
    );
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawBody.toString('utf8'));
    } catch {
      return null; // signed by the PSP but not JSON: nothing payments can act on
    }
    const event = (parsed ?? {}) as Record<string, unknown>;
    const id = str(event.id);
    if (!id || (event.type !== 'charge.succeeded' && event.type !== 'charge.failed')) return null;
    const charge = ((event.data as Record<string, unknown> | undefined)?.charge ?? {}) as PspCharge;
    const chargeId = str(charge.id);
    const paymentId = str(charge.paymentId);
    const orderId = str(charge.orderId);
    const amount = toMoney(charge.amount);
    if (!chargeId || !paymentId || !orderId || !amount) return null;
    const failed = event.type === 'charge.failed';
    return {
      id,
      type: event.type,
      chargeId,
      paymentId,
      orderId,
      amount,
      card: toCard(charge.card),
      reason: failed ? toReason(charge.declineReason, 'AUTHENTICATION_FAILED') : null,
      message: failed ? (str(charge.message) ?? 'The payment failed') : null,
    };
  }

  /** One HTTP call; a network error, an abort or a timeout is ProviderUnavailableError. */
  private async call(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    signal: AbortSignal,
    idempotencyKey?: string,
  ): Promise<{ status: number; body: unknown }> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.secretKey}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers,
        signal,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      text = await response.text();
    } catch (error) {
      throw new ProviderUnavailableError(
        `the payment provider could not be reached (${(error as Error).name ?? 'error'})`,
      );
    }
    let parsed: unknown = null;
    try {
      parsed = text.length ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    return { status: response.status, body: parsed };
  }

  /** A non-2xx answer payments has no outcome for: down (5xx) is unavailable, anything else a bug. */
  private failure(status: number, type: string | null, what: string): Error {
    if (status >= 500 || status === 429)
      return new ProviderUnavailableError(`the payment provider's ${what} answered ${status}`);
    return new Error(`the payment provider refused the ${what}: ${status} ${type ?? ''}`.trim());
  }
}

function errorType(body: unknown): string | null {
  return str(((body as Record<string, unknown> | null)?.error as Record<string, unknown> | undefined)?.type);
}

function errorField(body: unknown): string | null {
  return str(((body as Record<string, unknown> | null)?.error as Record<string, unknown> | undefined)?.field);
}

function errorMessage(body: unknown): string | null {
  return str(
    ((body as Record<string, unknown> | null)?.error as Record<string, unknown> | undefined)?.message,
  );
}

/**
 * Checks `Psp-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256("<t>.<raw body>")>` (several v1 are
 * allowed, as during a secret rotation): one must match, compared in constant time, and t must be
 * within the tolerance of now. Throws WebhookSignatureError saying why (never echoing the body).
 */
export function verifySignature(
  rawBody: Buffer,
  header: string | string[] | undefined,
  secret: string,
  toleranceSeconds: number,
  nowMs: number,
): void {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) throw new WebhookSignatureError('no Psp-Signature header');
  let t: string | null = null;
  const signatures: string[] = [];
  for (const part of value.split(',')) {
    const [k, v] = part.trim().split('=', 2);
    if (k === 't' && v) t = v;
    if (k === 'v1' && v) signatures.push(v);
  }
  if (!t || !/^\d{1,12}$/.test(t)) throw new WebhookSignatureError('no timestamp in the signature');
  if (signatures.length === 0) throw new WebhookSignatureError('no v1 signature');
  const expected = createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest();
  const matches = signatures.some((hex) => {
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) return false;
    return timingSafeEqual(Buffer.from(hex, 'hex'), expected);
  });
  if (!matches) throw new WebhookSignatureError('the signature does not match');
  if (Math.abs(nowMs / 1000 - Number(t)) > toleranceSeconds)
    throw new WebhookSignatureError('the signature is too old (a replay) or from the future');
}

/** Signs a body as the PSP does (tests, and the PSP's own delivery if it wants it). */
export function signPspWebhook(rawBody: string | Buffer, secret: string, timestamp: number): string {
  const t = String(Math.floor(timestamp));
  const v1 = createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest('hex');
  return `t=${t},v1=${v1}`;
}
