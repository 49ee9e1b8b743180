import { setTimeout as sleep } from 'node:timers/promises';
import type { ChargeEvent } from '../src/models';
import { TEST_CARDS, TestProcessor, type ChargeRequest, type ProcessorOptions } from '../src/processor';

let clock = Date.parse('2026-06-15T12:00:00Z');
const events: ChargeEvent[] = [];
const processors: TestProcessor[] = [];
function processor(options: Partial<ProcessorOptions> = {}) {
  const p = new TestProcessor({
    tokenTtlSeconds: 900,
    authenticationTtlSeconds: 300,
    publicUrl: 'http://localhost:4010/',
    now: () => clock,
    onEvent: (event) => events.push(event),
    ...options,
  });
  processors.push(p);
  return p;
}
afterEach(() => {
  for (const p of processors.splice(0)) p.stop();
  events.length = 0;
});

const card = (number: string = TEST_CARDS.SUCCESS) => ({
  number,
  expMonth: 12,
  expYear: 2099,
  cvc: number.startsWith('37') ? '7391' : '739',
  holderName: 'Ada Lovelace',
});
function tokenOf(p: TestProcessor, number?: string): string {
  const result = p.createToken(card(number));
  if (!result.ok) throw new Error(result.reason);
  return result.token.id;
}
let n = 0;
const request = (token: string, extra: Partial<ChargeRequest> = {}): ChargeRequest => {
  n += 1;
  return {
    idempotencyKey: `pay-${n}`,
    token,
    amount: { amount: 1000, currency: 'EUR' },
    paymentId: `pay-${n}`,
    orderId: `order-${n}`,
    description: 'Order',
    ...extra,
  };
};
async function charged(p: TestProcessor, number?: string, extra?: Partial<ChargeRequest>) {
  const outcome = await p.charge(request(tokenOf(p, number), extra));
  if (outcome.kind !== 'charge') throw new Error(outcome.kind);
  return outcome.charge;
}

describe('tokens', () => {
  it('are tok_ and 32 hex characters, single use, and expire after the TTL', async () => {
    const p = processor({ tokenTtlSeconds: 60 });
    const token = tokenOf(p);
    expect(token).toMatch(/^tok_[0-9a-f]{32}$/);
    expect(p.liveTokens()).toBe(1);
    expect((await p.charge(request(token))).kind).toBe('charge');
    expect(p.liveTokens()).toBe(0);
    expect((await p.charge(request(token))).kind).toBe('invalid_token');

    const late = tokenOf(p);
    clock += 59_999;
    const kept = tokenOf(p);
    clock += 1;
    expect((await p.charge(request(late))).kind).toBe('invalid_token');
    expect(p.liveTokens()).toBe(1); // the expired one is gone, with its card
    expect((await p.charge(request(kept))).kind).toBe('charge');
  });

  it('one token charged twice at once: one charge, the other invalid_token', async () => {
    const p = processor({ latencyMs: 30 });
    const token = tokenOf(p);
    const outcomes = await Promise.all([p.charge(request(token)), p.charge(request(token))]);
    expect(outcomes.map((o) => o.kind).sort()).toEqual(['charge', 'invalid_token']);
    expect(p.succeeded).toHaveLength(1);
    expect(p.ledger().charges).toHaveLength(1);
  });

  it('an outage does not consume the token', async () => {
    const p = processor();
    const token = tokenOf(p);
    p.setOutage({ charges: true });
    expect((await p.charge(request(token))).kind).toBe('processor_unavailable');
    p.setOutage({ charges: false });
    expect((await p.charge(request(token))).kind).toBe('charge');
    expect(p.charges).toBe(2);
  });

  it('an outage that begins during the processor latency charges nothing and keeps the token', async () => {
    const p = processor({ latencyMs: 30 });
    const token = tokenOf(p);
    const pending = p.charge(request(token));
    p.chargesDown = true;
    expect((await pending).kind).toBe('processor_unavailable');
    p.chargesDown = false;
    expect((await p.charge(request(token))).kind).toBe('charge');
    expect(p.succeeded).toHaveLength(1);
  });
});

