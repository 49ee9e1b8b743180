/**
 * Concurrency through the gateway: 1,000 one-unit placeOrder requests from 50 shoppers (20 each)
 * race for a product with stock exactly 100. Exactly 100 become orders, the other 900 are
 * InsufficientStockError, the stock ends at 0 and is never seen below 0.
 * The client keeps at most 25 requests in flight (products serialises writes to one product under a
 * lock, and orders waits RESERVE_TIMEOUT_MS = 3 s for a reservation); a request that fails transiently (an error or
 * ProductsUnavailableError) is retried with the same idempotency key, so all 1,000 are decided.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { runId } from '@shop/testing';
import { createTestEnvironment, type TestEnvironment } from '../environment';
import { bearer, data } from '../client';
import {
  AdjustStockDocument,
  CreateProductDocument,
  LoginDocument,
  PlaceOrderDocument,
  ProductStockDocument,
  RegisterDocument,
} from '../__generated__/graphql';
import { call, OutcomeStats } from './call';
import { adminStock } from '../catalogue';

const SHOPPERS = 50;
const ORDERS_EACH = 20;
const STOCK = 100;
const IN_FLIGHT = 25;

let env: TestEnvironment;

beforeAll(async () => {
  // Each shopper may keep all of its orders unpaid here (orders' default allows 5).
  env = await createTestEnvironment({ maxUnpaidOrders: ORDERS_EACH });
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

it('1,000 concurrent one-unit orders for stock 100: exactly 100 orders, 900 InsufficientStockError, stock 0', async () => {
  const adminLogin = await data(env.url, LoginDocument, { input: env.admin });
  if (adminLogin.login.__typename !== 'AuthPayload') throw new Error('admin login failed');
  const admin = bearer(adminLogin.login.token);

  const created = await data(
    env.url,
    CreateProductDocument,
    {
      input: {
        sku: runId('RACE'),
        name: 'Limited edition',
        price: { amount: 9_900, currency: 'EUR' },
        stock: 0,
        category: 'toys',
      },
    },
    admin,
  );
  if (created.createProduct.__typename !== 'Product') throw new Error('createProduct failed');
  const productId = created.createProduct.id;
  const adjusted = await data(env.url, AdjustStockDocument, { id: productId, delta: STOCK }, admin);
  expect(adjusted.adjustStock).toMatchObject({ __typename: 'Product', stock: STOCK });

  const shoppers = await Promise.all(
    Array.from({ length: SHOPPERS }, async (_, i) => {
      const registered = await data(env.url, RegisterDocument, {
        input: {
          email: `race-${runId('u')}-${i}@example.com`,
          password: 'correct-horse-battery',
          name: `Racer ${i}`,
        },
      });
      if (registered.register.__typename !== 'AuthPayload') throw new Error('register failed');
      return bearer(registered.register.token);
    }),
  );

  const requests = shoppers.flatMap((auth) =>
    Array.from({ length: ORDERS_EACH }, () => ({ auth, key: randomUUID() })),
  );
  expect(requests).toHaveLength(1_000);

  const stats = new OutcomeStats();
  const orders = new Set<string>();
  let insufficient = 0;
  let undecided = 0;
  const others: string[] = [];
  const availableSeen: number[] = [];

  // A request that products could not answer in time (ProductsUnavailableError) is retried with the
  // same idempotency key, as a storefront would, until it is decided or its deadline passes.
  const place = async ({ auth, key }: (typeof requests)[number]) => {
    const deadline = Date.now() + 150_000;
    for (let attempt = 1; Date.now() < deadline; attempt++) {
      const outcome = await call(
        env.url,
        PlaceOrderDocument,
        { input: { idempotencyKey: key, items: [{ productId, quantity: 1 }] } },
        auth,
        30_000,
      );
      stats.add(outcome, 'placeOrder');
      if (outcome.kind === 'data') {
        const result = outcome.data.placeOrder;
        if (result.__typename === 'Order') {
          orders.add(result.id);
          return;
        }
        if (result.__typename === 'InsufficientStockError') {
          insufficient++;
          availableSeen.push(result.available);
          return;
        }
        if (result.__typename !== 'ProductsUnavailableError') {
          others.push(result.__typename);
          return;
        }
      }
      await sleep(Math.min(100 * attempt, 1000));
    }
    undecided++;
  };

  // Stock as an admin sees it while the race runs: never below zero.
  let racing = true;
  const stockSeen: number[] = [];
  const watcher = (async () => {
    while (racing) {
      stockSeen.push(
        adminStock((await data(env.url, ProductStockDocument, { id: productId }, admin)).product!.stock),
      );
      await sleep(100);
    }
  })();

  const queue = [...requests];
  const started = Date.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await place(next);
    }),
  );
  racing = false;
  await watcher;
  const elapsedMs = Date.now() - started;

  const finalStock = adminStock(
    (await data(env.url, ProductStockDocument, { id: productId }, admin)).product!.stock,
  );
  mkdirSync('.run/test-logs', { recursive: true });
  writeFileSync(
    `.run/test-logs/${runId('race')}.figures.json`,
    JSON.stringify(
      {
        orders: orders.size,
        insufficient,
        undecided,
        others,
        finalStock,
        minStockSeen: Math.min(...stockSeen),
        elapsedMs,
        outcomes: stats.toJSON(),
      },
      null,
      2,
    ),
  );
  expect({ others, undecided }).toEqual({ others: [], undecided: 0 });
  expect(orders.size).toBe(STOCK);
  expect(insufficient).toBe(1_000 - STOCK);
  expect(finalStock).toBe(0);
  expect(Math.min(...stockSeen, finalStock)).toBeGreaterThanOrEqual(0);
  expect(Math.min(...availableSeen)).toBeGreaterThanOrEqual(0);
  expect(elapsedMs).toBeGreaterThan(0);
}, 400_000);
