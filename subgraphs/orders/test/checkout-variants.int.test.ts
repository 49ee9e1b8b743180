import { waitFor } from '@shop/testing';
import { addressIn, bootCheckout, type CheckoutWorld } from './checkout.harness';
import { CANCEL, customer } from './helpers';

/**
 * Checkout of variant lines (issue 18), against MariaDB and the real products subgraph: one order
 * item and one hold per variant, the variant's SKU, price and title snapshotted; the stock goes back
 * per variant; a variant removed or short since it was added refuses the checkout and leaves
 * nothing behind.
 */

let w: CheckoutWorld;
type Variants = Awaited<ReturnType<CheckoutWorld['addVariants']>>;
let shirt: Variants;

const ORDER = `mutation Checkout($input: CheckoutInput!) {
  checkout(input: $input) {
    __typename
    ... on Order {
      id status total { amount }
      items { product { id } variant { id } sku productName variantTitle quantity unitPrice { amount } }
    }
    ... on Error { message }
    ... on UnknownProductError { productId variantId }
    ... on InsufficientStockError { productId variantId requested available }
  }
}`;
type Item = {
  product: { id: string };
  variant: { id: string };
  sku: string;
  productName: string;
  variantTitle: string;
  quantity: number;
  unitPrice: { amount: number };
};
type Result = { __typename: string; id?: string; items?: Item[] } & Record<string, unknown>;

const checkout = async (
  viewer: ReturnType<typeof customer>,
  cartId: string,
  idempotencyKey = `k-${cartId}`,
) => {
  const res = await (
    await w.h.as(viewer)
  )<{ checkout: Result }>(ORDER, {
    input: { cartId, shippingAddress: addressIn('DE'), shippingMethodId: 'standard-eu', idempotencyKey },
  });
  expect(res.errors).toBeUndefined();
  return res.data!.checkout;
};

beforeAll(async () => {
  w = await bootCheckout();
  shirt = await w.addVariants('Shirt', [
    { value: 'M', amount: 2000, stock: 10 },
    { value: 'L', amount: 2200, stock: 10 },
  ]);
});
afterAll(async () => {
  await w.stop();
});

describe('checkout of variant lines', () => {
  it('orders two variants of one product as two items with two holds; cancel gives each back', async () => {
    const [m, l] = shirt.variants as [Variants['variants'][number], Variants['variants'][number]];
    const mug = await w.addProduct('Mug', 5, 800);
    const viewer = customer();
    const cart = await w.cartWith(viewer, [
      { productId: shirt.id, variantId: m.id, quantity: 2 },
      { productId: mug.id, quantity: 1 },
      { productId: shirt.id, variantId: l.id, quantity: 3 },
    ]);
    const order = await checkout(viewer, cart.id);
    expect(order.__typename).toBe('Order');
    expect(order.items).toEqual([
      {
        product: { id: shirt.id },
        variant: { id: m.id },
        sku: m.sku,
        productName: 'Shirt',
        variantTitle: 'M',
        quantity: 2,
        unitPrice: { amount: 2000 },
      },
      {
        product: { id: mug.id },
        variant: { id: `${mug.id}-1` },
        sku: mug.variants[0]!.sku,
        productName: 'Mug',
        variantTitle: '',
        quantity: 1,
        unitPrice: { amount: 800 },
      },
      {
        product: { id: shirt.id },
        variant: { id: l.id },
        sku: l.sku,
        productName: 'Shirt',
        variantTitle: 'L',
        quantity: 3,
        unitPrice: { amount: 2200 },
      },
    ]);
    // Held per variant: the shirt's two variants each lost their own units.
    expect([await w.variantStock(m.id), await w.variantStock(l.id), await w.stockOf(mug.id)]).toEqual([
      8, 7, 4,
    ]);
    expect(await w.holds([shirt.id])).toContain(order.id);
    // The cart was emptied; a replay answers the same order.
    expect((await w.service.carts.repository.findById(cart.id))?.lines).toEqual([]);
    expect((await checkout(viewer, cart.id)).id).toBe(order.id);

    const cancelled = await (
      await w.h.as(viewer)
    )<{ cancelOrder: { __typename: string } }>(CANCEL, {
      id: order.id,
    });
    expect(cancelled.data?.cancelOrder.__typename).toBe('Order');
    await waitFor(async () => (await w.variantStock(m.id)) === 10 && (await w.variantStock(l.id)) === 10);
    expect(await w.stockOf(mug.id)).toBe(5);
    expect(await w.holds([shirt.id])).not.toContain(order.id);
  });

  it('a variant removed since it was added: UnknownProductError with it, nothing left behind', async () => {
    const cap = await w.addVariants('Cap', [
      { value: 'Red', amount: 1000, stock: 5 },
      { value: 'Blue', amount: 1000, stock: 5 },
    ]);
    const [red, blue] = cap.variants.map((v) => v.id) as [string, string];
    const viewer = customer();
    const cart = await w.cartWith(viewer, [
      { productId: cap.id, variantId: blue, quantity: 1 },
      { productId: cap.id, variantId: red, quantity: 1 },
    ]);
    await w.removeVariant(red);
    const before = await w.snapshot(viewer, cart.id);
    expect(await checkout(viewer, cart.id)).toMatchObject({
      __typename: 'UnknownProductError',
      productId: cap.id,
      variantId: red,
    });
    await w.expectUnchanged(before, viewer, cart.id);
    expect(await w.variantStock(blue)).toBe(5);
  });

  it('one variant short: InsufficientStockError names it; the other variant is not held', async () => {
    const [m, l] = shirt.variants.map((v) => v.id) as [string, string];
    const viewer = customer();
    const cart = await w.cartWith(viewer, [
      { productId: shirt.id, variantId: m, quantity: 1 },
      { productId: shirt.id, variantId: l, quantity: 4 },
    ]);
    await w.adjustStock(l, -7);
    const before = await w.snapshot(viewer, cart.id);
    expect(await checkout(viewer, cart.id)).toMatchObject({
      __typename: 'InsufficientStockError',
      productId: shirt.id,
      variantId: l,
      requested: 4,
      available: 3,
    });
    await w.expectUnchanged(before, viewer, cart.id);
    expect([await w.variantStock(m), await w.variantStock(l)]).toEqual([10, 3]);
    await w.adjustStock(l, 7);
  });
});