describe('charges', () => {
  it('answer the test cards’ outcomes and send an event for each synchronous outcome', async () => {
    const p = processor();
    expect(await charged(p, TEST_CARDS.SUCCESS_MASTERCARD)).toMatchObject({
      status: 'succeeded',
      declineReason: null,
    });
    expect(await charged(p, TEST_CARDS.SUCCESS_AMEX)).toMatchObject({
      status: 'succeeded',
      card: { brand: 'AMEX' },
    });
    expect(await charged(p, TEST_CARDS.INSUFFICIENT_FUNDS)).toMatchObject({
      status: 'declined',
      declineReason: 'INSUFFICIENT_FUNDS',
    });
    const down = await p.charge(request(tokenOf(p, TEST_CARDS.PROCESSOR_DOWN)));
    expect(down.kind).toBe('processor_unavailable');
    expect(events.map((e) => [e.type, e.charge.status])).toEqual([
      ['charge.succeeded', 'succeeded'],
      ['charge.succeeded', 'succeeded'],
      ['charge.failed', 'declined'],
    ]);
    expect(p.chargesByOrder().size).toBe(2);
  });

  it('are idempotent per key: the same body answers the same charge, concurrently too; another body is refused', async () => {
    const p = processor({ latencyMs: 20 });
    const body = request(tokenOf(p), { idempotencyKey: 'key-1' });
    const [a, b] = await Promise.all([p.charge(body), p.charge({ ...body })]);
    expect(a).toEqual(b);
    const again = await p.charge({ ...body });
    expect(again).toEqual(a);
    expect(p.succeeded).toHaveLength(1);
    expect((await p.charge({ ...body, amount: { amount: 1001, currency: 'EUR' } })).kind).toBe(
      'idempotency_key_reused',
    );
    expect((await p.charge({ ...body, token: tokenOf(p) })).kind).toBe('idempotency_key_reused');
    expect(p.succeeded).toHaveLength(1);
    expect(events).toHaveLength(1);
  });

  it('a key whose charge was not created (unknown token, outage) can be used again', async () => {
    const p = processor();
    expect((await p.charge(request('tok_nope', { idempotencyKey: 'k' }))).kind).toBe('invalid_token');
    expect((await p.charge(request(tokenOf(p), { idempotencyKey: 'k' }))).kind).toBe('charge');
  });
});

describe('authentication', () => {
  it('requires action, then succeeds once; the event comes with the completion only', async () => {
    const p = processor();
    const charge = await charged(p, TEST_CARDS.REQUIRES_AUTHENTICATION);
    expect(charge).toMatchObject({
      status: 'requires_action',
      declineReason: null,
      action: {
        type: 'redirect_to_url',
        url: `http://localhost:4010/v1/authentications/${charge.id}`,
        expiresAt: new Date(clock + 300_000).toISOString(),
      },
    });
    expect(events).toHaveLength(0);
    expect(p.succeeded).toHaveLength(0);
    expect(p.completeAuthentication(charge.id, 'succeed')).toMatchObject({
      kind: 'charge',
      charge: { status: 'succeeded', action: null },
    });
    expect(p.completeAuthentication(charge.id, 'fail')).toMatchObject({
      kind: 'not_pending',
      charge: { status: 'succeeded' },
    });
    expect(p.cancel(charge.id)).toMatchObject({ status: 'succeeded' });
    expect(events.map((e) => e.type)).toEqual(['charge.succeeded']);
    expect(p.succeeded.map((c) => c.chargeId)).toEqual([charge.id]);
    expect(p.completeAuthentication('ch_unknown', 'succeed')).toEqual({ kind: 'not_found' });
  });

  it('fails, is cancelled, or is abandoned after its TTL: failed / AUTHENTICATION_FAILED with charge.failed', async () => {
    const p = processor({ authenticationTtlSeconds: 1 });
    const failed = await charged(p, TEST_CARDS.REQUIRES_AUTHENTICATION);
    const cancelled = await charged(p, TEST_CARDS.REQUIRES_AUTHENTICATION);
    const abandoned = await charged(p, TEST_CARDS.REQUIRES_AUTHENTICATION);
    expect(p.completeAuthentication(failed.id, 'fail').kind).toBe('charge');
    expect(p.cancel(cancelled.id)).toMatchObject({
      status: 'failed',
      declineReason: 'AUTHENTICATION_FAILED',
    });
    await sleep(1_100); // the real timer abandons it
    expect(p.retrieve(abandoned.id)).toMatchObject({
      status: 'failed',
      declineReason: 'AUTHENTICATION_FAILED',
      action: null,
    });
    expect(events.map((e) => [e.type, e.charge.id, e.charge.declineReason])).toEqual([
      ['charge.failed', failed.id, 'AUTHENTICATION_FAILED'],
      ['charge.failed', cancelled.id, 'AUTHENTICATION_FAILED'],
      ['charge.failed', abandoned.id, 'AUTHENTICATION_FAILED'],
    ]);
    expect(p.succeeded).toHaveLength(0);
  });

  it('an expired authentication cannot be completed, even before its timer ran', async () => {
    const p = processor();
    const charge = await charged(p, TEST_CARDS.REQUIRES_AUTHENTICATION);
    clock += 300_000;
    expect(p.completeAuthentication(charge.id, 'succeed')).toMatchObject({
      kind: 'not_pending',
      charge: { status: 'failed', declineReason: 'AUTHENTICATION_FAILED' },
    });
    expect(events.map((e) => e.type)).toEqual(['charge.failed']);
  });
});

