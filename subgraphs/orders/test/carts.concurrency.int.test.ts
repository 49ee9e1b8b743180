import { customer } from './helpers';
import { bootCarts, cartOf, type CartsHarness } from './carts.fixtures';

// MAX_CART_LINES 5, MAX_LINE_QUANTITY 10 unless said (carts.fixtures.ts); a wider line for the counts.
let t: CartsHarness;
let lamp: { id: string };
let desk: { id: string };
let chair: { id: string };

beforeAll(async () => {
  t = await bootCarts({ MAX_LINE_QUANTITY: '100' });
  lamp = await t.product('Lamp', 500, 1999);
  desk = await t.product('Desk', 500, 25_000);
  chair = await t.product('Chair', 500, 4_500);
});
afterAll(async () => {
  await t.stop();
});

describe('two sessions of one customer editing at once', () => {
  it('10 + 10 concurrent adds of 1 unit end at 20: no lost update', async () => {
    const alice = customer('alice');
    const cart = cartOf(await t.add(alice, { productId: lamp.id, quantity: 1 }));
    await t.clear(alice, cart.id);
    const session = (cartId?: string) =>
      Array.from({ length: 10 }, () =>
        t.add(alice, { ...(cartId ? { cartId } : {}), productId: lamp.id, quantity: 1 }),
      );
    // One session names the cart, the other lets the server find the customer's cart.
    const results = await Promise.all([...session(cart.id), ...session()]);
    expect(results.every((r) => r.__typename === 'Cart')).toBe(true);
    expect(await t.linesOf(cart.id)).toEqual([{ product_id: lamp.id, quantity: 20, position: 0 }]);
    // clear + 20 adds: 21 changes after the first add.
    const row = (await t.rows()).find((r) => r.id === cart.id)!;
    expect(row.version).toBe(22);
  });

  it('conflicting edits of one line serialise: every answer is a state the line passed through', async () => {
    const bob = customer('bob');
    const cart = cartOf(await t.add(bob, { productId: desk.id, quantity: 5 }));
    const results = await Promise.all([
      ...Array.from({ length: 5 }, () => t.add(bob, { cartId: cart.id, productId: desk.id, quantity: 2 })),
      t.update(bob, { cartId: cart.id, productId: desk.id, quantity: 1 }),
      t.add(bob, { cartId: cart.id, productId: chair.id, quantity: 3 }),
    ]);
    expect(results.every((r) => r.__typename === 'Cart')).toBe(true);
    const [line] = (await t.linesOf(cart.id)).filter((l) => l.product_id === desk.id);
    // The update lands somewhere among the adds: 1 + 2k for the k adds after it.
    expect([1, 3, 5, 7, 9, 11]).toContain(line!.quantity);
    // 7 changes after the first add, each bumping the version once.
    expect((await t.rows()).find((r) => r.id === cart.id)?.version).toBe(8);
    expect((await t.linesOf(cart.id)).find((l) => l.product_id === chair.id)?.quantity).toBe(3);
  });

  it('10 concurrent first addToCart of one customer: one cart holding all 10 units', async () => {
    const carol = customer('carol');
    const results = await Promise.all(
      Array.from({ length: 10 }, () => t.add(carol, { productId: chair.id, quantity: 1 })),
    );
    const ids = new Set(results.map((r) => cartOf(r).id));
    expect(ids.size).toBe(1);
    const mine = (await t.rows()).filter((r) => r.user_id === carol.id);
    expect(mine).toHaveLength(1);
    expect(await t.linesOf(mine[0]!.id)).toEqual([{ product_id: chair.id, quantity: 10, position: 0 }]);
  });

  it('concurrent adds near the line limit: never more than MAX_LINE_QUANTITY, refusals change nothing', async () => {
    const dave = customer('dave');
    const cart = cartOf(await t.add(dave, { productId: lamp.id, quantity: 90 }));
    const results = await Promise.all(
      Array.from({ length: 8 }, () => t.add(dave, { cartId: cart.id, productId: lamp.id, quantity: 3 })),
    );
    const ok = results.filter((r) => r.__typename === 'Cart');
    expect(ok).toHaveLength(3);
    expect(results.filter((r) => r.__typename === 'CartLineLimitError')).toHaveLength(5);
    expect((await t.linesOf(cart.id))[0]?.quantity).toBe(99);
  });
});

