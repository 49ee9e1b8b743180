/**
 * The authorization matrix: every field that exposes personal data, read as an anonymous caller,
 * another customer, the owner and an admin — through the gateway, and straight to the subgraph that
 * owns it (with the router secret, including `_entities` with representations of the owner's
 * records; and without the secret, which is HTTP 403 whoever asks). One test per cell.
 *
 * Outcomes: `data` (the owner's value), `self` (the caller's own record, never the owner's), `null`
 * (hidden, indistinguishable from "does not exist"), `FORBIDDEN`, `UNAUTHENTICATED`, `HTTP 403`.
 */
import { randomUUID } from 'node:crypto';
import { waitFor } from '@shop/testing';
import { TEST_CARDS, testCard, tokenize } from '../psp';
import { createTestEnvironment, type TestEnvironment } from '../environment';
import { JSON_HEADERS, send, type RawResponse } from './support';
import {
  ENTITIES,
  rows,
  type Viewer,
  type Outcome,
  type Data,
  type Account,
  type Fixture,
  type Target,
  type Row,
} from './authz-matrix';

let env: TestEnvironment;
let fx: Fixture;

const PHONE = '+4915112345678';
const CARD = testCard(TEST_CARDS.visa, { holderName: 'Olivia Owner' });

async function call(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string>,
) {
  return send(url, { headers: { ...JSON_HEADERS, ...headers }, body: { query, variables } });
}

async function register(name: string, phone?: string): Promise<Account> {
  const email = `${name.toLowerCase()}-${randomUUID().slice(0, 8)}@example.com`;
  const res = await call(
    env.url,
    'mutation($i: RegisterInput!) { register(input: $i) { ... on AuthPayload { token user { id } } } }',
    { i: { email, password: 'correct-horse-battery', name, ...(phone ? { phone } : {}) } },
    {},
  );
  const payload = res.json?.data?.register as { token: string; user: { id: string } } | undefined;
  if (!payload) throw new Error(`register ${name}: ${res.text}`);
  return { id: payload.user.id, email, token: payload.token };
}

