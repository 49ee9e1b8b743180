/**
 * The shop's story through the gateway only, as a storefront sees it: browse, register, log in,
 * order, pay, get the confirmation email, and see it all under `me`. Each step asserts its data, so
 * the suite fails when any step of the story breaks.
 */
import { randomUUID } from 'node:crypto';
import { mailpit, waitFor } from '@shop/testing';
import { createTestEnvironment, type TestEnvironment } from './environment';
import { firstSimpleProducts } from './catalogue';
import { bearer, data, execute } from './client';
import { TEST_CARDS, tokenFor } from './psp';
import {
  CataloguePageDocument,
  LoginDocument,
  MyOrdersDocument,
  OrderStatusDocument,
  PayOrderDocument,
  PlaceOrderDocument,
  RegisterDocument,
} from './__generated__/graphql';

let env: TestEnvironment;

beforeAll(async () => {
  env = await createTestEnvironment();
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

async function registerShopper(name: string) {
  const email = `${name.toLowerCase()}-${randomUUID().slice(0, 8)}@example.com`;
  const password = 'correct-horse-battery';
  const registered = await data(env.url, RegisterDocument, {
    input: { email, password, name, phone: '+4915112345678' },
  });
  expect(registered.register.__typename).toBe('AuthPayload');
  return { email, password, name };
}

const firstProducts = (count: number) => firstSimpleProducts(env.url, count);

it('browse → register → log in → order → pay → PAID → confirmation email → me shows it all', async () => {
  // Browse the catalogue anonymously.
  const page = await data(env.url, CataloguePageDocument, { first: 5 });
  expect(page.products.edges).toHaveLength(5);
  expect(page.products.pageInfo.hasNextPage).toBe(true);
  const [first, second] = page.products.edges.map((e) => e.node);
  expect(first!.price.amount).toBeGreaterThan(0);

  // Register, then log in.
  const shopper = await registerShopper('Ada');
  const login = await data(env.url, LoginDocument, {
    input: { email: shopper.email, password: shopper.password },
  });
  if (login.login.__typename !== 'AuthPayload') throw new Error(`login failed: ${login.login.__typename}`);
  expect(login.login.user.email).toBe(shopper.email);
  const auth = bearer(login.login.token);

  // Place an order of two products.
  const placed = await data(
    env.url,
    PlaceOrderDocument,
    {
      input: {
        idempotencyKey: randomUUID(),
        items: [
          { productId: first!.id, quantity: 2 },
          { productId: second!.id, quantity: 1 },
        ],
      },
    },
    auth,
  );
  if (placed.placeOrder.__typename !== 'Order')
    throw new Error(`placeOrder: ${JSON.stringify(placed.placeOrder)}`);
  const order = placed.placeOrder;
  expect(order.status).toBe('PENDING_PAYMENT');
  const expectedTotal = 2 * first!.price.amount + second!.price.amount;
  expect(order.total.amount).toBe(expectedTotal);
  expect(order.items.map((item) => [item.product.name, item.quantity])).toEqual([
    [first!.name, 2],
    [second!.name, 1],
  ]);

  // Pay.
  const paid = await data(
    env.url,
    PayOrderDocument,
    {
      input: {
        orderId: order.id,
        idempotencyKey: randomUUID(),
        // The browser tokenised the card at the PSP: only the token reaches the gateway.
        paymentMethodToken: await tokenFor(env.pspUrl, TEST_CARDS.visa, shopper.name),
      },
    },
    auth,
  );
  if (paid.payOrder.__typename !== 'PaymentSucceeded')
    throw new Error(`payOrder: ${JSON.stringify(paid.payOrder)}`);
  expect(paid.payOrder.payment.amount.amount).toBe(expectedTotal);
  expect(paid.payOrder.payment.card.last4).toBe('4242');

  // The order becomes PAID through the events.
  const status = await waitFor(async () => {
    const result = await data(env.url, OrderStatusDocument, { id: order.id }, auth);
    return result.order?.status === 'PAID' ? result.order : null;
  });
  expect(status.paidAt).toBeTruthy();

  // A confirmation email with the order's number and total arrives.
  const messages = await waitFor(async () => {
    const found = await mailpit.messagesTo(shopper.email);
    return found.length > 0 ? found : null;
  });
  expect(messages).toHaveLength(1);
  const mail = await mailpit.message(messages[0]!.ID);
  expect(mail.Subject).toContain(order.number);
  expect(mail.Text).toContain(order.number);
  expect(mail.Text).toContain((expectedTotal / 100).toFixed(2));
  expect(mail.Text).toContain(shopper.name);

  // me { orders { ... } } shows the order, its payment and its notifications.
  const me = await waitFor(async () => {
    const result = await data(env.url, MyOrdersDocument, {}, auth);
    const node = result.me?.orders.edges[0]?.node;
    return node && node.notifications.length >= 2 && node.notifications.every((n) => n.status === 'SENT')
      ? result.me
      : null;
  });
  const mine = me!.orders.edges.map((e) => e.node);
  expect(mine).toHaveLength(1);
  expect(mine[0]).toMatchObject({
    number: order.number,
    status: 'PAID',
    total: { amount: expectedTotal },
    payment: { status: 'SUCCEEDED', card: { last4: '4242' } },
  });
  expect(mine[0]!.items.map((item) => item.product.name)).toEqual([first!.name, second!.name]);
  expect(mine[0]!.notifications.map((n) => n.channel).sort()).toEqual(['EMAIL', 'SMS']);
  expect(mine[0]!.notifications.find((n) => n.channel === 'EMAIL')!.recipient).not.toContain(shopper.email);
});

it('a declined card leaves the order payable, and a good card then pays it', async () => {
  const shopper = await registerShopper('Grace');
  const login = await data(env.url, LoginDocument, {
    input: { email: shopper.email, password: shopper.password },
  });
  if (login.login.__typename !== 'AuthPayload') throw new Error('login failed');
  const auth = bearer(login.login.token);
  const [product] = await firstProducts(1);
  const placed = await data(
    env.url,
    PlaceOrderDocument,
    { input: { idempotencyKey: randomUUID(), items: [{ productId: product!.id, quantity: 1 }] } },
    auth,
  );
  if (placed.placeOrder.__typename !== 'Order') throw new Error('placeOrder failed');
  const orderId = placed.placeOrder.id;

  const declined = await data(
    env.url,
    PayOrderDocument,
    {
      input: {
        orderId,
        idempotencyKey: randomUUID(),
        paymentMethodToken: await tokenFor(env.pspUrl, TEST_CARDS.declined, shopper.name),
      },
    },
    auth,
  );
  expect(declined.payOrder.__typename).toBe('CardDeclinedError');

  const afterDecline = await data(env.url, OrderStatusDocument, { id: orderId }, auth);
  expect(afterDecline.order?.status).toBe('PENDING_PAYMENT');

  const paid = await data(
    env.url,
    PayOrderDocument,
    {
      input: {
        orderId,
        idempotencyKey: randomUUID(),
        paymentMethodToken: await tokenFor(env.pspUrl, TEST_CARDS.visa, shopper.name),
      },
    },
    auth,
  );
  expect(paid.payOrder.__typename).toBe('PaymentSucceeded');
  await waitFor(
    async () => (await data(env.url, OrderStatusDocument, { id: orderId }, auth)).order?.status === 'PAID',
  );
});

it('another shopper cannot see my order', async () => {
  const a = await registerShopper('Alan');
  const b = await registerShopper('Barbara');
  const tokenOf = async (s: { email: string; password: string }) => {
    const login = await data(env.url, LoginDocument, { input: { email: s.email, password: s.password } });
    if (login.login.__typename !== 'AuthPayload') throw new Error('login failed');
    return bearer(login.login.token);
  };
  const [product] = await firstProducts(1);
  const placed = await data(
    env.url,
    PlaceOrderDocument,
    { input: { idempotencyKey: randomUUID(), items: [{ productId: product!.id, quantity: 1 }] } },
    await tokenOf(a),
  );
  if (placed.placeOrder.__typename !== 'Order') throw new Error('placeOrder failed');
  const asB = await execute(env.url, OrderStatusDocument, { id: placed.placeOrder.id }, await tokenOf(b));
  expect(asB.data?.order ?? null).toBeNull();
  const anonymous = await execute(env.url, OrderStatusDocument, { id: placed.placeOrder.id });
  expect(anonymous.data?.order ?? null).toBeNull();
  expect(anonymous.errors?.[0]?.extensions?.code ?? 'none').toMatch(/UNAUTHENTICATED|none/);
});

it('partners read the catalogue through /public/graphql with an API key, and nothing else', async () => {
  const query = '{ products(first: 3) { edges { node { id name price { amount currency } } } } }';
  const post = (headers: Record<string, string>, body: unknown) =>
    fetch(env.publicUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  const refused = await post({}, { query });
  expect(refused.status).toBe(401);

  const ok = await post({ 'x-api-key': env.partnerKey }, { query });
  expect(ok.status).toBe(200);
  const body = (await ok.json()) as { data: { products: { edges: unknown[] } } };
  expect(body.data.products.edges).toHaveLength(3);

  const types = await post({ 'x-api-key': env.partnerKey }, { query: '{ __schema { types { name } } }' });
  const names = (
    (await types.json()) as { data: { __schema: { types: { name: string }[] } } }
  ).data.__schema.types.map((t) => t.name);
  expect(names).toContain('Product');
  for (const hidden of ['User', 'Order', 'Payment', 'Notification']) expect(names).not.toContain(hidden);

  const stock = await post(
    { 'x-api-key': env.partnerKey },
    { query: '{ products(first: 1) { edges { node { stock } } } }' },
  );
  expect(((await stock.json()) as { errors?: unknown[] }).errors).toBeDefined();
});
