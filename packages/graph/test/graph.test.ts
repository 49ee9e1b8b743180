import { ROUTER, SUBGRAPH_NAMES, subgraphUrlVariable } from '@shop/config';
import { PROCESSES, START_ORDER, TOKEN_ISSUER, wiringEnv } from '../src/index';

describe('the graph from the service table', () => {
  it('starts every process exactly once: the token issuer first, the router last', () => {
    expect(START_ORDER.flat().sort()).toEqual(PROCESSES.map((p) => p.name).sort());
    expect(START_ORDER[0]).toEqual([TOKEN_ISSUER]);
    expect(START_ORDER.at(-1)).toEqual([ROUTER.name]);
  });

  it('points every process at the issuer’s JWKS and the router at every subgraph', () => {
    const ports = Object.fromEntries(PROCESSES.map((p, i) => [p.name, 5000 + i])) as Parameters<
      typeof wiringEnv
    >[1];
    expect(wiringEnv('orders', ports)).toEqual({
      JWKS_URL: `http://127.0.0.1:${ports[TOKEN_ISSUER]}/.well-known/jwks.json`,
    });
    const router = wiringEnv(ROUTER.name, ports);
    for (const name of SUBGRAPH_NAMES)
      expect(router[subgraphUrlVariable(name)]).toBe(`http://127.0.0.1:${ports[name]}/graphql`);
  });
});
