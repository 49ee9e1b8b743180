import { setTimeout as sleep } from 'node:timers/promises';
import { TEST_CARDS } from '../src/processor';
import { startPsp, type Psp } from './helpers';

/** Every card number these tests tokenise (the CVCs are checked as JSON strings: 4 digits occur in random ids). */
const SECRETS = Object.values(TEST_CARDS);

let psp: Psp;
beforeAll(async () => {
  psp = await startPsp({ LATENCY_MS: '40' });
});
afterAll(() => psp.stop());

describe('at once', () => {
  it('one token charged twice concurrently (different keys): one charge, the other invalid_token', async () => {
    const token = await psp.token();
    const before = psp.app.processor.ledger().charges.length;
    const answers = await Promise.all([psp.charge(token), psp.charge(token), psp.charge(token)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 400, 400]);
    expect(answers.filter((a) => a.status === 400).every((a) => a.body.error.type === 'invalid_token')).toBe(
      true,
    );
    expect(psp.app.processor.ledger().charges.length - before).toBe(1);
  });

  it('the same key and body twice concurrently: one charge, the same answer', async () => {
    const token = await psp.token();
    const succeeded = psp.app.processor.succeeded.length;
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        psp.charge(token, { key: 'same-key', paymentId: 'pay-same', orderId: 'o-same' }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(psp.app.processor.succeeded.length - succeeded).toBe(1);
    expect(psp.app.processor.chargesByOrder().get('o-same')).toBe(1);
    // later, the same again: the same charge; another body under the key: 409, nothing charged
    expect(
      (await psp.charge(token, { key: 'same-key', paymentId: 'pay-same', orderId: 'o-same' })).body.id,
    ).toBe(answers[0]!.body.id);
    const other = await psp.charge(token, {
      key: 'same-key',
      paymentId: 'pay-same',
      orderId: 'o-same',
      amount: 1,
    });
    expect(other.status).toBe(409);
    expect(other.body.error.type).toBe('idempotency_key_reused');
    expect(psp.app.processor.chargesByOrder().get('o-same')).toBe(1);
  });

  it('concurrent refunds of one charge never give back more than it took', async () => {
    const charge = (await psp.charge(await psp.token(), { amount: 1000 })).body.id as string;
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => psp.refund(charge, 300, `race-${i}`)),
    );
    expect(answers.filter((a) => a.status === 200)).toHaveLength(3);
    expect(answers.filter((a) => a.status === 400).every((a) => a.body.error.type === 'refund_refused')).toBe(
      true,
    );
    expect(psp.app.processor.refundedByCharge().get(charge)).toBe(900);
    const ledger = (await psp.call('GET', '/v1/ledger')).body as {
      refunds: { charge: string; amount: { amount: number } }[];
    };
    expect(
      ledger.refunds.filter((r) => r.charge === charge).reduce((sum, r) => sum + r.amount.amount, 0),
    ).toBe(900);
    // the same key concurrently: one refund
    const again = await Promise.all([psp.refund(charge, 100, 'dup'), psp.refund(charge, 100, 'dup')]);
    expect(again[0]!.body.id).toBe(again[1]!.body.id);
    expect(psp.app.processor.refundedByCharge().get(charge)).toBe(1000);
    expect((await psp.refund(charge, 1, 'over')).status).toBe(400);
  });
});

describe('refunds over HTTP', () => {
  it('answers { id, charge, amount }, idempotent per key, and refuses what the processor would not do', async () => {
    const charge = (await psp.charge(await psp.token(), { amount: 500 })).body.id as string;
    const first = await psp.refund(charge, 200, 'r-1');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      id: expect.stringMatching(/^re_/),
      charge,
      amount: { amount: 200, currency: 'EUR' },
    });
    expect((await psp.refund(charge, 200, 'r-1')).body.id).toBe(first.body.id);
    for (const [c, amount, currency] of [
      ['ch_nope', 100, 'EUR'],
      [charge, 100, 'USD'],
      [charge, 0, 'EUR'],
      [charge, -1, 'EUR'],
      [charge, 301, 'EUR'],
    ] as const) {
      const res = await psp.refund(c, amount, `r-${c}-${amount}-${currency}`, currency);
      expect(res.status).toBe(400);
      expect(res.body.error.type).toBe('refund_refused');
    }
    expect(
      (
        await psp.call('POST', '/v1/refunds', {
          charge,
          amount: { amount: 1, currency: 'EUR' },
          paymentId: 'p',
        })
      ).status,
    ).toBe(400); // no key
    expect(psp.app.processor.refundedByCharge().get(charge)).toBe(200);
  });
});

