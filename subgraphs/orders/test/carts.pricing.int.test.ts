import { randomUUID } from 'node:crypto';
import { request, ReserveReply } from '@shop/messaging';
import { customer } from './helpers';
import { bootCarts, cartOf, CART_FIELDS, type CartView, type CartsHarness } from './carts.fixtures';

let t: CartsHarness;

beforeAll(async () => {
  t = await bootCarts({ LOOKUP_TIMEOUT_MS: '500' });
});
afterAll(async () => {
  await t.stop();
});

const lineOf = (cart: CartView | null, productId: string) =>
  cart?.lines.find((l) => l.product.id === productId);

describe('lines priced live from products', () => {
  it('a price change shows as priceChanged with both prices; changing the line takes the new price', async () => {
    const p = await t.product('Kettle', 20, 3000);
    const cart = cartOf(await t.add(null, { productId: p.id, quantity: 2 }));
    await t.updateProduct(p.id, { price: { amount: 3300, currency: 'EUR' } });
    const now = await t.cart(null, cart.id);
    expect(lineOf(now, p.id)).toMatchObject({
      unitPrice: { amount: 3300, currency: 'EUR' },
      addedUnitPrice: { amount: 3000, currency: 'EUR' },
      priceChanged: true,
      lineTotal: { amount: 6600, currency: 'EUR' },
    });
    expect(now?.subtotal).toEqual({ amount: 6600, currency: 'EUR' });
    const updated = cartOf(await t.update(null, { cartId: cart.id, productId: p.id, quantity: 3 }));
    expect(lineOf(updated, p.id)).toMatchObject({
      addedUnitPrice: { amount: 3300, currency: 'EUR' },
      priceChanged: false,
    });
  });

  it('status follows stock and holds: AVAILABLE, INSUFFICIENT_STOCK (available says how many), OUT_OF_STOCK', async () => {
    const p = await t.product('Mug', 10, 500);
    const cart = cartOf(await t.add(null, { productId: p.id, quantity: 4 }));
    expect(lineOf(cart, p.id)).toMatchObject({ status: 'AVAILABLE', available: 10 });
    // An order holds 8 of the 10: 2 can be ordered.
    const held = await request(
      t.h.nc,
      t.h.names.commands.productsReserve,
      { orderId: randomUUID(), items: [{ productId: p.id, quantity: 8 }] },
      ReserveReply,
    );
    expect(held.ok).toBe(true);
    expect(lineOf(await t.cart(null, cart.id), p.id)).toMatchObject({
      status: 'INSUFFICIENT_STOCK',
      available: 2,
    });
    await t.adjustStock(p.id, -2);
    expect(lineOf(await t.cart(null, cart.id), p.id)).toMatchObject({ status: 'OUT_OF_STOCK', available: 0 });
    // No stock is held by a cart.
    expect(await t.stockOf(p.id)).toBe(0);
  });

  it('a product that disappears: PRODUCT_UNAVAILABLE, no price, the stored name, left out of the subtotal', async () => {
    const gone = await t.product('Vase', 5, 1200);
    const stays = await t.product('Bowl', 5, 800);
    const cart = cartOf(await t.add(null, { productId: gone.id, quantity: 2 }));
    await t.add(null, { cartId: cart.id, productId: stays.id, quantity: 1 });
    await t.updateProduct(stays.id, { name: 'Big bowl' });
    await t.deleteProduct(gone.id);
    const now = await t.cart(null, cart.id);
    expect(lineOf(now, gone.id)).toEqual({
      product: { id: gone.id },
      productName: 'Vase',
      quantity: 2,
      unitPrice: null,
      addedUnitPrice: { amount: 1200, currency: 'EUR' },
      priceChanged: false,
      lineTotal: null,
      available: 0,
      status: 'PRODUCT_UNAVAILABLE',
    });
    expect(lineOf(now, stays.id)?.productName).toBe('Big bowl');
    expect(now?.subtotal).toEqual({ amount: 800, currency: 'EUR' });
    expect(now?.quantity).toBe(3);
    // It cannot be added to or changed; it can be removed.
    expect((await t.add(null, { cartId: cart.id, productId: gone.id, quantity: 1 })).__typename).toBe(
      'UnknownProductError',
    );
    expect((await t.update(null, { cartId: cart.id, productId: gone.id, quantity: 1 })).__typename).toBe(
      'UnknownProductError',
    );
    expect(cartOf(await t.remove(null, { cartId: cart.id, productId: gone.id })).lines).toHaveLength(1);
  });

  it('one products.lookup per cart read, whatever the priced fields; none for an empty cart or units only', async () => {
    const a = await t.product('A', 5, 100);
    const b = await t.product('B', 5, 200);
    const c = await t.product('C', 5, 300);
    const owner = customer();
    const cart = cartOf(await t.add(owner, { productId: a.id, quantity: 1 }));
    await t.add(owner, { cartId: cart.id, productId: b.id, quantity: 1 });
    await t.add(owner, { cartId: cart.id, productId: c.id, quantity: 1 });
    const counted = async (query: string, variables: Record<string, unknown>) => {
      await t.h.nc.flush();
      const before = t.lookups();
      const res = await (await t.h.as(owner))(query, variables);
      await t.h.nc.flush();
      expect(res.errors).toBeUndefined();
      return t.lookups() - before;
    };
    expect(
      await counted(
        `query ($id: ID) { cart(id: $id) { lines { unitPrice { amount } available status priceChanged lineTotal { amount } productName } subtotal { amount } } }`,
        { id: cart.id },
      ),
    ).toBe(1);
    expect(await counted(`query { cart { ${CART_FIELDS} } }`, {})).toBe(1);
    // With checkout's discount fields (priced through the same loader) and a code on the cart.
    await t.h.app.service.carts.setDiscountCode(owner, cart.id, 'NOSUCHCODE');
    expect(await counted(`query { cart { ${CART_FIELDS} discount { amount } discountProblem } }`, {})).toBe(
      1,
    );
    // The same cart twice in one query (by id and as the customer's): still one lookup.
    expect(
      await counted(
        `query ($id: ID) { a: cart(id: $id) { subtotal { amount } } b: cart { lines { status } subtotal { amount } } }`,
        { id: cart.id },
      ),
    ).toBe(1);
    expect(
      await counted(`query ($id: ID) { cart(id: $id) { id quantity updatedAt expiresAt } }`, { id: cart.id }),
    ).toBe(0);
    const empty = cartOf(await t.add(null, { productId: a.id, quantity: 1 }));
    await t.clear(null, empty.id);
    expect(
      await counted(`query ($id: ID) { cart(id: $id) { lines { status } subtotal { amount } } }`, {
        id: empty.id,
      }),
    ).toBe(0);
  });

  it('expiresAt is CART_IDLE_SECONDS (30 days by default) after updatedAt', async () => {
    const p = await t.product('Clock', 5, 100);
    const cart = cartOf(await t.add(null, { productId: p.id, quantity: 1 }));
    expect(Date.parse(cart.expiresAt) - Date.parse(cart.updatedAt)).toBe(30 * 24 * 3600 * 1000);
  });

  // Last: it stops products.
  it('products not answering: reads are SERVICE_UNAVAILABLE, changes ProductsUnavailableError with nothing changed', async () => {
    const p = await t.product('Last', 5, 100);
    const owner = customer();
    const cart = cartOf(await t.add(owner, { productId: p.id, quantity: 1 }));
    await t.productsApp.stop();
    const read = await (
      await t.h.as(owner)
    )(`query ($id: ID) { cart(id: $id) { id subtotal { amount } } }`, {
      id: cart.id,
    });
    expect(read.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect(read.data?.cart ?? null).toBeNull();
    // Without priced fields a read needs no products.
    const plain = await (
      await t.h.as(owner)
    )(`query ($id: ID) { cart(id: $id) { id quantity } }`, { id: cart.id });
    expect(plain.data).toEqual({ cart: { id: cart.id, quantity: 1 } });
    const version = (await t.rows()).find((r) => r.id === cart.id)!.version;
    for (const change of [
      () => t.add(owner, { cartId: cart.id, productId: p.id, quantity: 1 }),
      () => t.add(null, { productId: p.id, quantity: 1 }),
      () => t.update(owner, { cartId: cart.id, productId: p.id, quantity: 3 }),
    ]) {
      const before = (await t.rows()).length;
      expect(await change()).toMatchObject({ __typename: 'ProductsUnavailableError' });
      expect((await t.rows()).length).toBe(before);
    }
    expect((await t.rows()).find((r) => r.id === cart.id)!.version).toBe(version);
    expect(await t.linesOf(cart.id)).toEqual([{ product_id: p.id, quantity: 1, position: 0 }]);
  });
});