describe('mergeCart', () => {
  it('moves the lines into the customer’s cart, sums quantities (capped), takes the code, deletes the anonymous cart', async () => {
    const erin = customer('erin');
    const mine = cartOf(await t.add(erin, { productId: lamp.id, quantity: 60 }));
    const anon = cartOf(await t.add(null, { productId: desk.id, quantity: 2 }));
    await t.add(null, { cartId: anon.id, productId: lamp.id, quantity: 50 });
    await t.h.app.service.carts.setDiscountCode(null, anon.id, 'WELCOME10');
    const merged = cartOf(await t.merge(erin, anon.id));
    expect(merged.id).toBe(mine.id);
    expect(merged.customer).toEqual({ id: erin.id });
    expect(merged.lines.map((l) => [l.product.id, l.quantity])).toEqual([
      [lamp.id, 100],
      [desk.id, 2],
    ]);
    expect(merged.discountCode).toBe('WELCOME10');
    expect((await t.rows()).some((r) => r.id === anon.id)).toBe(false);
    expect(await t.linesOf(anon.id)).toEqual([]);
    expect(await t.cart(null, anon.id)).toBeNull();
    // A replay: the anonymous cart is gone, nothing is added twice.
    expect(await t.merge(erin, anon.id)).toMatchObject({ __typename: 'CartNotFoundError', cartId: anon.id });
    expect((await t.linesOf(mine.id)).map((l) => l.quantity)).toEqual([100, 2]);
  });

  it('keeps the customer’s code; creates the customer’s cart when there is none', async () => {
    const frank = customer('frank');
    const anon = cartOf(await t.add(null, { productId: chair.id, quantity: 1 }));
    await t.h.app.service.carts.setDiscountCode(null, anon.id, 'ANON');
    const merged = cartOf(await t.merge(frank, anon.id));
    expect(merged.id).not.toBe(anon.id);
    expect(merged).toMatchObject({ customer: { id: frank.id }, quantity: 1, discountCode: 'ANON' });
    const second = cartOf(await t.add(null, { productId: desk.id, quantity: 1 }));
    await t.h.app.service.carts.setDiscountCode(null, second.id, 'OTHER');
    expect(cartOf(await t.merge(frank, second.id))).toMatchObject({
      id: merged.id,
      discountCode: 'ANON',
      quantity: 2,
    });
  });

  it('refuses the customer’s own cart, another customer’s cart, unknown ids and other forms (not found)', async () => {
    const gina = customer('gina');
    const own = cartOf(await t.add(gina, { productId: lamp.id, quantity: 1 }));
    const others = cartOf(await t.add(customer(), { productId: lamp.id, quantity: 1 }));
    const anon = cartOf(await t.add(null, { productId: desk.id, quantity: 1 }));
    for (const id of [
      own.id,
      others.id,
      anon.id.toLowerCase() === anon.id ? 'x' : anon.id.toLowerCase(),
      anon.id.slice(1),
      'A'.repeat(22),
    ]) {
      expect(await t.merge(gina, id)).toMatchObject({ __typename: 'CartNotFoundError', cartId: id });
    }
    expect((await t.linesOf(own.id)).map((l) => l.quantity)).toEqual([1]);
    expect((await t.linesOf(others.id)).map((l) => l.quantity)).toEqual([1]);
    expect(await t.linesOf(anon.id)).toHaveLength(1);
  });

  it('beyond MAX_CART_LINES the anonymous cart’s extra products are dropped (in their order)', async () => {
    const small = await bootCarts({ MAX_CART_LINES: '3' });
    try {
      const ps = await Promise.all([1, 2, 3, 4, 5].map((i) => small.product(`M${i}`, 10, 100)));
      const hank = customer('hank');
      await small.add(hank, { productId: ps[0]!.id, quantity: 1 });
      await small.add(hank, { productId: ps[1]!.id, quantity: 1 });
      const anon = cartOf(await small.add(null, { productId: ps[1]!.id, quantity: 2 }));
      for (const p of ps.slice(2)) await small.add(null, { cartId: anon.id, productId: p.id, quantity: 1 });
      const merged = cartOf(await small.merge(hank, anon.id));
      expect(merged.lines.map((l) => [l.product.id, l.quantity])).toEqual([
        [ps[0]!.id, 1],
        [ps[1]!.id, 3],
        [ps[2]!.id, 1],
      ]);
    } finally {
      await small.stop();
    }
  });

  it('10 concurrent merges of one anonymous cart: merged once, the rest not found', async () => {
    const ivy = customer('ivy');
    await t.add(ivy, { productId: chair.id, quantity: 1 });
    const anon = cartOf(await t.add(null, { productId: chair.id, quantity: 4 }));
    const results = await Promise.all(Array.from({ length: 10 }, () => t.merge(ivy, anon.id)));
    expect(results.filter((r) => r.__typename === 'Cart')).toHaveLength(1);
    expect(results.filter((r) => r.__typename === 'CartNotFoundError')).toHaveLength(9);
    const mine = (await t.rows()).find((r) => r.user_id === ivy.id)!;
    expect(await t.linesOf(mine.id)).toEqual([{ product_id: chair.id, quantity: 5, position: 0 }]);
  });

  it('two customers merging one anonymous cart at once: exactly one gets it', async () => {
    const anon = cartOf(await t.add(null, { productId: desk.id, quantity: 3 }));
    const [a, b] = [customer('ja'), customer('jb')];
    const results = await Promise.all([
      t.merge(a, anon.id),
      t.merge(b, anon.id),
      t.merge(a, anon.id),
      t.merge(b, anon.id),
    ]);
    const won = results.filter((r) => r.__typename === 'Cart').map((r) => cartOf(r));
    expect(won).toHaveLength(1);
    expect(won[0]!.quantity).toBe(3);
  });

  it('merging while the anonymous cart is being edited: every unit lands once', async () => {
    const kim = customer('kim');
    const anon = cartOf(await t.add(null, { productId: lamp.id, quantity: 1 }));
    const edits = Array.from({ length: 5 }, () =>
      t.add(null, { cartId: anon.id, productId: lamp.id, quantity: 1 }),
    );
    const results = await Promise.all([...edits, t.merge(kim, anon.id)]);
    const edited = results.slice(0, 5).filter((r) => r.__typename === 'Cart').length;
    expect(results[5]!.__typename).toBe('Cart');
    const mine = (await t.rows()).find((r) => r.user_id === kim.id)!;
    // The edits before the merge landed in it; those after found the cart gone.
    expect((await t.linesOf(mine.id))[0]?.quantity).toBe(1 + edited);
  });
});
