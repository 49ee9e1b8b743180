import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { ROUTER_SECRET_HEADER, createTokenVerifier } from '@shop/auth';
import { loadConfig } from '@shop/config';
import { createLogger } from '@shop/server';
import {
  createMysqlDatabase,
  createTestIssuer,
  endpoints,
  gql,
  memoryLog,
  mongoDatabase,
  natsPrefix,
  runId,
  waitFor,
  type TestIssuer,
} from '@shop/testing';
import { bootPayments, dumpRedis, leaks, TEST_CARDS, type Harness } from './helpers';

/**
 * payments with the real orders and products subgraphs in-process (own MariaDB database, own
 * MongoDB database, one shared NATS prefix): the payment's event makes the order PAID.
 */

// mercurius (products) requires @fastify/static, whose dependency is ESM-only and cannot be
// required under jest on Node 20; GraphiQL is disabled anyway. Same stand-in as products' tests.
jest.mock('@fastify/static', () => {
  const plugin = async () => undefined;
  return Object.assign(plugin, { default: plugin });
});

const SECRET = 'payments-test-router-secret';
const prefix = natsPrefix('payreal');
const log = memoryLog();
const logger = createLogger({ name: 'siblings', level: 'info' }, log.stream);
let issuer: TestIssuer;
let mysql: Awaited<ReturnType<typeof createMysqlDatabase>>;
const mongo = mongoDatabase('payreal');
let products: {
  stop(): Promise<void>;
  products: { createProduct(viewer: unknown, input: unknown): Promise<{ __typename: string; id?: string }> };
};
let orders: { stop(): Promise<void> };
let ordersUrl: string;
let payments: Harness;

const customer = () => ({ id: randomUUID(), role: 'CUSTOMER' as const, email: `${runId('e')}@example.test` });
const ordersAs = async (
  viewer: ReturnType<typeof customer>,
  query: string,
  variables: Record<string, unknown>,
) =>
  gql<
    Record<string, { __typename?: string; id?: string; status?: string; total?: { amount: number } } | null>
  >(ordersUrl, query, variables, {
    [ROUTER_SECRET_HEADER]: SECRET,
    authorization: await issuer.bearer(viewer),
  });

const PLACE = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { __typename ... on Order { id status total { amount currency } } ... on Error { message } } }`;
const ORDER = `query($id: ID!) { order(id: $id) { id status } }`;

beforeAll(async () => {
  issuer = await createTestIssuer();
  mysql = await createMysqlDatabase('payreal');
  const verifyToken = createTokenVerifier({ jwks: issuer.jwks });
  const productsMod = await import('@shop/products');
  const ordersMod = await import('@shop/orders');
  const productsApp = await productsMod.createApp(
    loadConfig(productsMod.configSchema, {
      PORT: '0',
      MONGO_URL: mongo.url,
      NATS_URL: endpoints.nats,
      NATS_PREFIX: prefix,
      ROUTER_SECRET: SECRET,
      SEED_IF_EMPTY: 'false',
    }),
    { log: logger, verifyToken },
  );
  await productsApp.start();
  products = productsApp as unknown as typeof products;
  const ordersApp = await ordersMod.createApp(
    loadConfig(ordersMod.configSchema, {
      PORT: '0',
      MYSQL_URL: mysql.url,
      NATS_URL: endpoints.nats,
      NATS_PREFIX: prefix,
      ROUTER_SECRET: SECRET,
      OUTBOX_POLL_MS: '100',
    }),
    { log: logger, verifyToken },
  );
  ordersUrl = (await ordersApp.start()).url;
  orders = ordersApp;
  payments = await bootPayments('payreal', {}, { natsPrefix: prefix, issuer, stubOrders: false });
}, 60_000);

afterAll(async () => {
  await orders?.stop();
  await products?.stop();
  await payments?.close(); // deletes the shared streams
  await mysql?.drop();
  const { default: mongoose } = await import('mongoose');
  const conn = await mongoose.createConnection(mongo.url).asPromise();
  await conn.dropDatabase();
  await conn.close();
}, 60_000);

describe('with the real orders and products subgraphs', () => {
  it('a successful payment makes the order PAID through the events; a second key is refused; a decline leaves an order payable', async () => {
    // Through products' own rules, as an admin: a product without options (one variant).
    const product = await products.products.createProduct(
      { id: randomUUID(), role: 'ADMIN', email: 'admin@example.test' },
      {
        sku: runId('sku'),
        name: 'Test kettle',
        price: { amount: 2_999, currency: 'EUR' },
        stock: 10,
        category: 'kitchen',
      },
    );
    expect(product).toMatchObject({ __typename: 'Product' });
    const user = customer();
    const placed = await ordersAs(user, PLACE, {
      input: { items: [{ productId: product.id!, quantity: 2 }], idempotencyKey: runId('k') },
    });
    expect(placed.errors).toBeUndefined();
    const order = placed.data!.placeOrder!;
    expect(order).toMatchObject({ __typename: 'Order', status: 'PENDING_PAYMENT', total: { amount: 5_998 } });

    // A decline first: recorded, published, and the order stays payable.
    const declined = await payments.pay(user, {
      orderId: order.id,
      paymentMethodToken: await payments.token(TEST_CARDS.DECLINED),
      idempotencyKey: 'k-decline',
    });
    expect(declined.data?.payOrder).toMatchObject({
      __typename: 'CardDeclinedError',
      payment: { status: 'FAILED' },
    });

    const started = Date.now();
    const paid = await payments.pay(user, {
      orderId: order.id,
      paymentMethodToken: await payments.token(TEST_CARDS.SUCCESS),
      idempotencyKey: 'k-pay',
    });
    expect(paid.data?.payOrder).toMatchObject({
      __typename: 'PaymentSucceeded',
      payment: { status: 'SUCCEEDED', amount: { amount: 5_998, currency: 'EUR' }, order: { id: order.id } },
    });
    await waitFor(
      async () => (await ordersAs(user, ORDER, { id: order.id })).data?.order?.status === 'PAID',
      {
        timeoutMs: 10_000,
        intervalMs: 50,
      },
    );
    const elapsedMs = Date.now() - started;
    expect(elapsedMs).toBeLessThan(10_000);

    const again = await payments.pay(user, {
      orderId: order.id,
      paymentMethodToken: await payments.token(TEST_CARDS.SUCCESS),
      idempotencyKey: 'k-pay-2',
    });
    expect(again.data?.payOrder).toMatchObject({ __typename: 'OrderNotPayableError', status: 'PAID' });

    // Someone else cannot pay (orders says FORBIDDEN; payments answers not found).
    const stranger = await payments.pay(customer(), {
      orderId: order.id,
      paymentMethodToken: await payments.token(TEST_CARDS.SUCCESS),
      idempotencyKey: 'k-x',
    });
    expect(stranger.data?.payOrder.__typename).toBe('PaymentOrderNotFoundError');

    expect(
      leaks(
        [
          ...(await dumpRedis(payments.redisPrefix)),
          ...payments.log.lines,
          ...log.lines,
          ...payments.psp.logs.lines,
        ],
        [TEST_CARDS.SUCCESS, TEST_CARDS.DECLINED],
        ['739'],
      ),
    ).toEqual([]);
  });
});
