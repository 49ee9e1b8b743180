import { setTimeout as sleep } from 'node:timers/promises';
import { admin, customer } from './helpers';
import { bootCarts, cartOf, type CartsHarness } from './carts.fixtures';

// MAX_CART_LINES 5, MAX_LINE_QUANTITY 10 (carts.fixtures.ts).
let t: CartsHarness;
let lamp: { id: string };
let desk: { id: string };

beforeAll(async () => {
  t = await bootCarts();
  lamp = await t.product('Lamp', 50, 1999);
  desk = await t.product('Desk', 50, 25_000);
});
afterAll(async () => {
  await t.stop();
});

describe('addToCart', () => {
  it('anonymous without cartId: a new anonymous cart with a 22-character token, priced live', async () => {
    const cart = cartOf(await t.add(null, { productId: lamp.id, quantity: 2 }));
    expect(cart.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(cart.customer).toBeNull();
    expect(cart.quantity).toBe(2);
    expect(cart.subtotal).toEqual({ amount: 3998, currency: 'EUR' });
    expect(cart.lines).toEqual([
      {
        product: { id: lamp.id },
        productName: 'Lamp',
        quantity: 2,
        unitPrice: { amount: 1999, currency: 'EUR' },
        addedUnitPrice: { amount: 1999, currency: 'EUR' },
        priceChanged: false,
        lineTotal: { amount: 3998, currency: 'EUR' },
        available: 50,
        status: 'AVAILABLE',
      },
    ]);
    // A second anonymous add without an id is another cart.
    const other = cartOf(await t.add(null, { productId: lamp.id, quantity: 1 }));
    expect(other.id).not.toBe(cart.id);
    // Whoever holds the id adds to it: anonymous or signed in.
    expect(cartOf(await t.add(null, { cartId: cart.id, productId: desk.id, quantity: 1 })).quantity).toBe(3);
    const again = cartOf(await t.add(customer(), { cartId: cart.id, productId: lamp.id, quantity: 1 }));
    expect(again.lines.map((l) => [l.product.id, l.quantity])).toEqual([
      [lamp.id, 3],
      [desk.id, 1],
    ]);
    expect(again.customer).toBeNull();
  });

  it('signed in without cartId: the customer’s one cart, created on the first add', async () => {
    const alice = customer('alice');
    const first = cartOf(await t.add(alice, { productId: lamp.id, quantity: 1 }));
    expect(first.customer).toEqual({ id: alice.id });
    const second = cartOf(await t.add(alice, { productId: lamp.id, quantity: 2 }));
    expect(second.id).toBe(first.id);
    expect(second.quantity).toBe(3);
    expect((await t.rows()).filter((r) => r.user_id === alice.id)).toHaveLength(1);
    expect((await t.cart(alice))?.id).toBe(first.id);
    expect((await t.cart(alice, first.id))?.id).toBe(first.id);
  });

  it('every change bumps the version; lines keep the order their products were first added', async () => {
    const cart = cartOf(await t.add(null, { productId: desk.id, quantity: 1 }));
    const version = async () => (await t.rows()).find((r) => r.id === cart.id)!.version;
    const v0 = await version();
    await t.add(null, { cartId: cart.id, productId: lamp.id, quantity: 1 });
    await t.add(null, { cartId: cart.id, productId: desk.id, quantity: 1 });
    expect(await version()).toBe(v0 + 2);
    expect((await t.linesOf(cart.id)).map((l) => l.product_id)).toEqual([desk.id, lamp.id]);
    // A refusal changes nothing.
    await t.add(null, { cartId: cart.id, productId: desk.id, quantity: 10 });
    expect(await version()).toBe(v0 + 2);
  });

  it('refuses unknown products and ids not in the issued form, changing nothing', async () => {
    const cart = cartOf(await t.add(null, { productId: lamp.id, quantity: 1 }));
    for (const productId of ['f'.repeat(24), lamp.id.toUpperCase(), ` ${lamp.id}`, lamp.id.slice(1), 'x']) {
      const res = await t.add(null, { cartId: cart.id, productId, quantity: 1 });
      expect(res).toMatchObject({ __typename: 'UnknownProductError', productId });
    }
    // Anonymous without cartId and an unknown product: no cart is left behind.
    const before = (await t.rows()).length;
    expect((await t.add(null, { productId: 'f'.repeat(24), quantity: 1 })).__typename).toBe(
      'UnknownProductError',
    );
    expect((await t.rows()).length).toBe(before);
    expect((await t.cart(null, cart.id))?.quantity).toBe(1);
  });

  it('quantity bounds: 0 and -1 invalid, MAX fits, MAX+1 and 2^31-1 are CartLineLimitError', async () => {
    for (const quantity of [0, -1]) {
      expect(await t.add(null, { productId: lamp.id, quantity })).toMatchObject({
        __typename: 'InvalidInputError',
        field: 'quantity',
      });
    }
    const cart = cartOf(await t.add(null, { productId: lamp.id, quantity: 10 }));
    expect(cart.quantity).toBe(10);
    const limit = { __typename: 'CartLineLimitError', maxLines: 5, maxQuantity: 10 };
    expect(await t.add(null, { cartId: cart.id, productId: lamp.id, quantity: 1 })).toMatchObject(limit);
    expect(await t.add(null, { productId: lamp.id, quantity: 11 })).toMatchObject(limit);
    expect(await t.add(null, { productId: lamp.id, quantity: 2 ** 31 - 1 })).toMatchObject(limit);
    // 2^31 is no GraphQL Int at all.
    const res = await t.run(
      null,
      'mutation ($input: AddToCartInput!) { addToCart(input: $input) { __typename } }',
      {
        input: { productId: lamp.id, quantity: 2 ** 31 },
      },
    );
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await t.cart(null, cart.id))?.quantity).toBe(10);
  });

  it('at most MAX_CART_LINES distinct products: the sixth is CartLineLimitError', async () => {
    const items = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => t.product(`P${i}`, 5, 100 * i)));
    const cart = cartOf(await t.add(null, { productId: items[0]!.id, quantity: 1 }));
    for (const p of items.slice(1, 5))
      cartOf(await t.add(null, { cartId: cart.id, productId: p.id, quantity: 1 }));
    expect(await t.add(null, { cartId: cart.id, productId: items[5]!.id, quantity: 1 })).toMatchObject({
      __typename: 'CartLineLimitError',
    });
    // More units of a product already in the cart still fit.
    expect(
      cartOf(await t.add(null, { cartId: cart.id, productId: items[0]!.id, quantity: 1 })).lines,
    ).toHaveLength(5);
    expect(await t.linesOf(cart.id)).toHaveLength(5);
  });
});