describe('outages', () => {
  afterEach(() => psp.call('POST', '/v1/test/outage', { charges: false, refunds: false }));

  it('a charge outage answers 503, charges nothing and leaves the token usable', async () => {
    const token = await psp.token();
    expect((await psp.call('POST', '/v1/test/outage', { charges: true })).body).toEqual({
      charges: true,
      refunds: false,
    });
    const down = await psp.charge(token, { key: 'outage-key' });
    expect(down.status).toBe(503);
    expect(down.body.error.type).toBe('processor_unavailable');
    await psp.call('POST', '/v1/test/outage', { charges: false });
    const up = await psp.charge(token, { key: 'outage-key' });
    expect(up.body.status).toBe('succeeded');
  });

  it('a refund outage answers 503 and moves nothing; the same key works afterwards', async () => {
    const charge = (await psp.charge(await psp.token())).body.id as string;
    await psp.call('POST', '/v1/test/outage', { refunds: true });
    const calls = psp.app.processor.refundCalls;
    expect((await psp.refund(charge, 100, 'o-r')).status).toBe(503);
    expect(psp.app.processor.refundCalls).toBe(calls + 1);
    expect(psp.app.processor.refundedByCharge().get(charge)).toBeUndefined();
    await psp.call('POST', '/v1/test/outage', { refunds: false });
    expect((await psp.refund(charge, 100, 'o-r')).status).toBe(200);
  });

  it('refuses flags that are not booleans', async () => {
    expect((await psp.call('POST', '/v1/test/outage', { charges: 'yes' })).status).toBe(400);
    expect(psp.app.processor.chargesDown).toBe(false);
  });
});

describe('tokens expire', () => {
  let short: Psp;
  beforeAll(async () => {
    short = await startPsp({ TOKEN_TTL_SECONDS: '1' });
  });
  afterAll(() => short.stop());

  it('a token older than TOKEN_TTL_SECONDS is invalid_token and charges nothing', async () => {
    const token = await short.token();
    await sleep(1_100);
    const res = await short.charge(token);
    expect(res.status).toBe(400);
    expect(res.body.error.type).toBe('invalid_token');
    expect(short.app.processor.ledger().charges).toHaveLength(0);
    expect(short.app.processor.liveTokens()).toBe(0);
  });
});

it('no card number or CVC in the ledger, in any answer after tokenisation, or in the logs', async () => {
  const answers: unknown[] = [];
  for (const number of Object.values(TEST_CARDS)) {
    const cvc = number.startsWith('37') ? '7391' : '739';
    const token = await psp.call('POST', '/v1/tokens', {
      card: { number, expMonth: 12, expYear: 2099, cvc, holderName: 'Grace Hopper' },
    });
    answers.push(token.body);
    const charge = await psp.charge(token.body.id);
    answers.push(charge.body);
    if (charge.body.id) answers.push((await psp.call('GET', `/v1/charges/${charge.body.id}`)).body);
  }
  const invalid = await psp.call('POST', '/v1/tokens', {
    card: { number: '4242424242424241', expMonth: 12, expYear: 2099, cvc: '739', holderName: 'Grace Hopper' },
  });
  answers.push(invalid.body);
  const ledger = (await psp.call('GET', '/v1/ledger')).body;
  const everything = [JSON.stringify(answers), JSON.stringify(ledger), psp.logs.lines.join('\n')].join('\n');
  expect(psp.logs.lines.length).toBeGreaterThan(10);
  expect(psp.logs.lines.join('\n')).toMatch(/tok_[0-9a-f]{32}/); // token ids are logged, cards are not
  for (const secret of [...SECRETS, '4242424242424241', 'Grace Hopper'])
    expect(everything).not.toContain(secret);
  expect(everything).not.toMatch(/"cvc"/);
  expect(everything).not.toMatch(/"739"|"7391"/);
});
