/**
 * Sessions through the gateway (createTestEnvironment: the router and the five subgraphs): refresh
 * tokens rotate, a reused one ends its session, logout and logoutEverywhere, and what an expired or
 * invalid access token does on a request that needs no authentication (docs/sessions.md).
 */
import { randomUUID } from 'node:crypto';
import { ROUTER_SECRET_HEADER } from '@shop/auth';
import { gql } from '@shop/testing';
import { createTestEnvironment, type TestEnvironment } from '../environment';
import {
  bearer,
  expiredToken,
  field,
  forms,
  LOGIN,
  LOGOUT,
  LOGOUT_EVERYWHERE,
  ME,
  PRODUCTS,
  REFRESH,
  REGISTER,
  send,
  type Payload,
} from './support';

let env: TestEnvironment;
const secrets: string[] = [];

const keep = <T extends Payload>(payload: T) => {
  if (payload.token) secrets.push(payload.token);
  if (payload.refreshToken) secrets.push(payload.refreshToken);
  return payload;
};

async function shopper(label: string) {
  const input = {
    email: `${label}-${randomUUID().slice(0, 8)}@example.com`,
    password: `${label}-password-1`,
    name: label,
  };
  const session = keep(await field<Payload>(env, REGISTER, { input }));
  if (session.__typename !== 'AuthPayload') throw new Error(`register refused: ${session.__typename}`);
  return { ...input, id: session.user!.id, session };
}

const refresh = async (token: string) => keep(await field<Payload>(env, REFRESH, { t: token }));

beforeAll(async () => {
  env = await createTestEnvironment();
}, 120_000);
afterAll(async () => {
  await env?.stop();
});