describe('refunds', () => {
  const refund = (p: TestProcessor, charge: string, amount: number, key: string, currency = 'EUR') =>
    p.refund({ idempotencyKey: key, charge, amount: { amount, currency }, paymentId: 'pay' });

  it('are idempotent per key and never exceed the charge', async () => {
    const p = processor();
    const charge = await charged(p);
    const first = refund(p, charge.id, 600, 'r1');
    expect(first).toMatchObject({
      kind: 'refund',
      refund: { id: expect.stringMatching(/^re_/), charge: charge.id },
    });
    expect(refund(p, charge.id, 600, 'r1')).toEqual(first);
    expect(refund(p, charge.id, 500, 'r1')).toMatchObject({ kind: 'refund_refused' });
    expect(refund(p, charge.id, 401, 'r2')).toMatchObject({ kind: 'refund_refused' });
    expect(refund(p, charge.id, 400, 'r3').kind).toBe('refund');
    expect(refund(p, charge.id, 1, 'r4')).toMatchObject({ kind: 'refund_refused' });
    expect(p.refundedByCharge().get(charge.id)).toBe(1000);
    expect(p.refunds.map((r) => [r.idempotencyKey, r.amount.amount])).toEqual([
      ['r1', 600],
      ['r3', 400],
    ]);
    expect(p.refundCalls).toBe(6);
  });

  it('refuse an unknown, declined or pending charge, another currency and a non-positive amount', async () => {
    const p = processor();
    const ok = await charged(p);
    const declined = await charged(p, TEST_CARDS.DECLINED);
    const pending = await charged(p, TEST_CARDS.REQUIRES_AUTHENTICATION);
    for (const [charge, amount, currency] of [
      ['ch_unknown', 100, 'EUR'],
      [ok.id.toUpperCase(), 100, 'EUR'],
      [declined.id, 100, 'EUR'],
      [pending.id, 100, 'EUR'],
      [ok.id, 100, 'USD'],
      [ok.id, 0, 'EUR'],
      [ok.id, -5, 'EUR'],
    ] as const)
      expect(refund(p, charge, amount, `k-${charge}-${amount}-${currency}`, currency).kind).toBe(
        'refund_refused',
      );
    expect(p.refunds).toHaveLength(0);
  });

  it('answer processor_unavailable during a refund outage and move nothing', async () => {
    const p = processor();
    const charge = await charged(p);
    p.refundsDown = true;
    expect(refund(p, charge.id, 100, 'r').kind).toBe('processor_unavailable');
    p.setOutage({ refunds: false });
    expect(refund(p, charge.id, 100, 'r').kind).toBe('refund');
    expect(p.refunds).toHaveLength(1);
  });
});

it('the ledger holds no card number or CVC, only brand, last4 and expiry', async () => {
  const p = processor();
  const charge = await charged(p);
  p.refund({
    idempotencyKey: 'r',
    charge: charge.id,
    amount: { amount: 5, currency: 'EUR' },
    paymentId: 'p',
  });
  const ledger = p.ledger();
  expect(ledger.charges[0]!.card).toEqual({ brand: 'VISA', last4: '4242', expMonth: 12, expYear: 2099 });
  const text = JSON.stringify([ledger, p.succeeded, p.refunds, events]);
  expect(text).not.toContain(TEST_CARDS.SUCCESS);
  expect(text).not.toContain('739');
  expect(text).not.toContain('Ada Lovelace');
});
