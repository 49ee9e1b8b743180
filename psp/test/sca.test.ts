import { createHmac } from 'node:crypto';
import { waitFor } from '@shop/testing';
import { TEST_CARDS } from '../src/processor';
import { signPayload } from '../src/webhooks';
import { startPsp, WEBHOOK_SECRET, type Psp } from './helpers';
import { startReceiver, verifySignature } from './receiver';

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let psp: Psp;
beforeAll(async () => {
  receiver = await startReceiver();
  psp = await startPsp({ WEBHOOK_URL: receiver.url, PUBLIC_URL: 'http://psp.example:4010/' });
});
afterAll(async () => {
  await psp.stop();
  await receiver.close();
});

interface Event {
  id: string;
  type: string;
  created: number;
  data: { charge: { id: string; status: string; declineReason: string | null } };
}
const eventsOf = (chargeId: string) =>
  receiver.deliveries
    .map((delivery) => ({ delivery, event: JSON.parse(delivery.raw) as Event }))
    .filter((e) => e.event.data.charge.id === chargeId);

async function pendingCharge() {
  const res = await psp.charge(await psp.token(TEST_CARDS.REQUIRES_AUTHENTICATION), { amount: 4200 });
  expect(res.status).toBe(200);
  expect(res.body.status).toBe('requires_action');
  return res.body as { id: string; action: { type: string; url: string; expiresAt: string } };
}
/** The page's path on this server (PUBLIC_URL names another host, as a browser would reach it). */
const pagePath = (charge: { action: { url: string } }) => new URL(charge.action.url).pathname;

it('signs as documented: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
  const expected = createHmac('sha256', 'secret').update('1764672000.{"a":1}').digest('hex');
  expect(signPayload('secret', '{"a":1}', 1764672000)).toBe(`t=1764672000,v1=${expected}`);
});

it('sends charge.succeeded for a synchronous success, signed with PSP_WEBHOOK_SECRET', async () => {
  const res = await psp.charge(await psp.token());
  await waitFor(() => eventsOf(res.body.id).length === 1 || null);
  const [{ delivery, event }] = eventsOf(res.body.id) as [ReturnType<typeof eventsOf>[number]];
  expect(event).toMatchObject({
    id: expect.stringMatching(/^evt_/),
    type: 'charge.succeeded',
    data: { charge: res.body },
  });
  expect(Math.abs(event.created - Date.now() / 1000)).toBeLessThan(5);
  expect(delivery.headers['content-type']).toBe('application/json');
  expect(verifySignature(delivery, WEBHOOK_SECRET)).toBe(true);
  expect(verifySignature(delivery, `${WEBHOOK_SECRET}x`)).toBe(false);
  expect(
    verifySignature({ ...delivery, raw: delivery.raw.replace('succeeded', 'failed') }, WEBHOOK_SECRET),
  ).toBe(false);
});

it('sends charge.failed for a synchronous decline', async () => {
  const res = await psp.charge(await psp.token(TEST_CARDS.DECLINED));
  await waitFor(() => eventsOf(res.body.id).length === 1 || null);
  expect(eventsOf(res.body.id)[0]!.event).toMatchObject({
    type: 'charge.failed',
    data: { charge: { status: 'declined', declineReason: 'CARD_DECLINED' } },
  });
});

it('requires action → the challenge page → Authenticate → succeeded, and charge.succeeded arrives signed', async () => {
  const charge = await pendingCharge();
  expect(charge.action).toEqual({
    type: 'redirect_to_url',
    url: `http://psp.example:4010/v1/authentications/${charge.id}`,
    expiresAt: expect.any(String),
  });
  expect(Date.parse(charge.action.expiresAt) - Date.now()).toBeGreaterThan(290_000);

  const page = await fetch(`${psp.url}${pagePath(charge)}`);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  const html = await page.text();
  expect(html).toMatch(/<html lang="en">/);
  expect(html).toMatch(/<form method="post" action="\/v1\/authentications\/ch_[0-9a-f]+"/);
  expect(html).toMatch(
    /<button type="submit" name="result" value="succeed"[^>]*aria-label="[^"]+"[^>]*>Authenticate<\/button>/,
  );
  expect(html).toMatch(
    /<button type="submit" name="result" value="fail"[^>]*aria-label="[^"]+"[^>]*>Fail<\/button>/,
  );
  expect(html).not.toMatch(/tabindex="-1"/);
  expect(html).toContain('42.00 EUR');
  expect(html).toContain('3155');
  expect(html).not.toContain(TEST_CARDS.REQUIRES_AUTHENTICATION);
  expect(eventsOf(charge.id)).toHaveLength(0); // nothing until the customer answers

  const answer = await psp.call('POST', pagePath(charge), { result: 'succeed' }, { authorization: '' });
  expect(answer.status).toBe(200);
  expect(answer.body).toMatchObject({
    id: charge.id,
    status: 'succeeded',
    action: null,
    declineReason: null,
  });
  await waitFor(() => eventsOf(charge.id).length === 1 || null);
  const [{ delivery, event }] = eventsOf(charge.id) as [ReturnType<typeof eventsOf>[number]];
  expect(event).toMatchObject({
    type: 'charge.succeeded',
    data: { charge: { id: charge.id, status: 'succeeded' } },
  });
  expect(verifySignature(delivery, WEBHOOK_SECRET)).toBe(true);
  expect((await psp.call('GET', `/v1/charges/${charge.id}`)).body.status).toBe('succeeded');
  expect(psp.app.processor.succeeded.map((c) => c.chargeId)).toContain(charge.id);

  // completing twice: 409, nothing changes, no second event
  const again = await psp.call('POST', pagePath(charge), { result: 'fail' }, { authorization: '' });
  expect(again.status).toBe(409);
  expect(again.body.error).toMatchObject({
    type: 'authentication_not_pending',
    charge: { status: 'succeeded' },
  });
  expect((await fetch(`${psp.url}${pagePath(charge)}`)).status).toBe(409);
  expect((await psp.call('GET', `/v1/charges/${charge.id}`)).body.status).toBe('succeeded');
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(eventsOf(charge.id)).toHaveLength(1);
});