describe('money bounds', () => {
  it('a cart holds one currency and totals at most MAX_ORDER_TOTAL at the prices added (InvalidInputError)', async () => {
    const dear = await t.product('Piano', 50, 1_000_000);
    const cart = cartOf(await t.add(null, { productId: dear.id, quantity: 10 }));
    expect(cart.subtotal).toEqual({ amount: 10_000_000, currency: 'EUR' });
    expect(await t.add(null, { cartId: cart.id, productId: lamp.id, quantity: 1 })).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'quantity',
    });
    const dollars = await t.addProduct('Import', 5, 100, 'USD');
    const euros = cartOf(await t.add(null, { productId: lamp.id, quantity: 1 }));
    expect(await t.add(null, { cartId: euros.id, productId: dollars.id, quantity: 1 })).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'productId',
    });
    expect((await t.cart(null, euros.id))?.lines).toHaveLength(1);
    expect((await t.cart(null, cart.id))?.quantity).toBe(10);
  });
});

describe('who may use a cart', () => {
  it('a customer’s cart: only its owner; another customer, an admin or anonymous get not found', async () => {
    const owner = customer('owner');
    const cart = cartOf(await t.add(owner, { productId: lamp.id, quantity: 1 }));
    for (const viewer of [customer('other'), admin(), null]) {
      expect(await t.cart(viewer, cart.id)).toBeNull();
      expect(await t.add(viewer, { cartId: cart.id, productId: lamp.id, quantity: 1 })).toMatchObject({
        __typename: 'CartNotFoundError',
        cartId: cart.id,
      });
      expect((await t.update(viewer, { cartId: cart.id, productId: lamp.id, quantity: 5 })).__typename).toBe(
        'CartNotFoundError',
      );
      expect((await t.remove(viewer, { cartId: cart.id, productId: lamp.id })).__typename).toBe(
        'CartNotFoundError',
      );
      expect((await t.clear(viewer, cart.id)).__typename).toBe('CartNotFoundError');
    }
    // An admin without cartId gets their own cart, not someone else's.
    expect(await t.cart(admin())).toBeNull();
    expect((await t.cart(owner, cart.id))?.quantity).toBe(1);
  });

  it('ids in another form name nothing: upper/lower case, shortened, padded, unknown', async () => {
    const cart = cartOf(await t.add(null, { productId: lamp.id, quantity: 1 }));
    const swapped = cart.id.replace(/[a-zA-Z]/, (c) =>
      c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase(),
    );
    const variants = [
      swapped,
      cart.id.toUpperCase() === cart.id ? cart.id.toLowerCase() : cart.id.toUpperCase(),
      cart.id.slice(0, 21),
      `${cart.id}A`,
      ` ${cart.id}`,
      `${cart.id} `,
      `${cart.id.slice(0, 21)}=`,
      'A'.repeat(22),
      '',
    ].filter((v) => v !== cart.id);
    for (const id of variants) {
      expect(await t.cart(null, id)).toBeNull();
      expect(await t.add(null, { cartId: id, productId: lamp.id, quantity: 1 })).toMatchObject({
        __typename: 'CartNotFoundError',
        cartId: id,
      });
      expect((await t.clear(null, id)).__typename).toBe('CartNotFoundError');
    }
    expect((await t.cart(null, cart.id))?.quantity).toBe(1);
  });

  it('Query.cart without an id: null for anonymous and for a customer without a cart', async () => {
    expect(await t.cart(null)).toBeNull();
    expect(await t.cart(customer())).toBeNull();
  });
});

