import { createHash } from 'node:crypto';
import { createLogger } from '@shop/server';
import { memoryLog } from '@shop/testing';
import { startGateway } from '../federation/gateways';
import {
  BENCH_BODY,
  EXPECTED_RESPONSE_BYTES,
  EXPECTED_RESPONSE_SHA256,
  EXPECTED_SUBGRAPH_FETCHES,
  composeBenchSupergraph,
} from '../federation/query';
import { startSubgraphs, type SubgraphsServer } from '../federation/subgraphs';
import { runLoad } from '../lib/load';
import type { RunningGateway } from '../lib/shop-gateway';

const logs = memoryLog();
const log = createLogger({ name: 'bench-test', level: 'info' }, logs.stream);
let subgraphs: SubgraphsServer;
let gateway: RunningGateway;

const post = async () => {
  const res = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: BENCH_BODY,
  });
  return { status: res.status, text: (await res.text()).replace(/\n$/, '') };
};

beforeAll(async () => {
  subgraphs = await startSubgraphs(0);
  gateway = await startGateway('shop-router', {
    supergraphSdl: composeBenchSupergraph(subgraphs.urls),
    subgraphUrls: subgraphs.urls,
    port: 0,
    log,
  });
});

afterAll(async () => {
  await gateway?.stop();
  await subgraphs?.stop();
});

describe('the standard federation benchmark through our gateway', () => {
  it('returns the 87,599-byte response of graphql-gateways-benchmark with 16 subgraph fetches', async () => {
    for (let i = 0; i < 2; i++) {
      // twice: the second request is served from the query plan cache and must be identical
      subgraphs.reset();
      const { status, text } = await post();
      expect(status).toBe(200);
      const body = JSON.parse(text) as {
        data?: { users: unknown[]; topProducts: unknown[] };
        errors?: unknown;
      };
      expect(body.errors).toBeUndefined();
      expect(body.data?.users).toHaveLength(6);
      expect(body.data?.topProducts).toHaveLength(5);
      expect(Buffer.byteLength(text)).toBe(EXPECTED_RESPONSE_BYTES);
      expect(createHash('sha256').update(text).digest('hex')).toBe(EXPECTED_RESPONSE_SHA256);
      expect(subgraphs.total()).toBe(EXPECTED_SUBGRAPH_FETCHES);
      expect(Object.values(subgraphs.counts()).every((n) => n > 0)).toBe(true);
    }
  });

  it('keeps the quirks of the original subgraphs', async () => {
    const { text } = await post();
    const data = (JSON.parse(text) as { data: BenchData }).data;
    // every review's author is user 1 as the reviews subgraph provides it ("urigo")...
    const authors = data.topProducts.flatMap((p) => p.reviews.map((r) => r.author));
    expect(new Set(authors.map((a) => `${a.id}:${a.username}:${a.name}`))).toEqual(
      new Set(['1:urigo:Uri Goldshtein']),
    );
    // ...whose reviews are always reviews 1 and 2; shippingEstimate is always null
    expect(authors.every((a) => a.reviews.map((r) => r.id).join() === '1,2')).toBe(true);
    expect(data.topProducts.map((p) => p.shippingEstimate)).toEqual([null, null, null, null, null]);
    expect(data.topProducts.map((p) => p.reviews.length)).toEqual([4, 4, 1, 2, 0]);
  });

  it('counts a response that differs from the expected body as a failure, not as throughput', async () => {
    const { text } = await post();
    const good = await runLoad({
      url: gateway.url,
      connections: 2,
      durationSeconds: 5,
      body: BENCH_BODY,
      expectedBodies: [text, `${text}\n`],
    });
    // All counters in one assertion, so a failure says which one.
    expect({
      valid: good.valid,
      errors: good.errors,
      timeouts: good.timeouts,
      non2xx: good.non2xx,
      mismatches: good.mismatches,
    }).toEqual({
      valid: true,
      errors: 0,
      timeouts: 0,
      non2xx: 0,
      mismatches: 0,
    });
    expect(good.requests).toBeGreaterThan(0);

    const bad = await runLoad({
      url: gateway.url,
      connections: 2,
      durationSeconds: 1,
      amount: 4, // four answered requests however slow the machine is, rather than whatever fits in 1 s
      body: BENCH_BODY,
      expectedBodies: [text.replace('urigo', 'URIGO')],
    });
    expect(bad.valid).toBe(false);
    expect(bad.mismatches).toBeGreaterThan(0);
    expect(bad.requests).toBe(0);
  });
});

interface BenchUser {
  id: string;
  username: string;
  name: string;
  reviews: { id: string }[];
}
interface BenchData {
  topProducts: { shippingEstimate: number | null; reviews: { author: BenchUser }[] }[];
}