it('Fail, posted as the page’s form: failed / AUTHENTICATION_FAILED, an HTML answer, charge.failed', async () => {
  const charge = await pendingCharge();
  const res = await fetch(`${psp.url}${pagePath(charge)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://shop.example' },
    body: 'result=fail',
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  expect(await res.text()).toContain('not authenticated');
  await waitFor(() => eventsOf(charge.id).length === 1 || null);
  expect(eventsOf(charge.id)[0]!.event).toMatchObject({
    type: 'charge.failed',
    data: { charge: { status: 'failed', declineReason: 'AUTHENTICATION_FAILED' } },
  });
  const again = await fetch(`${psp.url}${pagePath(charge)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'result=succeed',
  });
  expect(again.status).toBe(409);
  expect(psp.app.processor.retrieve(charge.id)?.status).toBe('failed');
});

it('refuses a result that is neither succeed nor fail, and an unknown charge', async () => {
  const charge = await pendingCharge();
  for (const body of [{ result: 'SUCCEED' }, { result: 'yes' }, {}])
    expect((await psp.call('POST', pagePath(charge), body)).status).toBe(400);
  expect((await psp.call('POST', '/v1/authentications/ch_unknown', { result: 'succeed' })).status).toBe(404);
  expect((await fetch(`${psp.url}/v1/authentications/ch_unknown`)).status).toBe(404);
  expect((await fetch(`${psp.url}/v1/authentications/${charge.id.toUpperCase()}`)).status).toBe(404);
  expect(psp.app.processor.retrieve(charge.id)?.status).toBe('requires_action');
});

it('cancel gives up a pending charge (charge.failed); a final charge is answered as it is', async () => {
  const charge = await pendingCharge();
  const cancelled = await psp.call('POST', `/v1/charges/${charge.id}/cancel`);
  expect(cancelled.status).toBe(200);
  expect(cancelled.body).toMatchObject({
    status: 'failed',
    declineReason: 'AUTHENTICATION_FAILED',
    action: null,
  });
  await waitFor(() => eventsOf(charge.id).length === 1 || null);
  expect(eventsOf(charge.id)[0]!.event.type).toBe('charge.failed');
  expect((await psp.call('POST', pagePath(charge), { result: 'succeed' })).status).toBe(409);
  expect((await psp.call('POST', `/v1/charges/${charge.id}/cancel`)).body.status).toBe('failed');

  const done = await psp.charge(await psp.token());
  expect((await psp.call('POST', `/v1/charges/${done.body.id}/cancel`)).body.status).toBe('succeeded');
  expect((await psp.call('POST', '/v1/charges/ch_unknown/cancel')).status).toBe(404);
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(eventsOf(charge.id)).toHaveLength(1);
});

it('the authentication page answers a CORS preflight', async () => {
  const charge = await pendingCharge();
  const res = await fetch(`${psp.url}${pagePath(charge)}`, {
    method: 'OPTIONS',
    headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' },
  });
  expect(res.status).toBe(204);
  expect(res.headers.get('access-control-allow-origin')).toBe('*');
});

describe('an abandoned authentication', () => {
  let short: Psp;
  beforeAll(async () => {
    short = await startPsp({ WEBHOOK_URL: receiver.url, AUTHENTICATION_TTL_SECONDS: '1' });
  });
  afterAll(() => short.stop());

  it('fails with AUTHENTICATION_FAILED after AUTHENTICATION_TTL_SECONDS and sends charge.failed', async () => {
    const res = await short.charge(await short.token(TEST_CARDS.REQUIRES_AUTHENTICATION));
    expect(res.body.status).toBe('requires_action');
    await waitFor(() => eventsOf(res.body.id).length === 1 || null, { timeoutMs: 5_000 });
    expect(eventsOf(res.body.id)[0]!.event).toMatchObject({
      type: 'charge.failed',
      data: { charge: { id: res.body.id, status: 'failed', declineReason: 'AUTHENTICATION_FAILED' } },
    });
    expect((await short.call('GET', `/v1/charges/${res.body.id}`)).body).toMatchObject({
      status: 'failed',
      action: null,
    });
    const late = await short.call('POST', `/v1/authentications/${res.body.id}`, { result: 'succeed' });
    expect(late.status).toBe(409);
    expect(short.app.processor.succeeded.map((c) => c.chargeId)).not.toContain(res.body.id);
  });
});
