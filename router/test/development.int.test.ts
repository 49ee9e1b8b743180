import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@shop/config';
import { createLogger } from '@shop/server';
import { gql, memoryLog, redisPrefix, runId, waitFor } from '@shop/testing';
import { composeSupergraph, contractSubgraphs } from '../../schema/composition';
import { configSchema, createRouter, type Router } from '../index';
import {
  FAKE_TOKEN,
  fakeVerifyToken,
  fixtureSubgraphs,
  startFakeSubgraph,
  type FakeSubgraph,
} from './fake-subgraphs';

const secret = `secret-${runId('r')}`;
const logs = memoryLog();
const log = createLogger({ name: 'router-dev-test', level: 'info' }, logs.stream);
const rate = redisPrefix('routerdev');
const dir = mkdtempSync(join(tmpdir(), 'router-dev-'));
const supergraphPath = join(dir, 'supergraph.graphql');
const fakes: FakeSubgraph[] = [];
let router: Router;
let url: string;

const usersOnly = fixtureSubgraphs().filter((s) => s.name === 'users');
const usersAndNotifications = fixtureSubgraphs().filter(
  (s) => s.name === 'users' || s.name === 'notifications',
);

beforeAll(async () => {
  const users = await startFakeSubgraph('users', secret, log);
  const notifications = await startFakeSubgraph('notifications', secret, log);
  fakes.push(users, notifications);
  writeFileSync(supergraphPath, composeSupergraph(usersOnly).supergraphSdl);
  writeFileSync(
    join(dir, 'public.supergraph.graphql'),
    composeSupergraph(contractSubgraphs(fixtureSubgraphs())).supergraphSdl,
  );
  router = createRouter(
    loadConfig(configSchema, {
      NODE_ENV: 'development',
      PORT: '0',
      ROUTER_SECRET: secret,
      USERS_URL: users.url,
      NOTIFICATIONS_URL: notifications.url,
      SUPERGRAPH_PATH: supergraphPath,
      PUBLIC_SUPERGRAPH_PATH: join(dir, 'public.supergraph.graphql'),
      PARTNER_RATE_LIMIT_PREFIX: rate.prefix,
    }),
    { log, verifyToken: fakeVerifyToken },
  );
  ({ url } = await router.start());
});

afterAll(async () => {
  await router?.stop();
  for (const fake of fakes) await fake.close();
  await rate.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('router in development', () => {
  it('serves Apollo Sandbox at / and allows introspection on /graphql', async () => {
    const page = await fetch(url.replace(/\/graphql$/, '/'), { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/embeddable-sandbox|sandbox/i);
    const res = await gql<{ __schema: { queryType: { name: string } } }>(
      url,
      '{ __schema { queryType { name } } }',
    );
    expect(res.data?.__schema.queryType.name).toBe('Query');
  });

  it('reloads the supergraph when the file changes, without a restart', async () => {
    const query = '{ me { name notifications { subject } } }';
    const before = await gql(url, query, undefined, { authorization: FAKE_TOKEN });
    expect(before.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    writeFileSync(supergraphPath, composeSupergraph(usersAndNotifications).supergraphSdl);
    const after = await waitFor(async () => {
      const res = await gql(url, query, undefined, { authorization: FAKE_TOKEN });
      return res.errors ? undefined : res;
    });
    expect(after.data).toEqual({ me: { name: 'Ada', notifications: [{ subject: 'Welcome' }] } });
    expect(logs.lines.some((line) => line.includes('supergraph reloaded'))).toBe(true);
  });
});
