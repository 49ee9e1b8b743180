/**
 * The README's Apollo Client set-up (e2e/storefront/client.ts) driven through the gateway: Relay pages
 * merged by the type policy, a refused mutation read through `... on Error`, an expired access token
 * refreshed once for concurrent operations (rotation survives), and a live order over graphql-ws
 * going PENDING_PAYMENT → PAID.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gql, type TypedDocumentNode } from '@apollo/client';
import { createTokenSigner, type SigningKey } from '@shop/auth';
import { TEST_CARDS, tokenFor } from '../psp';
import { createTestEnvironment, type TestEnvironment } from '../environment';
import WebSocket from 'ws';
import { createShopClient, type Session } from '../../storefront/src/apollo';

let env: TestEnvironment;
const possibleTypes = (
  JSON.parse(readFileSync(new URL('../../schema/possible-types.json', import.meta.url), 'utf8')) as {
    possibleTypes: Record<string, string[]>;
  }
).possibleTypes;

beforeAll(async () => {
  env = await createTestEnvironment();
}, 120_000);
afterAll(async () => {
  await env?.stop();
});

type Auth = {
  __typename: string;
  token?: string;
  refreshToken?: string;
  user?: { id: string };
  message?: string;
};
const REGISTER: TypedDocumentNode<{ register: Auth }, { i: Record<string, unknown> }> = gql`
  mutation Register($i: RegisterInput!) {
    register(input: $i) {
      __typename
      ... on AuthPayload {
        token
        refreshToken
        user {
          id
        }
      }
      ... on Error {
        message
      }
    }
  }
`;
const PAGE: TypedDocumentNode<
  { products: { edges: { cursor: string; node: { id: string } }[]; pageInfo: { endCursor: string | null } } },
  { after?: string | null }
> = gql`
  query Page($after: String) {
    products(first: 3, after: $after) {
      edges {
        cursor
        node {
          id
          price {
            amount
            currency
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;
const ME: TypedDocumentNode<{ me: { id: string } | null }, Record<string, never>> = gql`
  query Me {
    me {
      id
    }
  }
`;
const PLACE: TypedDocumentNode<
  { placeOrder: { __typename: string; id?: string } },
  { i: Record<string, unknown> }
> = gql`
  mutation Place($i: PlaceOrderInput!) {
    placeOrder(input: $i) {
      __typename
      ... on Order {
        id
        status
      }
    }
  }
`;
const LIVE: TypedDocumentNode<{ orderUpdated: { id: string; status: string } }, { id: string }> = gql`
  subscription Live($id: ID!) {
    orderUpdated(id: $id) {
      id
      status
    }
  }
`;

/** An access token of our own key for the viewer that expired a moment ago. */
async function expiredToken(userId: string, email: string) {
  const keys = (JSON.parse(env.jwtPrivateKeys) as SigningKey['privateJwk'][]).map((jwk) => ({
    kid: jwk.kid!,
    privateJwk: jwk,
  }));
  const { token, expiresAt } = await (
    await createTokenSigner(keys, 1)
  ).sign({ id: userId, role: 'CUSTOMER', email });
  await new Promise((r) => setTimeout(r, Math.max(0, expiresAt.getTime() - Date.now()) + 1_100));
  return token;
}

it('pages, typed errors, a refreshed session and a live order through the documented client', async () => {
  const session: Session = {};
  const client = createShopClient({ uri: env.url, session, possibleTypes, webSocketImpl: WebSocket });

  // Two pages of the catalogue end up as one list in the cache (relayStylePagination).
  const watch = client.watchQuery({ query: PAGE, variables: {} });
  const lengths: number[] = [];
  const sub = watch.subscribe({
    next: (r) => {
      const edges = r.data?.products?.edges;
      if (edges) lengths.push(edges.length);
    },
  });
  const first = await client.query({ query: PAGE, variables: {} });
  await watch.fetchMore({ variables: { after: first.data!.products.pageInfo.endCursor } });
  await new Promise((r) => setTimeout(r, 100));
  expect(lengths.at(-1)).toBe(6);
  sub.unsubscribe();

  // A refusal is data, read through the Error interface.
  const email = `client-${randomUUID().slice(0, 8)}@example.com`;
  const refused = await client.mutate({
    mutation: REGISTER,
    variables: { i: { email, password: 'short', name: 'Ada' } },
  });
  expect(refused.data!.register).toMatchObject({
    __typename: 'InvalidInputError',
    message: expect.any(String),
  });
  const registered = await client.mutate({
    mutation: REGISTER,
    variables: { i: { email, password: 'correct-horse-battery', name: 'Ada' } },
  });
  const auth = registered.data!.register;
  session.token = auth.token;
  session.refreshToken = auth.refreshToken;
  const userId = auth.user!.id;

  // The access token expires: three operations at once refresh the session once and succeed.
  session.token = await expiredToken(userId, email);
  const before = session.refreshToken;
  const answers = await Promise.all(
    // queryDeduplication off: three requests really leave, each meeting the expired token.
    [1, 2, 3].map(() =>
      client.query({
        query: ME,
        variables: {},
        fetchPolicy: 'network-only',
        context: { queryDeduplication: false },
      }),
    ),
  );
  expect(answers.map((a) => a.data?.me?.id)).toEqual([userId, userId, userId]);
  expect(session.refreshToken).toBeDefined();
  expect(session.refreshToken).not.toBe(before);
  // The rotated token still works (a second, concurrent refresh would have revoked the session).
  session.token = await expiredToken(userId, email);
  expect((await client.query({ query: ME, variables: {}, fetchPolicy: 'network-only' })).data?.me?.id).toBe(
    userId,
  );

  // A live order over graphql-ws: PENDING_PAYMENT first, PAID after the payment.
  const page = await client.query({ query: PAGE, variables: {} });
  const placed = await client.mutate({
    mutation: PLACE,
    variables: {
      i: {
        idempotencyKey: randomUUID(),
        items: [{ productId: page.data!.products.edges[0]!.node.id, quantity: 1 }],
      },
    },
  });
  const orderId = placed.data!.placeOrder.id!;
  const statuses: string[] = [];
  const live = client.subscribe({ query: LIVE, variables: { id: orderId } }).subscribe({
    next: (r) => r.data && statuses.push(r.data.orderUpdated.status),
  });
  const until = async (check: () => boolean) => {
    const deadline = Date.now() + 15_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out: ${JSON.stringify(statuses)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await until(() => statuses.includes('PENDING_PAYMENT'));
  // The card form posts the card to the PSP, never to the graph; the graph gets the token.
  const token = await tokenFor(env.pspUrl, TEST_CARDS.visa, 'Ada');
  const paid = await fetch(env.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${session.token}` },
    body: JSON.stringify({
      query: 'mutation($i: PayOrderInput!) { payOrder(input: $i) { __typename } }',
      variables: {
        i: {
          orderId,
          idempotencyKey: randomUUID(),
          paymentMethodToken: token,
        },
      },
    }),
  });
  expect(
    ((await paid.json()) as { data: { payOrder: { __typename: string } } }).data.payOrder.__typename,
  ).toBe('PaymentSucceeded');
  await until(() => statuses.includes('PAID'));
  expect(statuses[0]).toBe('PENDING_PAYMENT');
  live.unsubscribe();
  client.stop();
});
