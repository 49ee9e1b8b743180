import { createHmac } from 'node:crypto';
import { chargeResult, PspProvider, signPspWebhook, verifySignature } from '../src/providers/psp-provider';
import { ProviderUnavailableError, WebhookSignatureError } from '../src/providers/provider';

/** PspProvider without a PSP: signatures, parsing, answers mapped, an unreachable PSP. */
const SECRET = 'unit-test-webhook-secret-0123';
const NOW = 1_764_672_000_000;
const provider = new PspProvider({
  url: 'http://127.0.0.1:9',
  secretKey: 'unit-test-secret-key-0123456',
  webhookSecret: SECRET,
  toleranceSeconds: 300,
  callTimeoutMs: 500,
  now: () => NOW,
});
const charge = {
  id: 'ch_1',
  status: 'succeeded',
  paymentId: 'p',
  orderId: 'o',
  amount: { amount: 100, currency: 'EUR' },
  card: { brand: 'VISA', last4: '4242', expMonth: 12, expYear: 2099 },
  declineReason: null,
  message: null,
  action: null,
};
const event = (type: string, c: unknown = charge) =>
  Buffer.from(JSON.stringify({ id: 'evt_1', type, created: NOW / 1000, data: { charge: c } }));

describe('PspProvider', () => {
  it('accepts the signature exactly as the docs define it (HMAC-SHA256 of "<t>.<raw body>"), within ±300 s', () => {
    const body = event('charge.succeeded');
    const t = NOW / 1000;
    const v1 = createHmac('sha256', SECRET).update(`${t}.${body.toString()}`).digest('hex');
    expect(signPspWebhook(body, SECRET, t)).toBe(`t=${t},v1=${v1}`);
    for (const at of [t, t - 300, t + 300])
      expect(() => verifySignature(body, signPspWebhook(body, SECRET, at), SECRET, 300, NOW)).not.toThrow();
    for (const at of [t - 301, t + 301])
      expect(() => verifySignature(body, signPspWebhook(body, SECRET, at), SECRET, 300, NOW)).toThrow(
        WebhookSignatureError,
      );
    // a rotation: one of several v1 values matching is enough
    expect(() =>
      verifySignature(body, `t=${t},v1=${'0'.repeat(64)},v1=${v1}`, SECRET, 300, NOW),
    ).not.toThrow();
    // an array header (a repeated header) is read by its first value
    expect(() => verifySignature(body, [`t=${t},v1=${v1}`, 'junk'], SECRET, 300, NOW)).not.toThrow();
  });

  it('parses charge.succeeded and charge.failed; other types, and events without our ids, are null', () => {
    const sign = (b: Buffer) => ({ 'psp-signature': signPspWebhook(b, SECRET, NOW / 1000) });
    const ok = event('charge.succeeded');
    expect(provider.parseWebhook(ok, sign(ok))).toMatchObject({
      id: 'evt_1',
      type: 'charge.succeeded',
      chargeId: 'ch_1',
      paymentId: 'p',
      orderId: 'o',
      amount: { amount: 100, currency: 'EUR' },
      card: { brand: 'VISA', last4: '4242' },
      reason: null,
    });
    const failed = event('charge.failed', {
      ...charge,
      status: 'failed',
      declineReason: 'AUTHENTICATION_FAILED',
    });
    expect(provider.parseWebhook(failed, sign(failed))).toMatchObject({ reason: 'AUTHENTICATION_FAILED' });
    const odd = event('charge.failed', { ...charge, status: 'failed', declineReason: 'DROP TABLE' });
    expect(provider.parseWebhook(odd, sign(odd))?.reason).toBe('AUTHENTICATION_FAILED');
    for (const b of [event('charge.refunded'), event('charge.succeeded', { ...charge, paymentId: 5 })])
      expect(provider.parseWebhook(b, sign(b))).toBeNull();
    expect(() => provider.parseWebhook(ok, {})).toThrow(WebhookSignatureError);
  });

  it('maps the charge statuses; an unknown status or an action without url is the provider failing', () => {
    expect(chargeResult(charge)).toMatchObject({ outcome: 'SUCCEEDED', chargeId: 'ch_1' });
    expect(
      chargeResult({ ...charge, status: 'declined', declineReason: 'INSUFFICIENT_FUNDS' }),
    ).toMatchObject({
      outcome: 'DECLINED',
      reason: 'INSUFFICIENT_FUNDS',
    });
    expect(chargeResult({ ...charge, status: 'failed' })).toMatchObject({
      outcome: 'DECLINED',
      reason: 'AUTHENTICATION_FAILED',
    });
    const at = new Date(NOW + 300_000).toISOString();
    expect(
      chargeResult({
        ...charge,
        status: 'requires_action',
        action: { type: 'redirect_to_url', url: 'u', expiresAt: at },
      }),
    ).toMatchObject({ outcome: 'REQUIRES_ACTION', action: { url: 'u', expiresAt: new Date(at) } });
    expect(() => chargeResult({ ...charge, status: 'requires_action', action: null })).toThrow(
      ProviderUnavailableError,
    );
    expect(() => chargeResult({ ...charge, status: 'weird' })).toThrow(ProviderUnavailableError);
  });

  it('an unreachable PSP is ProviderUnavailableError for every call', async () => {
    const signal = AbortSignal.timeout(1_000);
    const request = {
      paymentId: 'p',
      orderId: 'o',
      amount: { amount: 1, currency: 'EUR' },
      paymentMethod: 'tok_1',
      description: 'd',
      signal,
    };
    await expect(provider.charge(request)).rejects.toThrow(ProviderUnavailableError);
    await expect(
      provider.refund({
        paymentId: 'p',
        chargeId: 'ch_1',
        amount: { amount: 1, currency: 'EUR' },
        idempotencyKey: 'k',
      }),
    ).rejects.toThrow(ProviderUnavailableError);
    await expect(provider.retrieveCharge('ch_1')).rejects.toThrow(ProviderUnavailableError);
    await expect(provider.cancelCharge('ch_1')).rejects.toThrow(ProviderUnavailableError);
  });
});
