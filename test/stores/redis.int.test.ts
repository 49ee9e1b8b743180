/**
 * Redis through `ioredis`, the client the payments subgraph uses. Each run writes under its own key
 * prefix and deletes every key with that prefix afterwards.
 */
import { randomBytes } from 'node:crypto';
import { endpointFields, loadConfig, z } from '@shop/config';
import { Redis } from 'ioredis';

const { REDIS_URL } = loadConfig(z.object({ REDIS_URL: endpointFields.REDIS_URL }));
const prefix = `test:${randomBytes(4).toString('hex')}:`;

let redis: Redis;

beforeAll(() => {
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 100 }) as AsyncIterable<string[]>) {
    if (keys.length > 0) await redis.del(...keys);
  }
  await redis.quit();
});

test('SET then GET returns the value', async () => {
  await redis.set(`${prefix}greeting`, 'hello', 'EX', 60);

  expect(await redis.get(`${prefix}greeting`)).toBe('hello');
});

test('a MULTI transaction applies all its commands', async () => {
  const payment = `${prefix}payment:1`;
  const outbox = `${prefix}outbox`;

  const results = await redis
    .multi()
    .hset(payment, { status: 'SUCCEEDED', amount: '4599' })
    .rpush(outbox, JSON.stringify({ type: 'payments.succeeded', paymentId: '1' }))
    .incr(`${prefix}charges`)
    .exec();

  expect(results).toEqual([
    [null, 2],
    [null, 1],
    [null, 1],
  ]);
  expect(await redis.hgetall(payment)).toEqual({ status: 'SUCCEEDED', amount: '4599' });
  expect(await redis.lrange(outbox, 0, -1)).toEqual([
    JSON.stringify({ type: 'payments.succeeded', paymentId: '1' }),
  ]);
});
