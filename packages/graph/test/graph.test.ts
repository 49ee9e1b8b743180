import { PSP, ROUTER, SUBGRAPH_NAMES, subgraph, subgraphUrlVariable } from '@shop/config';
import { createRunSecrets, PROCESSES, START_ORDER, TOKEN_ISSUER, wiringEnv } from '../src/index';

const ports = Object.fromEntries(PROCESSES.map((p, i) => [p.name, 5000 + i])) as Parameters<
  typeof wiringEnv
>[1];

describe('the graph from the service table', () => {
  it('starts every process exactly once: the token issuer first, the router last', () => {
    expect(START_ORDER.flat().sort()).toEqual(PROCESSES.map((p) => p.name).sort());
    expect(new Set(START_ORDER.flat()).size).toBe(START_ORDER.flat().length);
    expect(START_ORDER[0]).toContain(TOKEN_ISSUER);
    expect(START_ORDER.at(-1)).toEqual([ROUTER.name]);
  });

  it('has the test PSP as a process of its own, started before payments, never composed', () => {
    expect(PROCESSES.map((p) => p.name)).toContain('psp');
    expect(PROCESSES.find((p) => p.name === 'psp')).toMatchObject({ entry: 'psp/src/main.ts', port: 4010 });
    expect(SUBGRAPH_NAMES).not.toContain('psp');
    const stage = (name: string) => START_ORDER.findIndex((s) => s.includes(name as never));
    expect(stage(PSP.name)).toBe(0);
    expect(stage(PSP.name)).toBeLessThan(stage('payments'));
    // its port is free of the others in the table
    expect(new Set(PROCESSES.map((p) => p.port)).size).toBe(PROCESSES.length);
  });

  it('points every subgraph at the issuer’s JWKS and the router at every subgraph, not at the PSP', () => {
    expect(wiringEnv('orders', ports)).toEqual({
      JWKS_URL: `http://127.0.0.1:${ports[TOKEN_ISSUER]}/.well-known/jwks.json`,
    });
    const router = wiringEnv(ROUTER.name, ports);
    for (const name of SUBGRAPH_NAMES)
      expect(router[subgraphUrlVariable(name)]).toBe(`http://127.0.0.1:${ports[name]}/graphql`);
    expect(Object.values(router).join(' ')).not.toContain(`:${ports.psp}`);
  });

  it('points payments at the PSP and the PSP’s webhooks at payments', () => {
    expect(wiringEnv('payments', ports)).toEqual({
      JWKS_URL: `http://127.0.0.1:${ports[TOKEN_ISSUER]}/.well-known/jwks.json`,
      PSP_URL: `http://127.0.0.1:${ports.psp}`,
    });
    expect(wiringEnv('psp', ports)).toEqual({
      WEBHOOK_URL: `http://127.0.0.1:${ports.payments}/webhooks/provider`,
      PUBLIC_URL: `http://localhost:${ports.psp}`,
    });
    expect(ports.payments).not.toBe(subgraph('payments').port);
  });
});

describe('the secrets of a run', () => {
  it('gives payments and the PSP the same fresh PSP key and webhook secret, and no card fingerprint secret', async () => {
    const [a, b] = await Promise.all([createRunSecrets('graph-a'), createRunSecrets('graph-b')]);
    const payments = a.envFor('payments');
    const psp = a.envFor('psp');
    expect(psp).toEqual({ PSP_SECRET_KEY: a.pspSecretKey, PSP_WEBHOOK_SECRET: a.pspWebhookSecret });
    expect(payments).toMatchObject(psp);
    expect(payments.ROUTER_SECRET).toBe(a.routerSecret);
    expect(payments).not.toHaveProperty('CARD_FINGERPRINT_SECRET');
    expect(a.pspSecretKey).not.toBe(a.pspWebhookSecret);
    for (const value of [a.pspSecretKey, a.pspWebhookSecret]) expect(value.length).toBeGreaterThanOrEqual(16);
    expect(b.pspSecretKey).not.toBe(a.pspSecretKey);
    expect(b.pspWebhookSecret).not.toBe(a.pspWebhookSecret);
    // only payments and the PSP hold them
    for (const name of ['users', 'orders', 'products', 'notifications', 'router'] as const)
      expect(Object.keys(a.envFor(name))).not.toEqual(expect.arrayContaining(['PSP_SECRET_KEY']));
  });
});
