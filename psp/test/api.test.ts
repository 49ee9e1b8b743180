import { TEST_CARDS } from '../src/processor';
import { SECRET_KEY, startPsp, type Psp } from './helpers';

let psp: Psp;
beforeAll(async () => {
  psp = await startPsp();
});
afterAll(() => psp.stop());

describe('tokens', () => {
  it('answers a token with brand, last4 and expiry only', async () => {
    const res = await psp.call('POST', '/v1/tokens', {
      card: { number: '4242 4242 4242 4242', expMonth: 12, expYear: 2099, cvc: '739', holderName: 'Ada' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^tok_[0-9a-f]{32}$/),
      card: { brand: 'VISA', last4: '4242', expMonth: 12, expYear: 2099 },
      expiresAt: expect.any(String),
    });
    expect(Date.parse(res.body.expiresAt) - Date.now()).toBeGreaterThan(899_000);
    expect(JSON.stringify(res.body)).not.toMatch(/424242424242|739/);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('refuses an invalid card with the field and the reason', async () => {
    const res = await psp.call('POST', '/v1/tokens', {
      card: { number: '4242424242424241', expMonth: 12, expYear: 2099, cvc: '739', holderName: 'Ada' },
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: {
        type: 'invalid_card',
        field: 'card.number',
        reason: 'LUHN_CHECK_FAILED',
        message: expect.any(String),
      },
    });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('refuses a body that is not a card', async () => {
    for (const body of ['not json', '[]', '{"card": "4242424242424242"}', '{}']) {
      const res = await psp.call('POST', '/v1/tokens', body);
      expect(res.status).toBe(400);
      expect(res.body.error.type).toBe('invalid_request');
    }
  });

  it('answers a CORS preflight for any origin', async () => {
    const res = await fetch(`${psp.url}/v1/tokens`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://shop.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')).toContain('content-type');
  });

  it('refuses an oversized body with 413', async () => {
    const res = await psp.call('POST', '/v1/tokens', { card: { holderName: 'x'.repeat(100_000) } });
    expect(res.status).toBe(413);
    expect(res.body.error.type).toBe('invalid_request');
  });
});

describe('charges', () => {
  it('charges a token once: succeeded, with the card summary', async () => {
    const token = await psp.token();
    const res = await psp.charge(token, { paymentId: 'pay-a', orderId: 'order-a', amount: 2500 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: expect.stringMatching(/^ch_[0-9a-f]{24}$/),
      status: 'succeeded',
      paymentId: 'pay-a',
      orderId: 'order-a',
      amount: { amount: 2500, currency: 'EUR' },
      card: { brand: 'VISA', last4: '4242', expMonth: 12, expYear: 2099 },
      declineReason: null,
      action: null,
    });
    const again = await psp.charge(token, { paymentId: 'pay-b' });
    expect(again.status).toBe(400);
    expect(again.body.error.type).toBe('invalid_token');
    const got = await psp.call('GET', `/v1/charges/${res.body.id}`);
    expect(got.body).toEqual(res.body);
    expect(psp.app.processor.succeeded.filter((c) => c.paymentId === 'pay-a')).toHaveLength(1);
  });

  it.each([
    [TEST_CARDS.DECLINED, 'CARD_DECLINED'],
    [TEST_CARDS.INSUFFICIENT_FUNDS, 'INSUFFICIENT_FUNDS'],
    [TEST_CARDS.EXPIRED_CARD, 'EXPIRED_CARD'],
    [TEST_CARDS.INCORRECT_CVC, 'INCORRECT_CVC'],
  ])('declines %s with %s and consumes the token', async (number, reason) => {
    const token = await psp.token(number);
    const res = await psp.charge(token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'declined', declineReason: reason, action: null });
    expect((await psp.charge(token)).body.error.type).toBe('invalid_token');
  });

  it('the processor-down card answers 503 and leaves the token usable', async () => {
    const token = await psp.token(TEST_CARDS.PROCESSOR_DOWN);
    const before = psp.app.processor.ledger().charges.length;
    for (let i = 0; i < 2; i++) {
      const res = await psp.charge(token, { key: `down-${i}` });
      expect(res.status).toBe(503);
      expect(res.body.error.type).toBe('processor_unavailable');
    }
    expect(psp.app.processor.ledger().charges).toHaveLength(before);
  });

  it('an unknown token, or a real one in another letter case, is invalid_token', async () => {
    const token = await psp.token();
    for (const other of [token.toUpperCase(), `TOK_${token.slice(4)}`, `${token} `, 'tok_nope']) {
      const res = await psp.charge(other);
      expect(res.status).toBe(400);
      expect(res.body.error.type).toBe('invalid_token');
    }
    expect((await psp.charge(token)).body.status).toBe('succeeded');
  });

  it('refuses a missing or wrong Bearer key with 401 (charging nothing)', async () => {
    const token = await psp.token();
    const calls = psp.app.processor.charges;
    for (const authorization of [
      '',
      `Bearer ${SECRET_KEY}x`,
      `Bearer ${SECRET_KEY.toUpperCase()}`,
      SECRET_KEY,
      `Basic ${SECRET_KEY}`,
    ]) {
      for (const [method, path] of [
        ['POST', '/v1/charges'],
        ['GET', '/v1/ledger'],
        ['POST', '/v1/refunds'],
        ['POST', '/v1/test/outage'],
        ['GET', '/v1/charges/ch_x'],
      ] as const) {
        const res = await psp.call(method, path, method === 'POST' ? { token } : undefined, {
          authorization,
        });
        expect(res.status).toBe(401);
        expect(res.body.error.type).toBe('unauthorized');
      }
    }
    expect(psp.app.processor.charges).toBe(calls);
    expect((await psp.charge(token)).body.status).toBe('succeeded');
  });

  it('validates the charge body', async () => {
    const token = await psp.token();
    const bad = [
      { token, amount: { amount: 0, currency: 'EUR' }, paymentId: 'p', orderId: 'o' },
      { token, amount: { amount: 1.5, currency: 'EUR' }, paymentId: 'p', orderId: 'o' },
      { token, amount: { amount: 100, currency: 'eur' }, paymentId: 'p', orderId: 'o' },
      { token, amount: { amount: 100, currency: 'EUR' }, orderId: 'o' },
      { amount: { amount: 100, currency: 'EUR' }, paymentId: 'p', orderId: 'o' },
    ];
    for (const body of bad) {
      const res = await psp.call('POST', '/v1/charges', body, { 'idempotency-key': 'k-bad' });
      expect(res.status).toBe(400);
      expect(res.body.error.type).toBe('invalid_request');
    }
    const long = {
      token,
      amount: { amount: 1, currency: 'EUR' },
      paymentId: 'p',
      orderId: 'o',
      description: 'x'.repeat(1001),
    };
    expect(
      (await psp.call('POST', '/v1/charges', long, { 'idempotency-key': 'k-long' })).body.error.field,
    ).toBe('description');
    const noKey = await psp.call('POST', '/v1/charges', {
      token,
      amount: { amount: 1, currency: 'EUR' },
      paymentId: 'p',
      orderId: 'o',
    });
    expect(noKey.status).toBe(400);
    expect((await psp.charge(token)).body.status).toBe('succeeded');
  });

  it('accepts an empty or missing description', async () => {
    for (const description of ['', undefined]) {
      const token = await psp.token();
      const body = {
        token,
        amount: { amount: 1, currency: 'EUR' },
        paymentId: `p-${description}`,
        orderId: 'o',
        description,
      };
      const res = await psp.call('POST', '/v1/charges', body, { 'idempotency-key': `k-desc-${description}` });
      expect(res.body).toMatchObject({ status: 'succeeded', description: '' });
    }
  });

  it('answers 404 for an unknown charge and route', async () => {
    expect((await psp.call('GET', '/v1/charges/ch_unknown')).status).toBe(404);
    expect((await psp.call('GET', '/v1/charges/%E0%A4%A')).status).toBe(404);
    expect((await psp.call('GET', '/v2/anything')).status).toBe(404);
  });

  it('serves the probes', async () => {
    expect((await psp.call('GET', '/healthz', undefined, { authorization: '' })).status).toBe(200);
    expect((await psp.call('GET', '/readyz', undefined, { authorization: '' })).status).toBe(200);
  });
});
