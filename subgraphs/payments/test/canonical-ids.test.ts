import { randomUUID } from 'node:crypto';
import type { Viewer } from '@shop/auth';
import { createLogger } from '@shop/server';
import { memoryLog } from '@shop/testing';
import type { PaymentModel } from '../src/models';
import type { PaymentProvider } from '../src/providers/provider';
import type { PaymentsRepository } from '../src/payments.repository';
import { PaymentsService, type OrdersClient } from '../src/payments.service';
import type { ActionsRepository } from '../src/actions.repository';
import type { RefundsRepository } from '../src/refunds.repository';

/**
 * Finding 1 at the service's boundary (unit): an order or payment id in any form but the issued one
 * reaches no repository method (so no lock, guard, index or Redis key), no orders.payable and no
 * provider. The fake repository and orders client record every call; a call is a failure.
 */
function setUp() {
  const calls: string[] = [];
  const payment = (orderId: string): PaymentModel => ({
    id: randomUUID(),
    orderId,
    userId: 'u1',
    amount: { amount: 100, currency: 'EUR' },
    status: 'SUCCEEDED',
    card: { brand: 'VISA', last4: '4242', expMonth: 12, expYear: 2099 },
    failureReason: null,
    createdAt: new Date(),
    chargeId: 'ch_1',
    refundedAmount: 0,
    action: null,
  });
  /** A fake store whose every method records its call, named `<label>.<method>(<first argument>)`. */
  const fake = (label: string) =>
    new Proxy(
      {},
      {
        get:
          (_target, name) =>
          async (...args: unknown[]) => {
            calls.push(`${label}.${String(name)}(${JSON.stringify(args[0])})`);
            if (name === 'paymentsByIds') return (args[0] as string[]).map(() => null);
            if (name === 'paymentsByOrders') return (args[0] as string[]).map((id) => [payment(id)]);
            return null;
          },
      },
    );
  const repository = fake('repository') as unknown as PaymentsRepository;
  const refunds = fake('refunds') as unknown as RefundsRepository;
  const actions = fake('actions') as unknown as ActionsRepository;
  const orders: OrdersClient = {
    payable: async (orderId) => {
      calls.push(`orders.payable(${orderId})`);
      return { ok: false, code: 'NOT_FOUND', message: 'no' };
    },
  };
  /** A provider that records every call too (none may come). */
  const provider = fake('provider') as unknown as PaymentProvider;
  const service = new PaymentsService({
    repository,
    refunds,
    actions,
    provider,
    orders,
    log: createLogger({ name: 'payments', level: 'silent' }, memoryLog().stream),
    idempotencyTtlSeconds: 60,
  });
  return { calls, service };
}

const viewer: Viewer = { id: 'u1', role: 'CUSTOMER', email: 'u1@example.test' };
const id = randomUUID();
const FORMS = [
  id.toUpperCase(),
  id.replace(/[a-f]/, (c) => c.toUpperCase()),
  `{${id}}`,
  ` ${id}`,
  `${id}\n`,
  `urn:uuid:${id}`,
  id.replaceAll('-', ''),
  'o-7f3a',
  '',
];

describe('finding 1: only the issued form of an id reaches the store, orders or the provider', () => {
  it.each(FORMS.map((f) => [JSON.stringify(f), f]))(
    'finding 1: payOrder with the order id %s is PaymentOrderNotFoundError and calls nothing',
    async (_label, orderId) => {
      const { calls, service } = setUp();
      const result = await service.payOrder(viewer, {
        orderId,
        paymentMethodToken: 'tok_0123456789abcdef',
        idempotencyKey: 'k1',
      });
      expect(result.__typename).toBe('PaymentOrderNotFoundError');
      // no repository, actions, refunds, provider or orders call at all
      expect(calls).toEqual([]);
    },
  );

  it('finding 1: paymentsFor and paymentsOfOrders answer null for other forms and ask the repository only about issued ids', async () => {
    const { calls, service } = setUp();
    expect(await service.paymentsFor(viewer, FORMS)).toEqual(FORMS.map(() => null));
    expect(await service.paymentsOfOrders(viewer, FORMS)).toEqual(FORMS.map(() => null));
    expect(calls).toEqual([]);

    const [upper, issued] = [id.toUpperCase(), id];
    const shown = await service.paymentsOfOrders(viewer, [upper, issued, `{${id}}`]);
    expect(shown.map((p) => p?.orderId ?? null)).toEqual([null, issued, null]);
    expect(await service.paymentsFor(viewer, [upper, issued])).toEqual([null, null]);
    expect(calls).toEqual([
      `repository.paymentsByOrders(${JSON.stringify([issued])})`,
      `repository.paymentsByIds(${JSON.stringify([issued])})`,
    ]);
  });
});
