import { SignJWT, importJWK, generateKeyPair } from 'jose';
import {
  checkAuthorization,
  createTokenSigner,
  createTokenVerifier,
  generateSigningKey,
  hasRouterSecret,
  viewerFromAuthorization,
  type Viewer,
} from '../src';

const alice: Viewer = { id: 'u1', role: 'CUSTOMER', email: 'alice@example.com' };

describe('tokens', () => {
  it('verifies a token signed by a key of the JWKS, also the previous key during rotation', async () => {
    const oldKey = await generateSigningKey('k-old');
    const newKey = await generateSigningKey('k-new');
    const oldSigner = await createTokenSigner([oldKey], 900);
    const signer = await createTokenSigner([newKey, oldKey], 900);
    const verify = createTokenVerifier({ jwks: signer.jwks() });
    expect(await verify((await signer.sign(alice)).token)).toEqual(alice);
    expect(await verify((await oldSigner.sign(alice)).token)).toEqual(alice);
    expect(JSON.stringify(signer.jwks())).not.toContain('"d"');
  });

  it('rejects another key, alg none, an expired token and a changed claim', async () => {
    const key = await generateSigningKey('k1');
    const signer = await createTokenSigner([key], 900);
    const verify = createTokenVerifier({ jwks: signer.jwks() });

    const stranger = await createTokenSigner([await generateSigningKey('k1')], 900);
    await expect(verify((await stranger.sign(alice)).token)).rejects.toThrow();

    const [h, p] = (await signer.sign(alice)).token.split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`;
    await expect(verify(none)).rejects.toThrow();

    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...payload, role: 'ADMIN' })).toString('base64url');
    const [, , sig] = (await signer.sign(alice)).token.split('.');
    await expect(verify(`${h}.${forged}.${sig}`)).rejects.toThrow();

    const expired = await new SignJWT({ role: 'CUSTOMER', email: alice.email })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'k1' })
      .setSubject(alice.id)
      .setIssuer('shop-users')
      .setAudience('shop')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(await importJWK(key.privateJwk, 'EdDSA'));
    await expect(verify(expired)).rejects.toThrow(/exp/);

    const { privateKey } = await generateKeyPair('ES256');
    const es = await new SignJWT({ role: 'CUSTOMER', email: alice.email })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setSubject(alice.id)
      .setExpirationTime('5m')
      .sign(privateKey);
    await expect(verify(es)).rejects.toThrow();
  });

  it('maps headers to a viewer: none is anonymous, a bad token is UNAUTHENTICATED', async () => {
    const signer = await createTokenSigner([await generateSigningKey('k')], 900);
    const verify = createTokenVerifier({ jwks: signer.jwks() });
    expect(await viewerFromAuthorization(undefined, verify)).toBeNull();
    await expect(viewerFromAuthorization('Bearer nope', verify)).rejects.toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
    });
    await expect(viewerFromAuthorization('Basic abc', verify)).rejects.toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it('answers SERVICE_UNAVAILABLE (503), not UNAUTHENTICATED, when the keys cannot be fetched', async () => {
    const signer = await createTokenSigner([await generateSigningKey('k')], 900);
    const verify = createTokenVerifier({ jwksUrl: 'http://127.0.0.1:9/.well-known/jwks.json' });
    const { token } = await signer.sign(alice);
    await expect(viewerFromAuthorization(`Bearer ${token}`, verify)).rejects.toMatchObject({
      extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } },
    });
  });
});

describe('checkAuthorization (the router decides with it what an old token does)', () => {
  const signed = async (
    key: Awaited<ReturnType<typeof generateSigningKey>>,
    claims: Record<string, unknown>,
    exp: number,
  ) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
      .setSubject(alice.id)
      .setIssuer('shop-users')
      .setAudience('shop')
      .setExpirationTime(exp)
      .sign(await importJWK(key.privateJwk, 'EdDSA'));

  it('tells anonymous, a viewer, an expired token of ours and an invalid one apart', async () => {
    const key = await generateSigningKey('k');
    const signer = await createTokenSigner([key], 900);
    const verify = createTokenVerifier({ jwks: signer.jwks() });
    const { token } = await signer.sign(alice);
    const past = Math.floor(Date.now() / 1000) - 60;
    const claims = { role: 'CUSTOMER', email: alice.email };
    expect(await checkAuthorization(undefined, verify)).toEqual({ kind: 'ANONYMOUS' });
    expect(await checkAuthorization('', verify)).toEqual({ kind: 'ANONYMOUS' });
    expect(await checkAuthorization(`Bearer ${token}`, verify)).toEqual({ kind: 'VIEWER', viewer: alice });
    expect(await checkAuthorization(`Bearer ${await signed(key, claims, past)}`, verify)).toEqual({
      kind: 'EXPIRED',
    });
    // expired and signed by someone else: the signature is checked first, so it is not "ours, expired"
    const stranger = await generateSigningKey('k');
    expect(await checkAuthorization(`Bearer ${await signed(stranger, claims, past)}`, verify)).toEqual({
      kind: 'INVALID',
      malformed: false,
    });
    const [h, p, sig] = token.split('.') as [string, string, string];
    for (const variant of [
      token.toUpperCase(),
      token.toLowerCase(),
      token.slice(0, -1),
      `${token}=`,
      `${h}.${p}`,
      `${h}.${p}.${sig.slice(0, -2)}`,
    ])
      expect((await checkAuthorization(`Bearer ${variant}`, verify)).kind).toBe('INVALID');
    expect(await checkAuthorization(`Basic ${token}`, verify)).toEqual({ kind: 'INVALID', malformed: true });
    expect(await checkAuthorization(`bearer ${token}`, verify)).toEqual({ kind: 'INVALID', malformed: true });
    expect(await checkAuthorization(`Bearer ${token} x`, verify)).toEqual({
      kind: 'INVALID',
      malformed: true,
    });
  });

  it('a token of ours with malformed claims is INVALID (UNAUTHENTICATED), never a reason to retry', async () => {
    const key = await generateSigningKey('k');
    const verify = createTokenVerifier({ jwks: (await createTokenSigner([key], 900)).jwks() });
    const future = Math.floor(Date.now() / 1000) + 600;
    const token = await signed(key, { role: 'ROOT', email: alice.email }, future);
    expect(await checkAuthorization(`Bearer ${token}`, verify)).toEqual({
      kind: 'INVALID',
      malformed: false,
    });
    await expect(viewerFromAuthorization(`Bearer ${token}`, verify)).rejects.toMatchObject({
      message: 'Invalid or expired token',
      extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
    });
  });

  it('is UNAVAILABLE when the keys cannot be fetched', async () => {
    const { token } = await (await createTokenSigner([await generateSigningKey('k')], 900)).sign(alice);
    const verify = createTokenVerifier({ jwksUrl: 'http://127.0.0.1:9/.well-known/jwks.json' });
    expect(await checkAuthorization(`Bearer ${token}`, verify)).toEqual({ kind: 'UNAVAILABLE' });
  });
});

describe('router secret', () => {
  it('accepts only the exact secret', () => {
    expect(hasRouterSecret('s3cret-s3cret-s3cret', 's3cret-s3cret-s3cret')).toBe(true);
    expect(hasRouterSecret('s3cret', 's3cret-s3cret-s3cret')).toBe(false);
    expect(hasRouterSecret(undefined, 's3cret-s3cret-s3cret')).toBe(false);
    expect(hasRouterSecret(['a', 'b'], 's3cret-s3cret-s3cret')).toBe(false);
  });
});
