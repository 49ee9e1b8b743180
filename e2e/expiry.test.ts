/**
 * An unpaid order expires: orders cancels it, publishes orders.cancelled, and products puts the
 * stock back — observed through the gateway only.
 */
import { randomUUID } from 'node:crypto';
import { waitFor } from '@shop/testing';
import { createTestEnvironment, type TestEnvironment } from './environment';
import { bearer, data } from './client';
import { adminStock, firstSimpleProducts } from './catalogue';
import {
  LoginDocument,
  OrderStatusDocument,
  PlaceOrderDocument,
  ProductStockDocument,
  RegisterDocument,
} from './__generated__/graphql';

let env: TestEnvironment;

beforeAll(async () => {
  env = await createTestEnvironment({ orderTtlSeconds: 2 });
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

it('an expired order is cancelled and its stock returns', async () => {
  const adminLogin = await data(env.url, LoginDocument, { input: env.admin });
  if (adminLogin.login.__typename !== 'AuthPayload') throw new Error('admin login failed');
  const admin = bearer(adminLogin.login.token);

  const email = `late-${randomUUID().slice(0, 8)}@example.com`;
  const registered = await data(env.url, RegisterDocument, {
    input: { email, password: 'correct-horse-battery', name: 'Late Payer' },
  });
  if (registered.register.__typename !== 'AuthPayload') throw new Error('register failed');
  const shopper = bearer(registered.register.token);

  const productId = (await firstSimpleProducts(env.url, 1))[0]!.id;
  const stockOf = async () =>
    adminStock((await data(env.url, ProductStockDocument, { id: productId }, admin)).product!.stock);
  const before = await stockOf();

  const placed = await data(
    env.url,
    PlaceOrderDocument,
    { input: { idempotencyKey: randomUUID(), items: [{ productId, quantity: 3 }] } },
    shopper,
  );
  if (placed.placeOrder.__typename !== 'Order') throw new Error('placeOrder failed');
  expect(await stockOf()).toBe(before - 3);

  const cancelled = await waitFor(
    async () => {
      const order = (
        await data(
          env.url,
          OrderStatusDocument,
          { id: placed.placeOrder.__typename === 'Order' ? placed.placeOrder.id : '' },
          shopper,
        )
      ).order;
      return order?.status === 'CANCELLED' ? order : null;
    },
    { timeoutMs: 20_000 },
  );
  expect(cancelled.cancelledAt).toBeTruthy();
  await waitFor(async () => (await stockOf()) === before, { timeoutMs: 20_000 });
  expect(await stockOf()).toBe(before);
});