describe('updateCartLine, removeCartLine, clearCart', () => {
  it('updateCartLine sets the quantity; 0 removes the line; bounds as for addToCart', async () => {
    const cart = cartOf(await t.add(null, { productId: lamp.id, quantity: 3 }));
    expect(cartOf(await t.update(null, { cartId: cart.id, productId: lamp.id, quantity: 7 })).quantity).toBe(
      7,
    );
    expect(cartOf(await t.update(null, { cartId: cart.id, productId: lamp.id, quantity: 10 })).quantity).toBe(
      10,
    );
    expect(await t.update(null, { cartId: cart.id, productId: lamp.id, quantity: 11 })).toMatchObject({
      __typename: 'CartLineLimitError',
    });
    expect(await t.update(null, { cartId: cart.id, productId: lamp.id, quantity: -1 })).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'quantity',
    });
    expect(await t.update(null, { cartId: cart.id, productId: 'f'.repeat(24), quantity: 1 })).toMatchObject({
      __typename: 'UnknownProductError',
    });
    // A product not in the cart yet: set means add.
    expect(cartOf(await t.update(null, { cartId: cart.id, productId: desk.id, quantity: 2 })).quantity).toBe(
      12,
    );
    const removed = cartOf(await t.update(null, { cartId: cart.id, productId: lamp.id, quantity: 0 }));
    expect(removed.lines.map((l) => l.product.id)).toEqual([desk.id]);
  });

  it('removeCartLine removes a line; a product not in the cart answers the cart unchanged', async () => {
    const cart = cartOf(await t.add(null, { productId: lamp.id, quantity: 1 }));
    const version = async () => (await t.rows()).find((r) => r.id === cart.id)!.version;
    const v = await version();
    for (const productId of [desk.id, lamp.id.toUpperCase(), 'nonsense']) {
      expect(cartOf(await t.remove(null, { cartId: cart.id, productId })).quantity).toBe(1);
    }
    expect(await version()).toBe(v);
    expect(cartOf(await t.remove(null, { cartId: cart.id, productId: lamp.id })).lines).toEqual([]);
    expect(await version()).toBe(v + 1);
    // Removing it again is no error either.
    expect(cartOf(await t.remove(null, { cartId: cart.id, productId: lamp.id })).quantity).toBe(0);
  });

  it('clearCart removes every line and the discount code; the cart stays usable', async () => {
    const owner = customer();
    const cart = cartOf(await t.add(owner, { productId: lamp.id, quantity: 2 }));
    await t.add(owner, { productId: desk.id, quantity: 1 });
    await t.h.app.service.carts.setDiscountCode(owner, cart.id, 'WELCOME10');
    const cleared = cartOf(await t.clear(owner, cart.id));
    expect(cleared).toMatchObject({ id: cart.id, quantity: 0, lines: [], discountCode: null });
    expect(cleared.subtotal).toEqual({ amount: 0, currency: 'EUR' });
    expect(await t.linesOf(cart.id)).toEqual([]);
    expect(cartOf(await t.add(owner, { productId: lamp.id, quantity: 1 })).id).toBe(cart.id);
  });

  it('a viewer-less mergeCart is UNAUTHENTICATED', async () => {
    const cart = cartOf(await t.add(null, { productId: lamp.id, quantity: 1 }));
    const res = await t.run(null, 'mutation ($cartId: ID!) { mergeCart(cartId: $cartId) { __typename } }', {
      cartId: cart.id,
    });
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await t.cart(null, cart.id))?.quantity).toBe(1);
  });
});

