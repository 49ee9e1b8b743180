/**
 * Finding 8 of issue 16: email addresses with address syntax (`a<b@x.com>`, `a,b@x.com`,
 * `g:b@x.com;`) were accepted as new accounts, so the confirmation went to another mailbox, and a
 * look-alike `аdmin@shop.local` (Cyrillic а) registered. Now users takes one strict form (see
 * subgraphs/users/README.md): an ASCII dot-atom before the @, no display names, comments, quoted
 * parts, groups or lists, the domain lower-cased and in its ASCII (punycode) form, no domain label
 * that mixes scripts or imitates Latin letters; the same rule for login. Through the gateway; rows
 * are counted in users' PostgreSQL, mail read back from Mailpit.
 */
import pg from 'pg';
import { gql, mailpit, waitFor } from '@shop/testing';
import { TEST_CARDS, testCard, tokenize } from '../psp';
import { createTestEnvironment, type TestEnvironment } from '../environment';

let env: TestEnvironment;
let db: pg.Client;

beforeAll(async () => {
  env = await createTestEnvironment();
  db = new pg.Client({ connectionString: env.stores.postgresUrl });
  await db.connect();
}, 120_000);

afterAll(async () => {
  await db?.end();
  await env?.stop();
});

const REGISTER = `mutation($i: RegisterInput!) { register(input: $i) {
  __typename
  ... on Error { message }
  ... on InvalidInputError { field }
  ... on AuthPayload { token user { id email } }
} }`;
const LOGIN = `mutation($i: LoginInput!) { login(input: $i) {
  __typename
  ... on InvalidInputError { field }
  ... on AuthPayload { user { email } }
} }`;

interface Result {
  __typename: string;
  field?: string;
  message?: string;
  token?: string;
  user?: { id: string; email: string };
}

const register = async (email: string, password = 'long-enough-password') => {
  const res = await gql<{ register: Result }>(env.url, REGISTER, { i: { email, password, name: 'Eve' } });
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  return res.data.register;
};
const login = async (email: string, password = 'long-enough-password') => {
  const res = await gql<{ login: Result }>(env.url, LOGIN, { i: { email, password } });
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  return res.data.login;
};

/** Rows users holds: accounts and throttling buckets. */
async function rows() {
  const { rows } = await db.query<{ users: number; throttle: number }>(
    'SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM login_throttle)::int AS throttle',
  );
  return rows[0]!;
}

const unique = () => crypto.randomUUID().slice(0, 8);

describe('finding 8: one strict email form', () => {
  it.each([
    ['a<b@x.com>', 'a display-name route'],
    ['Eve <eve@x.com>', 'a display name'],
    ['a,b@x.com', 'a list'],
    ['a@x.com, b@y.com', 'two addresses'],
    ['g:b@x.com;', 'a group'],
    ['"a b"@x.com', 'a quoted local part'],
    ['a(comment)@x.com', 'a comment'],
    ['a%b@relay.example', 'percent-hack routing'],
    ['a@[127.0.0.1]', 'an address literal'],
    ['😀-mail@example.com', 'a non-ASCII local part'],
  ])(
    'finding 8: %j (%s) is refused as InvalidInputError on email, for register and login, writing nothing',
    async (address) => {
      const before = await rows();
      expect(await register(address)).toMatchObject({ __typename: 'InvalidInputError', field: 'email' });
      expect(await login(address)).toMatchObject({ __typename: 'InvalidInputError', field: 'email' });
      expect(await rows()).toEqual(before);
    },
  );

  it('finding 8: look-alikes of existing addresses are refused: a Cyrillic а for the admin, a mixed-script or imitating domain', async () => {
    const before = await rows();
    const admin = env.admin.email;
    expect(admin).toMatch(/^admin-/);
    const cyrillicAdmin = `\u0430${admin.slice(1)}`; // аdmin-…: the first letter is U+0430
    const lookAlikes = [
      cyrillicAdmin,
      '\u0430dmin@shop.local',
      `eve-${unique()}@p\u0430yp\u0430l.com`, // Latin and Cyrillic in one label
      `eve-${unique()}@\u0430\u0440\u0440\u04cf\u0435.com`, // аррӏе: Cyrillic imitating Latin
      `eve-${unique()}@xn--80ak6aa92e.com`, // the same, already in punycode
    ];
    for (const address of lookAlikes) {
      expect(await register(address)).toMatchObject({ __typename: 'InvalidInputError', field: 'email' });
      expect(await login(address, 'any-password-at-all')).toMatchObject({
        __typename: 'InvalidInputError',
        field: 'email',
      });
    }
    expect(await rows()).toEqual(before);
    // The real admin still signs in.
    expect(await login(admin, env.admin.password)).toMatchObject({ __typename: 'AuthPayload' });
  });

  it('finding 8: an IDN domain is stored once in punycode, every spelling of it is the same account, and the confirmation goes to that mailbox', async () => {
    const local = `ada-${unique()}`;
    const stored = `${local}@xn--bcher-kva.example`;
    const registered = await register(`  ${local.toUpperCase()}@B\u00dcCHER.Example `, 'ada-right-password');
    expect(registered).toMatchObject({ __typename: 'AuthPayload', user: { email: stored } });
    const { rows: accounts } = await db.query<{ email: string }>(
      'SELECT email::text AS email FROM users WHERE id = $1',
      [registered.user!.id],
    );
    expect(accounts).toEqual([{ email: stored }]);
    for (const spelling of [stored, `${local}@b\u00fccher.example`, `${local}@ｂüｃｈｅｒ.example`]) {
      expect(await register(spelling)).toMatchObject({ __typename: 'EmailTakenError' });
      expect(await login(spelling, 'ada-right-password')).toMatchObject({
        __typename: 'AuthPayload',
        user: { email: stored },
      });
    }

    // Order and pay: the confirmation is addressed to exactly the stored mailbox.
    const auth = { authorization: `Bearer ${registered.token}` };
    const catalogue = await gql<{ products: { edges: { node: { id: string } }[] } }>(
      env.url,
      'query { products(first: 1, filter: { inStock: true }) { edges { node { id } } } }',
    );
    const productId = catalogue.data!.products.edges[0]!.node.id;
    const placed = await gql<{ placeOrder: { __typename: string; id?: string } }>(
      env.url,
      'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { __typename ... on Order { id } } }',
      { i: { idempotencyKey: crypto.randomUUID(), items: [{ productId, quantity: 1 }] } },
      auth,
    );
    expect(placed.data?.placeOrder.__typename).toBe('Order');
    const paid = await gql<{ payOrder: { __typename: string } }>(
      env.url,
      'mutation($i: PayOrderInput!) { payOrder(input: $i) { __typename } }',
      {
        i: {
          orderId: placed.data!.placeOrder.id,
          idempotencyKey: crypto.randomUUID(),
          paymentMethodToken: await tokenize(env.pspUrl, testCard(TEST_CARDS.visa, { holderName: 'Ada' })),
        },
      },
      auth,
    );
    expect(paid.data?.payOrder.__typename).toBe('PaymentSucceeded');
    const messages = await waitFor(async () => {
      const found = await mailpit.messagesTo(stored);
      return found.length > 0 ? found : null;
    });
    expect(messages).toHaveLength(1);
    const mail = await mailpit.message(messages[0]!.ID);
    expect(mail.To.map((to) => to.Address)).toEqual([stored]);
  });
});
