/**
 * Hostile payment method tokens through the gateway: for one pending order of the attacker, payOrder
 * with every form of a real token that is not it (other letter cases, padding, a used one, another
 * customer's used one), strings that are no token (empty, control characters, huge), a card number
 * typed into the token field and the injection strings of hostile-values.ts. Each answers
 * PaymentMethodInvalidError or InvalidInputError (never a charge, a 5xx or an internal error); no row,
 * document, Redis key or stream message is added, the PSP's ledger gains no charge, the order stays
 * payable, no log line holds a card number, and the live token still pays the order afterwards.
 */
import { randomUUID } from 'node:crypto';
import { createTestEnvironment, type TestEnvironment } from '../environment';
import { pspLedger, TEST_CARDS, testCard, tokenize } from '../psp';
import {
  healthOfAll,
  JSON_HEADERS,
  leaksIn,
  openStores,
  send,
  type StoreCounts,
  type Stores,
} from './support';
import { hostileTokens, type RealTokens } from './hostile-values';

const PAY = `mutation($i: PayOrderInput!) {
  payOrder(input: $i) { __typename ... on PaymentSucceeded { payment { id status } } ... on Error { message } }
}`;
const CARD = testCard(TEST_CARDS.mastercard, { holderName: 'Eve Attacker' });

let env: TestEnvironment;
let stores: Stores;
let before: StoreCounts;
let chargesBefore: number;
let attacker: string;
let orderId: string;
let real: RealTokens;

const gql = (query: string, variables: Record<string, unknown>, authorization?: string) =>
  send(env.url, {
    headers: { ...JSON_HEADERS, ...(authorization ? { authorization } : {}) },
    body: { query, variables },
  });

async function customer(name: string): Promise<string> {
  const res = await gql(
    'mutation($i: RegisterInput!) { register(input: $i) { ... on AuthPayload { token } } }',
    {
      i: {
        email: `${name}-${randomUUID().slice(0, 8)}@example.com`,
        password: 'correct-horse-battery',
        name,
      },
    },
  );
  const token = (res.json?.data?.register as { token?: string } | undefined)?.token;
  if (!token) throw new Error(`register: ${res.text}`);
  return `Bearer ${token}`;
}

async function placeOrder(authorization: string): Promise<string> {
  const products = await gql(
    '{ products(first: 1, filter: { inStock: true }) { edges { node { id } } } }',
    {},
  );
  const productId = (products.json?.data?.products as { edges: { node: { id: string } }[] }).edges[0]!.node
    .id;
  const placed = await gql(
    'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { __typename ... on Order { id } } }',
    { i: { idempotencyKey: randomUUID(), items: [{ productId, quantity: 1 }] } },
    authorization,
  );
  const id = (placed.json?.data?.placeOrder as { id?: string }).id;
  if (!id) throw new Error(`placeOrder: ${placed.text}`);
  return id;
}

async function pay(authorization: string, order: string, paymentMethodToken: unknown) {
  const res = await gql(
    PAY,
    { i: { orderId: order, idempotencyKey: randomUUID(), paymentMethodToken } },
    authorization,
  );
  return { res, result: res.json?.data?.payOrder as { __typename: string } | undefined };
}

const orderStatus = async (id: string) =>
  (
    (await gql('query($id: ID!) { order(id: $id) { status } }', { id }, attacker)).json?.data?.order as {
      status: string;
    }
  ).status;

beforeAll(async () => {
  env = await createTestEnvironment();
  stores = await openStores(env);
  attacker = await customer('Eve');
  const other = await customer('Olivia');
  // A used token of each: each paid an order of its own.
  const used = await tokenize(env.pspUrl, CARD);
  expect((await pay(attacker, await placeOrder(attacker), used)).result?.__typename).toBe('PaymentSucceeded');
  const othersUsed = await tokenize(env.pspUrl, testCard(TEST_CARDS.visa, { holderName: 'Olivia' }));
  expect((await pay(other, await placeOrder(other), othersUsed)).result?.__typename).toBe('PaymentSucceeded');
  orderId = await placeOrder(attacker);
  real = { fresh: await tokenize(env.pspUrl, CARD), used, othersUsed, cardNumber: CARD.number };
  // Let the two payments' events settle (orders PAID, emails sent) before the snapshot.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  before = await stores.count();
  chargesBefore = (await pspLedger(env.pspUrl, env.pspSecretKey)).charges.length;
}, 120_000);

afterAll(async () => {
  await stores?.close();
  await env?.stop();
});

describe('hostile payment method tokens', () => {
  const labels = hostileTokens({ fresh: 'tok_x', used: 'u', othersUsed: 'o', cardNumber: '4' }).map(
    ([l]) => l,
  );

  it.each(labels)('%s: PaymentMethodInvalidError or InvalidInputError, nothing charged', async (label) => {
    const value = hostileTokens(real).find(([l]) => l === label)![1];
    const { res, result } = await pay(attacker, orderId, value);
    expect({
      status: res.status,
      errors: res.json?.errors ?? [],
      result: result?.__typename,
      leaks: leaksIn(res.text, env),
    }).toEqual({
      status: 200,
      errors: [],
      result: expect.stringMatching(/^(PaymentMethodInvalidError|InvalidInputError)$/),
      leaks: [],
    });
  });

  it('an operator object instead of a string is refused as bad input', async () => {
    const { res } = await pay(attacker, orderId, { $gt: '' });
    expect(res.status).toBe(400);
    expect(res.json?.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('added no row, document, Redis key or stream message, and no charge at the PSP', async () => {
    expect(await stores.count()).toEqual(before);
    expect((await pspLedger(env.pspUrl, env.pspSecretKey)).charges).toHaveLength(chargesBefore);
    expect(await orderStatus(orderId)).toBe('PENDING_PAYMENT');
  });

  it('no log line of any service (the PSP included) holds a card number or the CVC field', () => {
    const digits = env.logs.map((line) => line.replace(/[\s-]/g, '')).join('\n');
    for (const number of [CARD.number, TEST_CARDS.visa]) expect(digits).not.toContain(number);
    expect(env.logs.join('\n')).not.toMatch(/"cvc"\s*:/i);
  });

  it('the live token, exactly as issued, still pays the order once', async () => {
    const { result } = await pay(attacker, orderId, real.fresh);
    expect(result?.__typename).toBe('PaymentSucceeded');
    const ledger = await pspLedger(env.pspUrl, env.pspSecretKey);
    expect(ledger.charges.filter((c) => c.orderId === orderId).map((c) => c.status)).toEqual(['succeeded']);
    expect((await pay(attacker, orderId, real.fresh)).result?.__typename).toMatch(
      /^(PaymentMethodInvalidError|OrderNotPayableError)$/,
    );
  });

  it('left every process up', async () => {
    const health = await healthOfAll(env);
    expect(Object.values(health).every((status) => status === 200)).toBe(true);
    const psp = await fetch(new URL('/healthz', env.pspUrl));
    expect(psp.status).toBe(200);
  });
});
