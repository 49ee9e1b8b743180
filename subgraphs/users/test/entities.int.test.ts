import { jest } from '@jest/globals';
import { ROUTER_SECRET_HEADER } from '@shop/auth';
import { gql } from '@shop/testing';
import {
  ADMIN,
  email,
  LOGIN,
  ME,
  REGISTER,
  ROUTER_SECRET,
  startUsers,
  type AuthResult,
  type TestEnv,
} from './helpers';

/** The User entity for other subgraphs (`_entities`) and the HTTP surface (router secret, JWKS). */

let env: TestEnv;
/** Every secret this file sends or receives; none may appear in a log line. */
const secrets = new Set<string>();

const login = async (input: { email: string; password: string }) => {
  secrets.add(input.password);
  const res = await env.call<{ login: AuthResult }>(LOGIN, { input });
  if (res.data?.login.token) secrets.add(res.data.login.token);
  return res;
};
const counts = () => env.app.repository.counts();

beforeAll(async () => {
  env = await startUsers('entities');
});
afterAll(async () => {
  await env?.close();
});

describe('_entities', () => {
  it('resolves 100 user references with one SQL query and hides email and phone from others', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) {
      const user = await env.app.repository.create({
        email: email(`bulk${i}`),
        name: `Bulk ${i}`,
        phone: '+4915112345678',
        role: 'CUSTOMER',
        passwordHash: 'not-a-real-hash',
      });
      ids.push(user!.id);
    }
    const viewer = await env.app.registerUser({
      email: email('viewer'),
      password: 'viewer-password',
      name: 'Viewer',
      phone: '+4915100000000',
    });
    secrets.add(viewer.token).add('viewer-password');
    const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name email phone } } }`;
    const representations = [...ids, viewer.user.id].map((id) => ({ __typename: 'User', id }));

    const spy = jest.spyOn(env.app.pool, 'query');
    const res = await env.call<{
      _entities: { id: string; name: string; email: string | null; phone: string | null }[];
    }>(query, { r: representations }, viewer.token);
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();

    const entities = res.data!._entities;
    expect(entities.map((e) => e.id)).toEqual([...ids, viewer.user.id]);
    expect(
      entities.slice(0, 100).every((e) => e.email === null && e.phone === null && e.name.startsWith('Bulk')),
    ).toBe(true);
    expect(entities[100]).toMatchObject({ email: viewer.user.email, phone: '+4915100000000' });

    const admin = (await login(ADMIN)).data!.login.token!;
    const asAdmin = await env.call<{ _entities: { email: string | null }[] }>(
      query,
      { r: representations.slice(0, 3) },
      admin,
    );
    expect(asAdmin.data!._entities.every((e) => typeof e.email === 'string')).toBe(true);
    const anonymous = await env.call<{ _entities: { email: string | null; name: string }[] }>(query, {
      r: representations.slice(0, 3),
    });
    expect(anonymous.data!._entities.map((e) => e.email)).toEqual([null, null, null]);
  });

  it('answers null for unknown and malformed ids', async () => {
    const res = await env.call<{ _entities: unknown[] }>(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id } } }`,
      {
        r: [
          { __typename: 'User', id: crypto.randomUUID() },
          { __typename: 'User', id: "1' OR '1'='1" },
        ],
      },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!._entities).toEqual([null, null]);
  });

  it('answers null for another letter case or form of a real user id, without a query', async () => {
    const user = await env.app.registerUser({
      email: email('case'),
      password: 'case-password',
      name: 'Case',
    });
    const variants = [user.user.id.toUpperCase(), `{${user.user.id}}`, user.user.id.replaceAll('-', '')];
    const query = jest.spyOn(env.app.pool, 'query');
    try {
      const res = await env.call<{ _entities: unknown[] }>(
        `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id } } }`,
        { r: variants.map((id) => ({ __typename: 'User', id })) },
      );
      expect(res.errors).toBeUndefined();
      expect(res.data!._entities).toEqual([null, null, null]);
      expect(query).not.toHaveBeenCalled();
    } finally {
      query.mockRestore();
    }
  });

  it('answers null for ids that are not strings, without failing the other references', async () => {
    const user = await env.app.repository.create({
      email: email('entity'),
      name: 'Entity',
      phone: null,
      role: 'CUSTOMER',
      passwordHash: 'not-a-real-hash',
    });
    const bad = [{ $gt: '' }, 42, null, '', ['x']];
    const res = await env.call<{ _entities: ({ id: string } | null)[] }>(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id } } }`,
      { r: [user!.id, ...bad].map((id) => ({ __typename: 'User', id })) },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!._entities).toEqual([{ id: user!.id }, null, null, null, null, null]);
  });
});

describe('HTTP surface', () => {
  it('refuses GraphQL requests without the router secret', async () => {
    const missing = await gql(env.url, ME);
    expect(missing.status).toBe(403);
    expect(missing.data).toBeUndefined();
    const wrong = await gql(env.url, ME, {}, { [ROUTER_SECRET_HEADER]: `${ROUTER_SECRET}x` });
    expect(wrong.status).toBe(403);
    const before = await counts();
    const reg = await gql(env.url, REGISTER, {
      input: { email: email('nosecret'), password: 'long-enough-password', name: 'No' },
    });
    expect(reg.status).toBe(403);
    expect(await counts()).toEqual(before);
  });

  it('serves both public keys, and nothing private, at /.well-known/jwks.json', async () => {
    const res = await fetch(`http://127.0.0.1:${env.port}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { keys: Record<string, string>[] };
    expect(body.keys.map((k) => k.kid)).toEqual(['current-key', 'previous-key']);
    expect(body.keys.every((k) => k.d === undefined && k.alg === 'EdDSA' && k.crv === 'Ed25519')).toBe(true);
  });
});

describe('logs', () => {
  it('contain no password, hash or token', () => {
    expect(env.log.lines.length).toBeGreaterThan(5);
    expect(secrets.size).toBeGreaterThanOrEqual(3);
    const offending = env.log.lines.filter(
      (line) =>
        line.includes('$argon2') ||
        /eyJ[A-Za-z0-9_-]{10,}\./.test(line) ||
        [...secrets].some((s) => line.includes(s)),
    );
    expect(offending).toEqual([]);
  });
});
