import { gql } from '@shop/testing';
import { CataloguePageDocument } from './__generated__/graphql';
import { data } from './client';

/**
 * The seeded catalogue as tests need it. Since issue 18 the exact stock is for administrators only
 * (shoppers see `availability`), and some demo products have options (an order names one of their
 * variants); tests that order "a product with N units" by product id alone pick from these.
 */

/** The environment's administrator, logged in through the gateway. */
export async function adminHeaders(env: {
  url: string;
  admin: { email: string; password: string };
}): Promise<Record<string, string>> {
  const login = await gql<{ login: { token?: string } }>(
    env.url,
    'mutation($i: LoginInput!) { login(input: $i) { ... on AuthPayload { token } } }',
    { i: env.admin },
  );
  const token = login.data?.login.token;
  if (!token) throw new Error(`admin login failed: ${JSON.stringify(login)}`);
  return { authorization: `Bearer ${token}` };
}

export interface SeededProduct {
  id: string;
  /** Units that can be ordered, as the admin sees them. */
  stock: number;
  price: { amount: number };
}

/**
 * In-stock products without options (one variant, ordered by product id alone), newest first,
 * with their stock read as the admin.
 */
export async function simpleProductsInStock(
  url: string,
  admin: Record<string, string>,
): Promise<SeededProduct[]> {
  const res = await gql<{
    products: { edges: { node: SeededProduct & { options: unknown[]; variants: unknown[] } }[] };
  }>(
    url,
    '{ products(first: 100, filter: { inStock: true }) { edges { node { id stock price { amount } options { name } variants { id } } } } }',
    undefined,
    admin,
  );
  if (!res.data) throw new Error(`catalogue read failed: ${JSON.stringify(res.errors)}`);
  return res.data.products.edges
    .map((e) => e.node)
    .filter((p) => p.options.length === 0 && p.variants.length === 1 && typeof p.stock === 'number')
    .map(({ id, stock, price }) => ({ id, stock, price }));
}

/** A stock count read as the admin (shoppers get null: a null here means the read was not the admin's). */
export function adminStock(stock: number | null | undefined): number {
  if (typeof stock !== 'number')
    throw new Error(`stock reads ${String(stock)}: only administrators see counts`);
  return stock;
}

/**
 * The first `count` in-stock products without options (one variant, ordered by product id alone),
 * read as a shopper reads the catalogue page: what a test that buys "a product" should pick.
 */
export async function firstSimpleProducts(url: string, count: number) {
  const page = await data(url, CataloguePageDocument, { first: 100, filter: { inStock: true } });
  const simple = page.products.edges.map((e) => e.node).filter((p) => p.variants.length === 1);
  if (simple.length < count) throw new Error(`only ${simple.length} in-stock products without options`);
  return simple.slice(0, count);
}