describe('refresh tokens through the gateway', () => {
  it('rotate on every use; a reused one ends its session and only it; logout ends one, logoutEverywhere all', async () => {
    const ada = await shopper('ada');
    const login = keep(
      await field<Payload>(env, LOGIN, { input: { email: ada.email, password: ada.password } }),
    );
    const next = await refresh(ada.session.refreshToken!);
    expect(next).toMatchObject({ __typename: 'AuthPayload', user: { id: ada.id, email: ada.email } });
    const me = await send<{ me: { id: string } }>(env, ME, {}, bearer(next.token!));
    expect(me.data?.me.id).toBe(ada.id);
    // the spent token again: the session ends, the newest token with it; the other session lives
    expect((await refresh(ada.session.refreshToken!)).__typename).toBe('InvalidRefreshTokenError');
    expect((await refresh(next.refreshToken!)).__typename).toBe('InvalidRefreshTokenError');
    const other = await refresh(login.refreshToken!);
    expect(other.__typename).toBe('AuthPayload');
    // logout answers the same for anything, and ends that session
    for (const t of [other.refreshToken, other.refreshToken, 'garbage'])
      expect(await field(env, LOGOUT, { t })).toEqual({ __typename: 'LogoutSuccess', ok: true });
    expect((await refresh(other.refreshToken!)).__typename).toBe('InvalidRefreshTokenError');
    // logoutEverywhere: every session of the viewer
    const a = keep(await field<Payload>(env, LOGIN, { input: { email: ada.email, password: ada.password } }));
    const b = keep(await field<Payload>(env, LOGIN, { input: { email: ada.email, password: ada.password } }));
    expect(await field(env, LOGOUT_EVERYWHERE, {}, bearer(a.token!))).toEqual({
      __typename: 'LogoutEverywhereSuccess',
      revokedSessions: 2,
    });
    for (const s of [a, b])
      expect((await refresh(s.refreshToken!)).__typename).toBe('InvalidRefreshTokenError');
    const anonymous = await send(env, LOGOUT_EVERYWHERE);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('10 concurrent refreshes of one token: one wins, the session ends', async () => {
    const grace = await shopper('grace');
    const results = await Promise.all(Array.from({ length: 10 }, () => refresh(grace.session.refreshToken!)));
    expect(results.filter((r) => r.__typename === 'AuthPayload')).toHaveLength(1);
    const winner = results.find((r) => r.__typename === 'AuthPayload')!;
    expect((await refresh(winner.refreshToken!)).__typename).toBe('InvalidRefreshTokenError');
  });
});

describe('an expired or invalid access token on the gateway', () => {
  it('a public query answers its data, with extensions.authentication EXPIRED and WWW-Authenticate', async () => {
    const alan = await shopper('alan');
    const expired = await expiredToken(env, { id: alan.id, role: 'CUSTOMER', email: alan.email });
    secrets.push(expired);
    const anonymous = await send<{ products: { edges: unknown[] } }>(env, PRODUCTS);
    const res = await send<{ products: { edges: unknown[] } }>(env, PRODUCTS, {}, bearer(expired));
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual(anonymous.data);
    expect(res.data!.products.edges).toHaveLength(2);
    expect(res.extensions).toEqual({ authentication: 'EXPIRED' });
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer error="invalid_token", error_description="The access token expired"',
    );
    expect(anonymous.extensions).toBeUndefined();
    expect(anonymous.headers.get('www-authenticate')).toBeNull();
  });

  it('`me` answers null (anonymous); a field that needs a viewer answers UNAUTHENTICATED as for anyone anonymous', async () => {
    const alan = await shopper('alan-me');
    const expired = await expiredToken(env, { id: alan.id, role: 'CUSTOMER', email: alan.email });
    secrets.push(expired);
    const me = await send<{ me: null }>(env, ME, {}, bearer(expired));
    expect(me.status).toBe(200);
    expect(me.data).toEqual({ me: null });
    expect(me.extensions).toEqual({ authentication: 'EXPIRED' });
    const everywhere = await send(env, LOGOUT_EVERYWHERE, {}, bearer(expired));
    expect(everywhere.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(everywhere.extensions).toEqual({ authentication: 'EXPIRED' });
    // what a storefront does on EXPIRED: refresh (the old token may still be sent), then retry
    const refreshed = await send<{ refreshSession: Payload }>(
      env,
      REFRESH,
      { t: alan.session.refreshToken },
      bearer(expired),
    );
    expect(refreshed.data!.refreshSession.__typename).toBe('AuthPayload');
    keep(refreshed.data!.refreshSession);
    const again = await send<{ me: { id: string } }>(
      env,
      ME,
      {},
      bearer(refreshed.data!.refreshSession.token!),
    );
    expect(again.data?.me.id).toBe(alan.id);
    expect(again.extensions).toBeUndefined();
  });

  it('straight to a subgraph, the expired token stays UNAUTHENTICATED', async () => {
    const alan = await shopper('alan-direct');
    const expired = await expiredToken(env, { id: alan.id, role: 'CUSTOMER', email: alan.email });
    secrets.push(expired);
    for (const [name, query] of [
      ['users', ME],
      ['products', PRODUCTS],
    ] as const) {
      const res = await gql(
        env.subgraphs[name],
        query,
        {},
        {
          [ROUTER_SECRET_HEADER]: env.routerSecret,
          authorization: bearer(expired),
        },
      );
      expect(res.status).toBe(401);
      expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });

  it('a token in another letter case, cut, padded or not Bearer is INVALID and served anonymously', async () => {
    const token = (await shopper('forms')).session.token!;
    const [h, p, sig] = token.split('.') as [string, string, string];
    const authorizations = [
      bearer(token.toUpperCase()),
      bearer(token.toLowerCase()),
      bearer(token.slice(0, -1)),
      bearer(`${token}=`),
      bearer(`${h}.${p}`),
      bearer(`${h}.${p}.${sig.slice(0, -4)}`),
      `bearer ${token}`,
      `Basic ${token}`,
      'Bearer',
    ];
    for (const authorization of authorizations) {
      const res = await send<{ me: null; products: { edges: unknown[] } }>(
        env,
        `{ me { id } products(first: 1) { edges { node { id } } } }`,
        {},
        authorization,
      );
      expect(res.status).toBe(200);
      expect(res.data?.me).toBeNull();
      expect(res.data?.products.edges).toHaveLength(1);
      expect(res.extensions).toEqual({ authentication: 'INVALID' });
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    }
    // the token itself still works
    const me = await send<{ me: { id: string } }>(env, ME, {}, bearer(token));
    expect(me.data?.me.id).toBeDefined();
  });

  it('logs no access or refresh token, nor any hash of one', () => {
    const logs = env.logs.join('\n');
    expect(secrets.length).toBeGreaterThan(20);
    for (const secret of secrets) for (const form of forms(secret)) expect(logs).not.toContain(form);
  });
});
