import { createTokenSigner, generateSigningKey, TOKEN_AUDIENCE, TOKEN_ISSUER } from '@shop/auth';
import { importJWK, SignJWT } from 'jose';
import { email, LOGIN, ME, startUsers, type AuthResult, type TestEnv } from './helpers';

let env: TestEnv;
let valid: string;
let viewer: { id: string; role: 'CUSTOMER'; email: string };
const secrets: string[] = [];

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const decode = (part: string) =>
  JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

/** What `me` answers for a token: the user's id, or the error code. */
async function meWith(token: string) {
  secrets.push(token);
  const res = await env.call<{ me: { id: string } | null }>(ME, {}, token);
  return res.data?.me?.id ?? res.errors?.[0]?.extensions?.code;
}

beforeAll(async () => {
  env = await startUsers('tokens');
  const password = 'token-test-password';
  const address = email('tokens');
  const reg = await env.app.registerUser({ email: address, password, name: 'Tokens' });
  valid = reg.token;
  viewer = { id: reg.user.id, role: 'CUSTOMER', email: reg.user.email };
  secrets.push(password, valid);
});
afterAll(async () => {
  await env?.close();
});

describe('access tokens, verified by the subgraph over HTTP', () => {
  it('accepts its own token, with the claims sub, role, email, exp and the kid of the current key', async () => {
    expect(await meWith(valid)).toBe(viewer.id);
    const [header, payload] = valid.split('.');
    expect(decode(header!)).toMatchObject({ alg: 'EdDSA', kid: 'current-key' });
    const claims = decode(payload!);
    expect(claims).toMatchObject({
      sub: viewer.id,
      role: 'CUSTOMER',
      email: viewer.email,
      iss: TOKEN_ISSUER,
      aud: TOKEN_AUDIENCE,
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(900);
  });

  it('rejects a token signed with another key, even under a published kid', async () => {
    const impostor = await generateSigningKey('current-key');
    const token = (await (await createTokenSigner([impostor], 900)).sign(viewer)).token;
    expect(await meWith(token)).toBe('UNAUTHENTICATED');
  });

  it('rejects an unsigned token (alg: none)', async () => {
    const [, payload] = valid.split('.');
    expect(await meWith(`${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`)).toBe('UNAUTHENTICATED');
    expect(await meWith(`${b64({ alg: 'none', typ: 'JWT', kid: 'current-key' })}.${payload}.x`)).toBe(
      'UNAUTHENTICATED',
    );
  });

  it('rejects an expired token signed with the right key', async () => {
    const key = await importJWK(env.keys[0]!.privateJwk, 'EdDSA');
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ role: 'CUSTOMER', email: viewer.email })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'current-key', typ: 'JWT' })
      .setSubject(viewer.id)
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuedAt(now - 3600)
      .setExpirationTime(now - 60)
      .sign(key);
    expect(await meWith(expired)).toBe('UNAUTHENTICATED');
  });

  it('rejects a token whose claims were changed after signing', async () => {
    const [header, payload, signature] = valid.split('.');
    const claims = decode(payload!);
    expect(await meWith(`${header}.${b64({ ...claims, role: 'ADMIN' })}.${signature}`)).toBe(
      'UNAUTHENTICATED',
    );
    expect(
      await meWith(`${header}.${b64({ ...claims, exp: (claims.exp as number) + 86_400 })}.${signature}`),
    ).toBe('UNAUTHENTICATED');
  });

  it('accepts a token of the previous key during a rotation', async () => {
    const previous = await createTokenSigner([env.keys[1]!], 900);
    expect(await meWith((await previous.sign(viewer)).token)).toBe(viewer.id);
  });

  it('rejects a malformed Authorization header', async () => {
    const res = await env.call(ME, {}, 'not a token');
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('never logs a token', async () => {
    const login = await env.call<{ login: AuthResult }>(LOGIN, {
      input: { email: viewer.email, password: 'token-test-password' },
    });
    secrets.push(login.data!.login.token!);
    expect(env.log.lines.length).toBeGreaterThan(5);
    expect(
      env.log.lines.filter((line) => secrets.some((s) => line.includes(s)) || line.includes('eyJ')),
    ).toEqual([]);
  });
});