beforeAll(async () => {
  env = await createTestEnvironment();
  const owner = { ...(await register('Olivia', PHONE)), phone: PHONE };
  const other = await register('Mallory');
  const login = await call(
    env.url,
    'mutation($i: LoginInput!) { login(input: $i) { ... on AuthPayload { token user { id } } } }',
    { i: env.admin },
    {},
  );
  const adminPayload = login.json?.data?.login as { token: string; user: { id: string } };
  const admin = { id: adminPayload.user.id, email: env.admin.email, token: adminPayload.token };
  const auth = { authorization: `Bearer ${owner.token}` };

  const products = await call(
    env.url,
    '{ products(first: 1, filter: { inStock: true }) { edges { node { id } } } }',
    {},
    {},
  );
  const productId = (products.json?.data?.products as Data).edges[0].node.id as string;
  const placed = await call(
    env.url,
    'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { ... on Order { id } } }',
    { i: { idempotencyKey: randomUUID(), items: [{ productId, quantity: 1 }] } },
    auth,
  );
  const orderId = (placed.json?.data?.placeOrder as { id: string }).id;
  const paid = await call(
    env.url,
    'mutation($i: PayOrderInput!) { payOrder(input: $i) { ... on PaymentSucceeded { payment { id } } } }',
    { i: { orderId, idempotencyKey: randomUUID(), paymentMethodToken: await tokenize(env.pspUrl, CARD) } },
    auth,
  );
  const paymentId = (paid.json?.data?.payOrder as { payment: { id: string } }).payment.id;
  // the confirmation (email and SMS) arrives through orders.paid
  const notificationIds = await waitFor(
    async () => {
      const res = await call(
        env.url,
        'query($id: ID!) { order(id: $id) { notifications { id } } }',
        { id: orderId },
        auth,
      );
      const list = ((res.json?.data?.order as Data | null)?.notifications ?? []) as { id: string }[];
      return list.length === 2 ? list.map((n) => n.id).sort() : null;
    },
    { timeoutMs: 20_000 },
  );
  // An address in the owner's book, an order checked out to it, then a cart with a line.
  const address = await call(
    env.url,
    'mutation($i: AddressInput!) { createAddress(input: $i) { ... on Address { id } } }',
    {
      i: {
        name: 'Olivia Owner',
        line1: 'Invalidenstraße 117',
        postalCode: '10115',
        city: 'Berlin',
        country: 'DE',
      },
    },
    auth,
  );
  const addressId = (address.json?.data?.createAddress as { id: string }).id;
  const addToCart = async () => {
    const res = await call(
      env.url,
      'mutation($i: AddToCartInput!) { addToCart(input: $i) { ... on Cart { id } } }',
      { i: { productId, quantity: 1 } },
      auth,
    );
    return (res.json?.data?.addToCart as { id: string }).id;
  };
  const checkedOut = await call(
    env.url,
    'mutation($i: CheckoutInput!) { checkout(input: $i) { __typename ... on Order { id } } }',
    {
      i: {
        cartId: await addToCart(),
        addressId,
        shippingMethodId: 'standard-eu',
        idempotencyKey: randomUUID(),
      },
    },
    auth,
  );
  const checkoutOrderId = (checkedOut.json?.data?.checkout as { id: string }).id;
  const cartId = await addToCart();
  fx = { owner, other, admin, orderId, paymentId, notificationIds, addressId, cartId, checkoutOrderId };
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

function urlOf(target: Target) {
  return target === 'gateway' ? env.url : env.subgraphs[target];
}

function accountOf(viewer: Viewer): Account | undefined {
  if (viewer === 'other customer') return fx.other;
  if (viewer === 'owner' || viewer === 'owner, no router secret') return fx.owner;
  if (viewer === 'admin') return fx.admin;
  return undefined;
}

function headersOf(target: Target, viewer: Viewer): Record<string, string> {
  const account = accountOf(viewer);
  return {
    ...(account ? { authorization: `Bearer ${account.token}` } : {}),
    ...(target !== 'gateway' && viewer !== 'owner, no router secret'
      ? { 'x-router-secret': env.routerSecret }
      : {}),
  };
}

/** What a response showed the caller, in the matrix's terms. */
function outcomeOf(row: Row, viewer: Viewer, res: RawResponse): string {
  if (res.status === 403) return 'HTTP 403';
  const codes = (res.json?.errors ?? []).map((e) => e.extensions?.code);
  if (codes.includes('UNAUTHENTICATED')) return 'UNAUTHENTICATED';
  if (codes.includes('FORBIDDEN')) return 'FORBIDDEN';
  if (codes.length) return `errors ${JSON.stringify(codes)}`;
  const value = row.pick(res.json?.data ?? {});
  if (value === null || value === undefined) return 'null';
  if (JSON.stringify(value) === JSON.stringify(row.owner(fx))) return 'data';
  const account = accountOf(viewer);
  if (row.self && account && JSON.stringify(value) === JSON.stringify(row.self(account))) return 'self';
  return `unexpected value ${JSON.stringify(value)}`;
}

const cells = rows.flatMap((row) =>
  (Object.entries(row.expect) as [Viewer, Outcome][]).map(
    ([viewer, outcome]) =>
      [`${row.target}: ${row.field} as ${viewer} → ${outcome}`, row, viewer, outcome] as const,
  ),
);

describe('authorization matrix', () => {
  it.each(cells)('%s', async (_name, row, viewer, expected) => {
    const res = await call(urlOf(row.target), row.query, row.variables(fx), headersOf(row.target, viewer));
    expect(outcomeOf(row, viewer, res)).toBe(expected);
  });

  it('covers every personal field through the gateway and through its subgraph', () => {
    expect(cells.length).toBeGreaterThanOrEqual(60);
    expect(new Set(rows.map((r) => r.target))).toEqual(
      new Set(['gateway', 'users', 'orders', 'payments', 'notifications']),
    );
  });
});

describe('representations of the wrong type sent straight to a subgraph match nothing and are not bugs', () => {
  // _Any accepts any JSON, so a caller holding the router secret can send an operator object
  // (a NoSQL injection), a number or null as an id: the answer must be null (or BAD_USER_INPUT),
  // never another record and never an INTERNAL_SERVER_ERROR.
  const types: [keyof TestEnvironment['subgraphs'], string][] = [
    ['users', 'User'],
    ['products', 'Product'],
    ['orders', 'Order'],
    ['payments', 'Payment'],
    ['notifications', 'Notification'],
  ];
  const ids: [string, unknown][] = [
    ['{"$gt": ""}', { $gt: '' }],
    ['{"$ne": null}', { $ne: null }],
    ['42', 42],
    ['null', null],
    ["' OR 1=1 --", "' OR 1=1 --"],
  ];
  const hostileCells = types.flatMap(([target, type]) =>
    ids.map(([label, id]) => [`${target}: ${type} with id ${label}`, target, type, id] as const),
  );

  it.each(hostileCells)('%s', async (_name, target, type, id) => {
    const res = await call(
      env.subgraphs[target],
      ENTITIES(type, 'id'),
      { r: [{ __typename: type, id }] },
      { 'x-router-secret': env.routerSecret, authorization: `Bearer ${fx.admin.token}` },
    );
    const codes = (res.json?.errors ?? [])
      .map((e) => e.extensions?.code)
      .filter((c) => c !== 'BAD_USER_INPUT');
    const entities = (res.json?.data?._entities ?? []) as unknown[];
    expect({ status: res.status, matched: entities.filter((e) => e !== null), codes }).toEqual({
      status: 200,
      matched: [],
      codes: [],
    });
  });
});
