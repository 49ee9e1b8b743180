import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, subgraphUrlVariable, type SubgraphName } from '@shop/config';
import { createLogger } from '@shop/server';
import { memoryLog, natsPrefix, redisPrefix, runId } from '@shop/testing';
import { composeAll } from '../../schema/composition';
import { configSchema, createRouter } from '../index';
import { fakeVerifyToken, fixtureSubgraphs, startFakeSubgraph, type FakeSubgraph } from './fake-subgraphs';

/**
 * A router in front of the five fake subgraphs (fake-subgraphs.ts), composed in the test, with
 * small limits (depth 5, aliases 3, cost 1000) and partner keys of its own: what the router's
 * integration suites run against, one per suite (own Redis prefix, so own rate-limit windows).
 */
export interface TestRouter {
  url: string;
  publicUrl: string;
  secret: string;
  fakes: Record<SubgraphName, FakeSubgraph>;
  logs: ReturnType<typeof memoryLog>;
  /** Partner API keys: `partner` for most requests, the others each with a rate-limit window of their own. */
  keys: { partner: string; burst: string; ops: string; flood: string };
  /** Requests the fake subgraphs received so far. */
  totalRequests(): number;
  stop(): Promise<void>;
}

const sha = (value: string) => createHash('sha256').update(value).digest('hex');

export async function startTestRouter(
  label: string,
  /** Config variables beyond the suite defaults, e.g. TRUST_PROXY_HOPS. */
  env: Record<string, string> = {},
): Promise<TestRouter> {
  const secret = `secret-${runId('r')}`;
  const keys = {
    partner: `key-${runId('acme')}`,
    burst: `key-${runId('burst')}`,
    ops: `key-${runId('ops')}`,
    flood: `key-${runId('flood')}`,
  };
  const logs = memoryLog();
  const log = createLogger({ name: label, level: 'debug' }, logs.stream);
  const rate = redisPrefix(label);
  const dir = mkdtempSync(join(tmpdir(), `${label}-`));
  const fakes = {} as Record<SubgraphName, FakeSubgraph>;
  for (const { name } of fixtureSubgraphs())
    fakes[name as SubgraphName] = await startFakeSubgraph(name, secret, log);
  const { files } = composeAll(fixtureSubgraphs());
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  const urls = Object.fromEntries(
    Object.values(fakes).map((f) => [subgraphUrlVariable(f.name as SubgraphName), f.url]),
  );
  const config = loadConfig(configSchema, {
    NODE_ENV: 'test',
    PORT: '0',
    ROUTER_SECRET: secret,
    ...urls,
    SUPERGRAPH_PATH: join(dir, 'supergraph.graphql'),
    PUBLIC_SUPERGRAPH_PATH: join(dir, 'public.supergraph.graphql'),
    PARTNER_API_KEYS: Object.entries(keys)
      .map(([name, key]) => `${name}:${sha(key)}`)
      .join(','),
    PARTNER_RATE_LIMIT: '5',
    PARTNER_RATE_LIMIT_PREFIX: rate.prefix,
    MAX_DEPTH: '5',
    MAX_ALIASES: '3',
    MAX_COST: '1000',
    SUBGRAPH_TIMEOUT_MS: '3000',
    // streams of its own (which do not exist): the subscriptions' consumers never read a developer's
    NATS_PREFIX: natsPrefix(label),
    ...env,
  });
  const router = createRouter(config, { log, verifyToken: fakeVerifyToken });
  const { url, publicUrl } = await router.start();
  return {
    url,
    publicUrl,
    secret,
    fakes,
    logs,
    keys,
    totalRequests: () => Object.values(fakes).reduce((n, f) => n + f.requests, 0),
    async stop() {
      await router.stop();
      for (const fake of Object.values(fakes)) await fake.close();
      await rate.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
