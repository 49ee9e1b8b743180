import { randomUUID } from 'node:crypto';
import type { Viewer } from '@shop/auth';
import type { Booted } from './helpers';

/** The admin API's variant mutations as the variant tests send them, and what they compare. */

export type Result = Record<string, unknown> & { __typename: string };
export const PRODUCT = `
  id sku stock price { amount currency }
  options { name values }
  variants { id sku title selectedOptions { name value } price { amount } stock availability inStock }`;
export const INVALID = `... on InvalidInputError { field message }`;
export const LIMITS = `... on StockLimitError { max } ... on PriceLimitError { max }`;
export const NOT_FOUND = `... on ProductNotFoundError { productId } ... on VariantNotFoundError { variantId }`;
export const VARIANT_ERRORS = `${INVALID} ${LIMITS} ${NOT_FOUND} ... on DuplicateSkuError { sku message }`;
export const CREATE = `mutation($input: CreateProductInput!) {
  createProduct(input: $input) { __typename ... on Product { ${PRODUCT} }
    ${INVALID} ${LIMITS} ... on DuplicateSkuError { sku message } } }`;
export const ADD = `mutation($productId: ID!, $input: VariantInput!) {
  addVariant(productId: $productId, input: $input) { __typename ... on Product { ${PRODUCT} } ${VARIANT_ERRORS} } }`;
export const UPDATE = `mutation($id: ID!, $input: UpdateVariantInput!) {
  updateVariant(id: $id, input: $input) { __typename ... on Product { ${PRODUCT} } ${VARIANT_ERRORS} } }`;
export const REMOVE = `mutation($id: ID!) {
  removeVariant(id: $id) { __typename ... on Product { ${PRODUCT} } ${VARIANT_ERRORS} } }`;
export const ADJUST = `mutation($id: ID!, $delta: Int!) {
  adjustStock(id: $id, delta: $delta) { __typename ... on Product { ${PRODUCT} }
    ... on StockBelowZeroError { refusedAt: stock } ${INVALID} ... on StockLimitError { max } ${NOT_FOUND} } }`;

/** A mutation as this viewer; its one result (GraphQL errors fail the test). */
export const mutator =
  (t: Booted, viewer: Viewer) =>
  async (query: string, variables: Record<string, unknown>): Promise<Result> => {
    const res = await t.query<Record<string, Result>>(query, variables, viewer);
    expect(res.errors).toBeUndefined();
    return Object.values(res.data!)[0]!;
  };
export const tag = () => randomUUID().slice(0, 8).toUpperCase();
export const SIZE = { name: 'Size', values: ['S', 'M', 'L'] };
export const COLOUR = { name: 'Colour', values: ['Red', 'Blue'] };
export const eur = (amount: number) => ({ amount, currency: 'EUR' });
export const variantInput = (sku: string, size: string, colour: string, amount = 1000, stock = 5) => ({
  sku,
  selectedOptions: [
    { name: 'Colour', value: colour },
    { name: 'Size', value: size },
  ],
  price: eur(amount),
  stock,
});
export const shirt = (prefix: string, over: Record<string, unknown> = {}) => ({
  sku: `${prefix}-1`,
  name: `Shirt ${prefix}`,
  price: eur(2500),
  category: 'variants',
  options: [SIZE, COLOUR],
  variants: [
    variantInput(`${prefix}-1`, 'M', 'Blue', 2500, 4),
    variantInput(`${prefix}-2`, 'S', 'Red', 1900, 0),
    variantInput(`${prefix}-3`, 'L', 'Red', 2100, 6),
  ],
  ...over,
});
/** What must not change when a mutation is refused: the products, and the SKU registry. */
export const snapshotOf = (t: Booted) => async () => ({
  products: await t.store.collection('products').find({}).sort({ _id: 1 }).toArray(),
  skus: await t.store.collection('skus').find({}).sort({ _id: 1 }).toArray(),
});
