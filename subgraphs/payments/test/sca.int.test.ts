import { waitFor } from '@shop/testing';
import { card, TEST_CARDS, TestPsp, type Harness } from './helpers';
import { paymentsRun } from './run-checks';
import { scaTools } from './sca-run';

/**
 * Strong customer authentication against the real test PSP: the 3-D Secure test card answers
 * PaymentRequiresAction, the customer completes or fails the challenge at the PSP, the PSP's signed
 * webhook settles the payment (guard and outbox event atomically), an abandoned one fails, and a
 * new payOrder gives up a pending one. The relay is off: outbox entries are read from Redis.
 */
const psp = new TestPsp();
const run = paymentsRun('sca', { relay: false }, { psp });
const { payWith, expectNoSecrets } = run;
const t = scaTools(run.harness);
let h: Harness;
beforeAll(() => {
  h = run.harness();
});
afterAll(() => t.close());

const SCA = card(TEST_CARDS.REQUIRES_AUTHENTICATION);

describe('strong customer authentication', () => {
  it('the 3-D Secure card answers PaymentRequiresAction: REQUIRES_ACTION recorded with its action, no guard, no event; the key replays it', async () => {
    const user = h.customer();
    const orderId = h.newOrder(user.id, 3_100);
    const token = await psp.tokenize(SCA);
    run.sent(SCA);
    const result = await payWith(user, orderId, token, 'k-sca');
    expect(result.__typename).toBe('PaymentRequiresAction');
    expect(result.payment).toMatchObject({
      status: 'REQUIRES_ACTION',
      failureReason: null,
      card: { last4: '3155' },
    });
    expect(result.action!.type).toBe('REDIRECT_TO_URL');
    expect(result.action!.url).toMatch(/\/v1\/authentications\/ch_/);
    expect(new Date(result.action!.expiresAt).getTime()).toBeGreaterThan(Date.now());
    const id = result.payment!.id;
    const stored = await t.payment(id);
    expect(stored).toMatchObject({ status: 'REQUIRES_ACTION', chargeId: expect.stringMatching(/^ch_/) });
    expect(stored.action!.url).toBe(result.action!.url);
    expect(await t.marks(orderId)).toEqual({ paid: null, action: id, pending: expect.arrayContaining([id]) });
    expect(await t.outboxOf(id)).toEqual([]);
    expect((await payWith(user, orderId, token, 'k-sca')).payment!.id).toBe(id);
    expect(psp.succeeded.filter((c) => c.orderId === orderId)).toEqual([]);
  });

  it('completed at the PSP: its webhook makes the payment SUCCEEDED with the guard and exactly one payments.succeeded entry; the key now replays the success', async () => {
    const user = h.customer();
    const orderId = h.newOrder(user.id, 3_200);
    const token = await psp.tokenize(SCA);
    const result = await payWith(user, orderId, token, 'k-sca-ok');
    const id = result.payment!.id;
    expect(await psp.authenticate(result.action!.url, 'succeed')).toBe(200);
    const settled = await t.settled(id);
    expect(settled).toMatchObject({ status: 'SUCCEEDED', failureReason: null });
    await psp.webhooksIdle();
    expect(await t.outboxOf(id)).toEqual(['SUCCEEDED']);
    expect(await t.marks(orderId)).toEqual({
      paid: id,
      action: null,
      pending: expect.not.arrayContaining([id]),
    });
    expect(psp.chargesByOrder().get(orderId)).toBe(1);
    expect(await payWith(user, orderId, token, 'k-sca-ok')).toMatchObject({
      __typename: 'PaymentSucceeded',
      payment: { id, status: 'SUCCEEDED' },
    });
    // and the order is paid for payments: another key is refused
    expect(await payWith(user, orderId, card(TEST_CARDS.SUCCESS), 'k-sca-ok-2')).toMatchObject({
      __typename: 'OrderNotPayableError',
      status: 'PAID',
    });
  });

  it('failed at the PSP: FAILED / AUTHENTICATION_FAILED with one payments.failed entry; the replay is a decline and another key pays the order', async () => {
    const user = h.customer();
    const orderId = h.newOrder(user.id, 3_300);
    const token = await psp.tokenize(SCA);
    const result = await payWith(user, orderId, token, 'k-sca-fail');
    const id = result.payment!.id;
    expect(await psp.authenticate(result.action!.url, 'fail')).toBe(200);
    expect(await t.settled(id)).toMatchObject({ status: 'FAILED', failureReason: 'AUTHENTICATION_FAILED' });
    await psp.webhooksIdle();
    expect(await t.outboxOf(id)).toEqual(['FAILED']);
    expect(await t.marks(orderId)).toMatchObject({ paid: null, action: null });
    expect(await payWith(user, orderId, token, 'k-sca-fail')).toMatchObject({
      __typename: 'CardDeclinedError',
      declineReason: 'AUTHENTICATION_FAILED',
    });
    expect((await payWith(user, orderId, card(TEST_CARDS.SUCCESS), 'k-sca-fail-2')).__typename).toBe(
      'PaymentSucceeded',
    );
  });

  it('a new payOrder (another key) while the action is pending cancels that charge at the PSP first, then pays: one success, one failure, one event each', async () => {
    const user = h.customer();
    const orderId = h.newOrder(user.id, 3_400);
    const first = await payWith(user, orderId, card(TEST_CARDS.REQUIRES_AUTHENTICATION), 'k-sca-new-1');
    const pending = await t.payment(first.payment!.id);
    const second = await payWith(user, orderId, card(TEST_CARDS.SUCCESS_MASTERCARD), 'k-sca-new-2');
    expect(second.__typename).toBe('PaymentSucceeded');
    expect(await t.payment(pending.id)).toMatchObject({
      status: 'FAILED',
      failureReason: 'AUTHENTICATION_FAILED',
    });
    expect(psp.processor.retrieve(pending.chargeId!)?.status).toBe('failed');
    // the cancelled charge's own webhook arrives later and changes nothing
    await psp.webhooksIdle();
    expect(await t.outboxOf(pending.id)).toEqual(['FAILED']);
    expect(await t.outboxOf(second.payment!.id)).toEqual(['SUCCEEDED']);
    expect(await t.marks(orderId)).toMatchObject({ paid: second.payment!.id, action: null });
    // completing the cancelled challenge afterwards is refused by the PSP
    expect(await psp.authenticate(pending.action!.url, 'succeed')).toBe(409);
    expect(psp.chargesByOrder().get(orderId)).toBe(1);
  });

  it('the first key replays the cancelled payment as a decline, never as a pending action', async () => {
    const user = h.customer();
    const orderId = h.newOrder(user.id, 3_500);
    const token = await psp.tokenize(SCA);
    await payWith(user, orderId, token, 'k-sca-r1');
    await payWith(user, orderId, card(TEST_CARDS.DECLINED), 'k-sca-r2');
    expect(await payWith(user, orderId, token, 'k-sca-r1')).toMatchObject({
      __typename: 'CardDeclinedError',
      declineReason: 'AUTHENTICATION_FAILED',
      payment: { status: 'FAILED' },
    });
  });

  it('Order.payment shows the pending payment, then its outcome', async () => {
    const user = h.customer();
    const orderId = h.newOrder(user.id, 3_600);
    const result = await payWith(user, orderId, card(TEST_CARDS.REQUIRES_AUTHENTICATION), 'k-sca-view');
    const q = `query ($reps: [_Any!]!) { _entities(representations: $reps) { ... on Order { payment { id status } } } }`;
    const read = async () =>
      (
        await h.query<{ _entities: { payment: { id: string; status: string } }[] }>(user, q, {
          reps: [{ __typename: 'Order', id: orderId }],
        })
      ).data!._entities[0]!.payment;
    expect(await read()).toEqual({ id: result.payment!.id, status: 'REQUIRES_ACTION' });
    await psp.authenticate(result.action!.url, 'succeed');
    await waitFor(async () => (await read()).status === 'SUCCEEDED');
  });

  it('no card number or CVC in Redis or in the logs', async () => {
    await psp.webhooksIdle();
    await expectNoSecrets();
  });
});