describe('setDiscountCode (checkout’s API)', () => {
  it('sets and removes the code under the lock, bumping the version; null for a cart the viewer may not use', async () => {
    const owner = customer();
    const cart = cartOf(await t.add(owner, { productId: lamp.id, quantity: 1 }));
    const carts = t.h.app.service.carts;
    const set = await carts.setDiscountCode(owner, cart.id, 'SUMMER');
    expect(set).toMatchObject({ id: cart.id, discountCode: 'SUMMER' });
    expect((await carts.setDiscountCode(owner, cart.id, null))?.discountCode).toBeNull();
    expect(await carts.setDiscountCode(customer(), cart.id, 'X')).toBeNull();
    expect(await carts.setDiscountCode(admin(), cart.id, 'X')).toBeNull();
    expect(await carts.setDiscountCode(owner, cart.id.toLowerCase() + 'x', 'X')).toBeNull();
    expect((await t.rows()).find((r) => r.id === cart.id)).toMatchObject({
      discount_code: null,
      version: set!.version + 1,
    });
  });
});

describe('the cart inside another transaction (checkout’s API)', () => {
  it('lockCart / lockUsable hold the row: an edit waits for the commit and lands after emptyCart', async () => {
    const owner = customer();
    const cart = cartOf(await t.add(owner, { productId: lamp.id, quantity: 2 }));
    const carts = t.h.app.service.carts;
    let settled = false;
    let pending: Promise<unknown> = Promise.resolve();
    await t.h.app.db.transaction(async (conn) => {
      expect(await carts.lockCart(conn, cart.id)).toEqual({ version: 1, userId: owner.id });
      const locked = await carts.lockUsable(conn, owner, cart.id);
      expect(locked?.lines.map((l) => [l.productId, l.quantity])).toEqual([[lamp.id, 2]]);
      expect(await carts.lockUsable(conn, customer(), cart.id)).toBeNull();
      expect(await carts.lockUsable(conn, admin(), cart.id)).toBeNull();
      expect(await carts.lockUsable(conn, owner, cart.id.slice(1))).toBeNull();
      expect(await carts.lockCart(conn, 'A'.repeat(22))).toBeNull();
      pending = t.add(owner, { cartId: cart.id, productId: desk.id, quantity: 1 }).finally(() => {
        settled = true;
      });
      await sleep(300);
      expect(settled).toBe(false);
      await carts.emptyCart(conn, cart.id);
    });
    const after = cartOf((await pending) as Parameters<typeof cartOf>[0]);
    expect(after.lines.map((l) => [l.product.id, l.quantity])).toEqual([[desk.id, 1]]);
    // emptyCart and the add: two more versions.
    expect((await t.rows()).find((r) => r.id === cart.id)?.version).toBe(3);
  });

  it('the statements run on the orders repository’s transaction (OrdersTx) as well', async () => {
    const cart = cartOf(await t.add(null, { productId: lamp.id, quantity: 1 }));
    const carts = t.h.app.service.carts;
    await t.h.app.repository.transaction(async (tx) => {
      expect(await carts.lockCart(tx, cart.id)).toEqual({ version: 1, userId: null });
      await carts.repository.emptyCart(tx, cart.id);
    });
    expect(await t.linesOf(cart.id)).toEqual([]);
    // A rolled-back transaction changes nothing.
    await t.add(null, { cartId: cart.id, productId: lamp.id, quantity: 1 });
    await expect(
      t.h.app.repository.transaction(async (tx) => {
        await carts.emptyCart(tx, cart.id);
        throw new Error('checkout failed');
      }),
    ).rejects.toThrow('checkout failed');
    expect(await t.linesOf(cart.id)).toHaveLength(1);
  });
});
