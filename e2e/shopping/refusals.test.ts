/**
 * Issue 17: every typed refusal of the cart, the discount codes and checkout, through the gateway,
 * with ids in other letter cases and forms, values at and beyond their bounds, and a check in the
 * stores that a refusal left nothing behind (no order, no code use, no stock held, cart unchanged).
 */
import { randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import { createTestEnvironment, type TestEnvironment } from '../environment';
import { BERLIN, expectNoInternalErrors, openStores, Q, shopClient } from './support';

let env: TestEnvironment;
let shop: ReturnType<typeof shopClient>;
let stores: Awaited<ReturnType<typeof openStores>>;
let admin: Record<string, string>;
let productId: string;

beforeAll(async () => {
  env = await createTestEnvironment();
  shop = shopClient(env);
  stores = await openStores(env);
  admin = await shop.admin();
  productId = (await shop.products(1))[0]!.id;
}, 120_000);

afterAll(async () => {
  expectNoInternalErrors(shop?.responses ?? []);
  await stores?.close();
  await env?.stop();
});

type Typed = { __typename: string; [k: string]: unknown };

/** A signed-in customer with a cart of one unit of the product, and their cart id. */
async function customerWithCart(quantity = 1) {
  const who = await shop.customer('refusal');
  const res = await shop.ok<{ addToCart: Typed & { id: string } }>(
    Q.addToCart,
    { i: { productId, quantity } },
    who.headers,
  );
  expect(res.addToCart.__typename).toBe('Cart');
  return { ...who, cartId: res.addToCart.id };
}

const checkout = async (headers: Record<string, string>, input: Record<string, unknown>) =>
  (await shop.ok<{ checkout: Typed }>(Q.checkout, { i: { idempotencyKey: randomUUID(), ...input } }, headers))
    .checkout;

const ordersOf = async (userId: string) =>
  stores.rows<{ id: string }>('SELECT id FROM orders WHERE user_id = ?', [userId]);

describe('cart refusals', () => {
  it('cart ids in another case, cut or padded name no cart; another customer cannot use mine', async () => {
    const ada = await customerWithCart();
    const grace = await shop.customer('other');
    const forms = [
      ada.cartId.toUpperCase(),
      ada.cartId.toLowerCase(),
      ada.cartId.slice(1),
      ` ${ada.cartId}`,
      `${ada.cartId}=`,
    ];
    for (const id of forms.filter((f) => f !== ada.cartId)) {
      const res = await shop.ok<{ addToCart: Typed }>(
        Q.addToCart,
        { i: { cartId: id, productId, quantity: 1 } },
        ada.headers,
      );
      expect(res.addToCart.__typename).toBe('CartNotFoundError');
    }
    const asGrace = await shop.ok<{ addToCart: Typed }>(
      Q.addToCart,
      { i: { cartId: ada.cartId, productId, quantity: 1 } },
      grace.headers,
    );
    expect(asGrace.addToCart.__typename).toBe('CartNotFoundError');
    expect((await shop.ok<{ cart: unknown }>(Q.cart, { id: ada.cartId }, grace.headers)).cart).toBeNull();
    expect((await shop.ok<{ cart: unknown }>(Q.cart, { id: ada.cartId })).cart).toBeNull();
    const [line] = await stores.rows<{ quantity: number }>(
      'SELECT quantity FROM cart_lines WHERE cart_id = ?',
      [ada.cartId],
    );
    expect(line?.quantity).toBe(1);
  });

  it('quantities at and beyond the bounds, and unknown or non-issued product ids', async () => {
    const ada = await customerWithCart();
    for (const quantity of [0, -1, 2 ** 31 - 1]) {
      const res = await shop.send<{ addToCart: Typed }>(
        Q.addToCart,
        { i: { cartId: ada.cartId, productId, quantity } },
        ada.headers,
      );
      expect(res.data?.addToCart.__typename ?? res.errors?.[0]?.extensions?.code).toMatch(
        /InvalidInputError|CartLineLimitError|BAD_USER_INPUT/,
      );
    }
    const full = await shop.ok<{ addToCart: Typed }>(
      Q.addToCart,
      { i: { cartId: ada.cartId, productId, quantity: 100 } },
      ada.headers,
    );
    expect(full.addToCart.__typename).toBe('CartLineLimitError');
    for (const id of [productId.toUpperCase(), 'f'.repeat(24), `${productId} `]) {
      const res = await shop.ok<{ addToCart: Typed }>(
        Q.addToCart,
        { i: { cartId: ada.cartId, productId: id, quantity: 1 } },
        ada.headers,
      );
      expect(res.addToCart.__typename).toMatch(/UnknownProductError|InvalidInputError/);
    }
    const [line] = await stores.rows<{ quantity: number }>(
      'SELECT quantity FROM cart_lines WHERE cart_id = ?',
      [ada.cartId],
    );
    expect(line?.quantity).toBe(1);
  });
});

describe('checkout refusals leave nothing behind', () => {
  it('anonymous checkout is UNAUTHENTICATED; unknown cart, empty cart', async () => {
    const anonymous = await shop.send(Q.checkout, {
      i: {
        cartId: 'A'.repeat(22),
        shippingAddress: BERLIN,
        shippingMethodId: 'standard-eu',
        idempotencyKey: 'k1',
      },
    });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const ada = await customerWithCart();
    expect(
      (
        await checkout(ada.headers, {
          cartId: 'A'.repeat(22),
          shippingAddress: BERLIN,
          shippingMethodId: 'standard-eu',
        })
      ).__typename,
    ).toBe('CartNotFoundError');
    await shop.ok(Q.clearCart, { id: ada.cartId }, ada.headers);
    expect(
      (
        await checkout(ada.headers, {
          cartId: ada.cartId,
          shippingAddress: BERLIN,
          shippingMethodId: 'standard-eu',
        })
      ).__typename,
    ).toBe('EmptyCartError');
    expect(await ordersOf(ada.userId)).toEqual([]);
  });

  it('addresses: bad postal code, missing region, both or neither of addressId and address, another customer’s address', async () => {
    const ada = await customerWithCart();
    const grace = await shop.customer('grace');
    const graceAddress = await shop.ok<{ createAddress: { id: string } }>(
      Q.createAddress,
      { i: BERLIN },
      grace.headers,
    );
    const cases: [Record<string, unknown>, string, string?][] = [
      [
        { shippingAddress: { ...BERLIN, postalCode: '1011' } },
        'InvalidInputError',
        'shippingAddress.postalCode',
      ],
      [{ shippingAddress: { ...BERLIN, country: 'de' } }, 'InvalidInputError', 'shippingAddress.country'],
      [
        { shippingAddress: { ...BERLIN, country: 'US', postalCode: '10001' } },
        'InvalidInputError',
        'shippingAddress.region',
      ],
      [{ shippingAddress: { ...BERLIN, line1: 'a\u0000b' } }, 'InvalidInputError', 'shippingAddress.line1'],
      [{ shippingAddress: BERLIN, addressId: graceAddress.createAddress.id }, 'InvalidInputError'],
      [{}, 'InvalidInputError'],
      [{ addressId: graceAddress.createAddress.id }, 'AddressNotFoundError'],
      [{ addressId: graceAddress.createAddress.id.toUpperCase() }, 'AddressNotFoundError'],
    ];
    for (const [input, typename, field] of cases) {
      const res = await checkout(ada.headers, {
        cartId: ada.cartId,
        shippingMethodId: 'standard-eu',
        ...input,
      });
      expect({ input, typename: res.__typename, field: res.field }).toEqual({
        input,
        typename,
        field: field ?? res.field,
      });
    }
    expect(await ordersOf(ada.userId)).toEqual([]);
  });

  it('a shipping method that does not reach the country', async () => {
    const ada = await customerWithCart();
    const us = await shop.ok<{ shippingMethods: { id: string }[] }>(Q.shippingMethods, { c: 'US' });
    const de = await shop.ok<{ shippingMethods: { id: string }[] }>(Q.shippingMethods, { c: 'DE' });
    const usOnly = us.shippingMethods.find((m) => !de.shippingMethods.some((d) => d.id === m.id))!;
    expect(usOnly).toBeDefined();
    const res = await checkout(ada.headers, {
      cartId: ada.cartId,
      shippingAddress: BERLIN,
      shippingMethodId: usOnly.id,
    });
    expect(res).toMatchObject({ __typename: 'ShippingMethodNotFoundError', country: 'DE' });
    expect(
      (await shop.ok<{ shippingMethods: unknown[] }>(Q.shippingMethods, { c: 'de' })).shippingMethods,
    ).toEqual([]);
    expect(
      (await shop.ok<{ shippingMethods: unknown[] }>(Q.shippingMethods, { c: 'ZZ' })).shippingMethods,
    ).toEqual([]);
  });

  it('discount codes: unknown, not yet active, expired, minimum not met, used up, already used by me', async () => {
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const past = new Date(Date.now() - 86_400_000).toISOString();
    const notYet = await shop.discountCode(admin, { kind: 'PERCENTAGE', value: 5, startsAt: future });
    const expired = await shop.discountCode(admin, {
      kind: 'PERCENTAGE',
      value: 5,
      startsAt: new Date(Date.now() - 2 * 86_400_000).toISOString(),
      endsAt: past,
    });
    const minimum = await shop.discountCode(admin, {
      kind: 'FIXED_AMOUNT',
      value: 100,
      minimumSubtotal: 10_000_000,
    });
    const once = await shop.discountCode(admin, { kind: 'FIXED_AMOUNT', value: 100, usageLimit: 1 });
    const oncePerCustomer = await shop.discountCode(admin, {
      kind: 'FIXED_AMOUNT',
      value: 100,
      usageLimitPerCustomer: 1,
    });

    const ada = await customerWithCart();
    const expectCode = async (code: string, typename: string) => {
      const res = await checkout(ada.headers, {
        cartId: ada.cartId,
        shippingAddress: BERLIN,
        shippingMethodId: 'standard-eu',
        discountCode: code,
      });
      expect({ code, typename: res.__typename }).toEqual({ code, typename });
      const applied = await shop.ok<{ applyDiscountCode: Typed }>(
        Q.applyDiscountCode,
        { i: { cartId: ada.cartId, code } },
        ada.headers,
      );
      expect({ code, typename: applied.applyDiscountCode.__typename }).toEqual({ code, typename });
    };
    await expectCode('NOPE-NOT-A-CODE', 'DiscountCodeNotFoundError');
    await expectCode(notYet, 'DiscountCodeNotActiveError');
    await expectCode(expired, 'DiscountCodeNotActiveError');
    await expectCode(minimum, 'DiscountCodeMinimumNotMetError');

    // Used once by someone else: used up for everyone.
    const first = await customerWithCart();
    const used = await checkout(first.headers, {
      cartId: first.cartId,
      shippingAddress: BERLIN,
      shippingMethodId: 'standard-eu',
      discountCode: once,
    });
    expect(used.__typename).toBe('Order');
    await expectCode(once, 'DiscountCodeUsedUpError');

    // Once per customer: my second order may not use it.
    const mine = await checkout(ada.headers, {
      cartId: ada.cartId,
      shippingAddress: BERLIN,
      shippingMethodId: 'standard-eu',
      discountCode: oncePerCustomer,
    });
    expect(mine.__typename).toBe('Order');
    await shop.ok(Q.addToCart, { i: { cartId: ada.cartId, productId, quantity: 1 } }, ada.headers);
    await expectCode(oncePerCustomer, 'DiscountCodeAlreadyUsedError');

    const uses = await stores.rows<{ code: string; times_used: number }>(
      'SELECT code, times_used FROM discount_codes WHERE code IN (?)',
      [[notYet, expired, minimum, once, oncePerCustomer]],
    );
    expect(Object.fromEntries(uses.map((u) => [u.code, u.times_used]))).toEqual({
      [notYet]: 0,
      [expired]: 0,
      [minimum]: 0,
      [once]: 1,
      [oncePerCustomer]: 1,
    });
  });

  it('stock: more than available is InsufficientStockError, a product gone is UnknownProductError; no hold stays', async () => {
    const ada = await customerWithCart();
    const products = stores.mongo.collection('products');
    // A product with a little stock, then more in the cart than there is.
    const created = await shop.ok<{ createProduct: { __typename: string; id: string } }>(
      `mutation($i: CreateProductInput!) { createProduct(input: $i) { __typename ... on Product { id } } }`,
      {
        i: {
          sku: `SKU-${randomUUID().slice(0, 8)}`,
          name: 'Scarce',
          description: 'x',
          price: { amount: 500, currency: 'EUR' },
          stock: 2,
          category: 'Test',
        },
      },
      admin,
    );
    const scarce = created.createProduct.id;
    await shop.ok(Q.addToCart, { i: { cartId: ada.cartId, productId: scarce, quantity: 2 } }, ada.headers);
    await shop.ok(
      `mutation($id: ID!) { adjustStock(id: $id, delta: -1) { __typename } }`,
      { id: scarce },
      admin,
    );
    const short = await checkout(ada.headers, {
      cartId: ada.cartId,
      shippingAddress: BERLIN,
      shippingMethodId: 'standard-eu',
    });
    expect(short).toMatchObject({
      __typename: 'InsufficientStockError',
      productId: scarce,
      requested: 2,
      available: 1,
    });
    // The product leaves the catalogue (deleted in the store: the API has no delete).
    expect((await products.deleteOne({ _id: new mongoose.Types.ObjectId(scarce) })).deletedCount).toBe(1);
    const gone = await checkout(ada.headers, {
      cartId: ada.cartId,
      shippingAddress: BERLIN,
      shippingMethodId: 'standard-eu',
    });
    expect(gone).toMatchObject({ __typename: 'UnknownProductError', productId: scarce });
    expect(await ordersOf(ada.userId)).toEqual([]);
    // The cart still holds both lines: a refusal changes nothing.
    const lines = await stores.rows<{ product_id: string }>(
      'SELECT product_id FROM cart_lines WHERE cart_id = ?',
      [ada.cartId],
    );
    expect(lines.map((l) => l.product_id).sort()).toEqual([productId, scarce].sort());
  });

  it('an idempotency key replayed answers the first order; reused with other input is refused', async () => {
    const ada = await customerWithCart();
    const key = `key-${randomUUID()}`;
    const input = {
      cartId: ada.cartId,
      shippingAddress: BERLIN,
      shippingMethodId: 'standard-eu',
      idempotencyKey: key,
    };
    const first = await shop.ok<{ checkout: Typed & { id: string } }>(Q.checkout, { i: input }, ada.headers);
    expect(first.checkout.__typename).toBe('Order');
    await shop.ok(Q.addToCart, { i: { cartId: ada.cartId, productId, quantity: 3 } }, ada.headers);
    const replayed = await shop.ok<{ checkout: Typed }>(Q.checkout, { i: input }, ada.headers);
    expect(replayed.checkout).toMatchObject({ __typename: 'Order', id: first.checkout.id });
    const reused = await shop.ok<{ checkout: Typed }>(
      Q.checkout,
      { i: { ...input, shippingAddress: { ...BERLIN, line1: 'Unter den Linden 1' } } },
      ada.headers,
    );
    expect(reused.checkout).toMatchObject({
      __typename: 'IdempotencyKeyReusedError',
      orderId: first.checkout.id,
    });
    expect(await ordersOf(ada.userId)).toHaveLength(1);
    // The units added after the first checkout are still in the cart.
    const [line] = await stores.rows<{ quantity: number }>(
      'SELECT quantity FROM cart_lines WHERE cart_id = ?',
      [ada.cartId],
    );
    expect(line?.quantity).toBe(3);
  });
});
