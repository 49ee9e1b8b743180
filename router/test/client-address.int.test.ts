import { gql } from '@shop/testing';
import { startTestRouter, type TestRouter } from './test-router';

/**
 * The client's address reaches the subgraphs in x-client-address (users' login limits count per
 * address): the socket's, or X-Forwarded-For's last hop with TRUST_PROXY_HOPS=1; never the value a
 * client sends in x-client-address itself. Shared query fetches carry none (see datasource.ts).
 */
const REGISTER = 'mutation { register(input: { email: "ada@example.com" }) { __typename } }';
const PRODUCTS = '{ products(first: 1) { edges { node { id } } } }';
const forged = { 'x-client-address': '6.6.6.6' };

describe('x-client-address, no trusted proxy (TRUST_PROXY_HOPS=0)', () => {
  let t: TestRouter;
  beforeAll(async () => {
    t = await startTestRouter('router-address');
  });
  afterAll(() => t.stop());

  it('a mutation reaches the subgraph with the socket address', async () => {
    const res = await gql(t.url, REGISTER);
    expect(res.errors).toBeUndefined();
    expect(t.fakes.users.lastHeaders?.['x-client-address']).toBe('127.0.0.1');
  });

  it("a client's own x-client-address and X-Forwarded-For are never forwarded", async () => {
    const res = await gql(t.url, REGISTER, undefined, { ...forged, 'x-forwarded-for': '6.6.6.6' });
    expect(res.errors).toBeUndefined();
    expect(t.fakes.users.lastHeaders?.['x-client-address']).toBe('127.0.0.1');
    expect(t.fakes.users.lastHeaders).not.toHaveProperty('x-forwarded-for');
  });

  it('a shared query fetch carries no address at all (not even a forged one)', async () => {
    const res = await gql(t.url, PRODUCTS, undefined, forged);
    expect(res.errors).toBeUndefined();
    expect(t.fakes.products.lastHeaders).not.toHaveProperty('x-client-address');
  });
});

describe('x-client-address behind one trusted proxy (TRUST_PROXY_HOPS=1)', () => {
  let t: TestRouter;
  beforeAll(async () => {
    t = await startTestRouter('router-address-proxy', {
      TRUST_PROXY_HOPS: '1',
      SHARE_SUBGRAPH_FETCHES: 'false',
    });
  });
  afterAll(() => t.stop());

  it("is X-Forwarded-For's last hop, not the entries the client wrote", async () => {
    await gql(t.url, REGISTER, undefined, { ...forged, 'x-forwarded-for': '6.6.6.6, 198.51.100.2' });
    expect(t.fakes.users.lastHeaders?.['x-client-address']).toBe('198.51.100.2');
  });

  it('is the socket address without X-Forwarded-For, whatever x-client-address says', async () => {
    await gql(t.url, REGISTER, undefined, forged);
    expect(t.fakes.users.lastHeaders?.['x-client-address']).toBe('127.0.0.1');
  });

  it('partner requests carry it too', async () => {
    const res = await gql(t.publicUrl, PRODUCTS, undefined, {
      'x-api-key': t.keys.ops,
      ...forged,
      'x-forwarded-for': '198.51.100.4',
    });
    expect(res.errors).toBeUndefined();
    expect(t.fakes.products.lastHeaders?.['x-client-address']).toBe('198.51.100.4');
  });

  it('queries carry it too when fetches are not shared (SHARE_SUBGRAPH_FETCHES=false)', async () => {
    const res = await gql(t.url, PRODUCTS, undefined, { 'x-forwarded-for': '198.51.100.3' });
    expect(res.errors).toBeUndefined();
    expect(t.fakes.products.lastHeaders?.['x-client-address']).toBe('198.51.100.3');
  });
});
