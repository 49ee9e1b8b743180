import type { Viewer } from '@shop/auth';
import type { GraphQLResponse } from '@shop/testing';
import type { Model } from 'mongoose';
import type { AppOverrides } from '../src/app';
import { bootWithProducts } from './with-products';

/** What the cart tests share: the GraphQL documents, a booted orders + products pair, shortcuts. */

export const CART_FIELDS = `
  id
  customer { id }
  quantity
  discountCode
  updatedAt
  expiresAt
  subtotal { amount currency }
  lines {
    product { id }
    productName
    quantity
    unitPrice { amount currency }
    addedUnitPrice { amount currency }
    priceChanged
    lineTotal { amount currency }
    available
    status
  }`;

const RESULT = `
  __typename
  ... on Cart { ${CART_FIELDS} }
  ... on Error { message }
  ... on CartNotFoundError { cartId }
  ... on InvalidInputError { field }
  ... on UnknownProductError { productId variantId }
  ... on CartLineLimitError { maxLines maxQuantity }`;

export const ADD = `mutation ($input: AddToCartInput!) { addToCart(input: $input) { ${RESULT} } }`;
export const UPDATE = `mutation ($input: UpdateCartLineInput!) { updateCartLine(input: $input) { ${RESULT} } }`;
export const REMOVE = `mutation ($input: RemoveCartLineInput!) { removeCartLine(input: $input) { ${RESULT} } }`;
export const CLEAR = `mutation ($cartId: ID!) { clearCart(cartId: $cartId) { ${RESULT} } }`;
export const MERGE = `mutation ($cartId: ID!) { mergeCart(cartId: $cartId) { ${RESULT} } }`;
export const CART = `query ($id: ID) { cart(id: $id) { ${CART_FIELDS} } }`;

export interface Money {
  amount: number;
  currency: string;
}
export interface LineView {
  product: { id: string };
  productName: string;
  quantity: number;
  unitPrice: Money | null;
  addedUnitPrice: Money;
  priceChanged: boolean;
  lineTotal: Money | null;
  available: number;
  status: 'AVAILABLE' | 'INSUFFICIENT_STOCK' | 'OUT_OF_STOCK' | 'PRODUCT_UNAVAILABLE';
}
export interface CartView {
  id: string;
  customer: { id: string } | null;
  quantity: number;
  discountCode: string | null;
  updatedAt: string;
  expiresAt: string;
  subtotal: Money;
  lines: LineView[];
}
/** A cart mutation's answer: the cart, or an error member with its fields. */
export type CartResultView =
  | ({ __typename: 'Cart' } & CartView)
  | {
      __typename: Exclude<string, 'Cart'>;
      message: string;
      cartId?: string;
      field?: string;
      productId?: string;
      variantId?: string | null;
      maxLines?: number;
      maxQuantity?: number;
    };

/** The first (only) field of a response's data. */
const only = <T>(res: GraphQLResponse<Record<string, T>>): T => {
  if (res.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(res.errors)}`);
  return Object.values(res.data ?? {})[0] as T;
};

/** orders against real products (one NATS prefix), with cart shortcuts per viewer. */
export async function bootCarts(env: Record<string, string> = {}, overrides: AppOverrides = {}) {
  const w = await bootWithProducts({ MAX_CART_LINES: '5', MAX_LINE_QUANTITY: '10', ...env }, overrides);
  const { h, productsApp } = w;
  const products = (productsApp.repository as unknown as { products: Model<unknown> }).products;
  const run = async (viewer: Viewer | null, query: string, variables: Record<string, unknown>) =>
    (await h.as(viewer))<Record<string, CartResultView>>(query, variables);
  const mutate = async (viewer: Viewer | null, query: string, variables: Record<string, unknown>) =>
    only(await run(viewer, query, variables));

  /** Every products.lookup request on the prefix (a plain subscription sees each one, too). */
  let lookups = 0;
  const counter = h.nc.subscribe(h.names.commands.productsLookup, {
    callback: () => {
      lookups += 1;
    },
  });
  await h.nc.flush();

  return {
    ...w,
    /** Products of the test catalogue (EUR), straight into products' store. */
    product: (name: string, stock: number, amount: number) => w.addProduct(name, stock, amount),
    /** Deletes a product from the catalogue (products has no delete command: the store itself). */
    deleteProduct: async (id: string) => {
      await products.deleteOne({ _id: id });
    },
    lookups: () => lookups,
    run,
    add: (viewer: Viewer | null, input: Record<string, unknown>) => mutate(viewer, ADD, { input }),
    update: (viewer: Viewer | null, input: Record<string, unknown>) => mutate(viewer, UPDATE, { input }),
    remove: (viewer: Viewer | null, input: Record<string, unknown>) => mutate(viewer, REMOVE, { input }),
    clear: (viewer: Viewer | null, cartId: string) => mutate(viewer, CLEAR, { cartId }),
    merge: (viewer: Viewer | null, cartId: string) => mutate(viewer, MERGE, { cartId }),
    cart: async (viewer: Viewer | null, id?: string | null) =>
      only(await (await h.as(viewer))<Record<string, CartView | null>>(CART, { id })),
    /** The carts table as stored (id, user, version, code) and the lines of one cart. */
    rows: () =>
      h.app.db.rows<{ id: string; user_id: string | null; version: number; discount_code: string | null }>(
        'SELECT id, user_id, version, discount_code FROM carts ORDER BY created_at',
      ),
    linesOf: (cartId: string) =>
      h.app.db.rows<{ product_id: string; quantity: number; position: number }>(
        'SELECT product_id, quantity, position FROM cart_lines WHERE cart_id = ? ORDER BY position',
        [cartId],
      ),
    async stop() {
      counter.unsubscribe();
      await w.stop();
    },
  };
}
export type CartsHarness = Awaited<ReturnType<typeof bootCarts>>;

/** The cart of a result, failing the test when it is an error member. */
export function cartOf(result: CartResultView): CartView {
  if (result.__typename !== 'Cart') throw new Error(`expected a Cart, got ${JSON.stringify(result)}`);
  return result as CartView;
}
