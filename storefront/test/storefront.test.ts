/**
 * The storefront in a real browser (headless Chromium, playwright-core) against the whole graph:
 * the built bundle calls the gateway across origins (CORS_ORIGINS allows the storefront's, and a
 * page of another origin is refused by the browser itself), the pages render, and axe-core finds no
 * serious accessibility violation.
 */
import type { Browser, Page } from 'playwright-core';
import { createTestEnvironment, type TestEnvironment } from '../../e2e/environment';
import {
  launchBrowser,
  seriousViolations,
  startStorefront,
  storefrontOrigin,
  type Storefront,
} from './browser';

let env: TestEnvironment;
let shop: Storefront;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  const origin = await storefrontOrigin();
  env = await createTestEnvironment({ corsOrigins: [origin] });
  shop = await startStorefront(origin, { graphqlUrl: env.url, pspUrl: env.pspUrl });
  browser = await launchBrowser();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await shop?.stop();
  await env?.stop();
});
beforeEach(async () => {
  page = await browser.newPage();
});
afterEach(async () => {
  await page.close();
});

const query = (url: string) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ categories { slug } }' }),
  })
    .then(async (res) => ({
      status: res.status,
      body: (await res.json()) as { data?: { categories: unknown[] } },
    }))
    .catch((error: unknown) => ({ status: 0, error: String(error) }));

it('a page of the storefront calls the gateway across origins', async () => {
  await page.goto(shop.origin);
  const answer = await page.evaluate(query, env.url);
  expect(answer.status).toBe(200);
  expect('body' in answer && answer.body.data?.categories.length).toBeGreaterThan(0);
});

it('a page of an origin CORS_ORIGINS does not list cannot read the gateway (the browser refuses)', async () => {
  // 127.0.0.1 and localhost are different origins: the same bundle, served from an origin not allowed
  await page.goto(shop.origin.replace('localhost', '127.0.0.1'));
  const answer = await page.evaluate(query, env.url);
  expect(answer.status).toBe(0);
  expect('error' in answer && answer.error).toMatch(/Failed to fetch/);
});

it('the home page renders its header and has no serious accessibility violation', async () => {
  await page.goto(shop.origin);
  await page.getByRole('link', { name: 'Shop', exact: true }).waitFor();
  await page.getByRole('search').waitFor();
  expect(await seriousViolations(page)).toEqual([]);
});

it("the home page lists the seed's categories and products, each a link to its page", async () => {
  await page.goto(shop.origin);
  await page.getByRole('heading', { name: 'Categories' }).waitFor();
  await page.locator('a[href^="/product/"]').first().waitFor();
  expect(await page.locator('a[href^="/category/"]').count()).toBeGreaterThan(0);
  expect(await page.locator('a[href^="/product/"]').count()).toBeGreaterThan(0);
  expect(await seriousViolations(page)).toEqual([]);
});

it('an unknown address shows the not-found page', async () => {
  await page.goto(`${shop.origin}/no/such/page`);
  await page.getByRole('heading', { name: 'Page not found' }).waitFor();
  expect(await page.title()).toBe('Shop');
});
