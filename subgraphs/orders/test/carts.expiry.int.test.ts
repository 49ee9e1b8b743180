import { waitFor } from '@shop/testing';
import { customer } from './helpers';
import { bootCarts, cartOf, type CartsHarness } from './carts.fixtures';

const IDLE = 3600;
let clock = Date.parse('2030-01-01T00:00:00Z');
const later = (seconds: number) => {
  clock += seconds * 1000;
};

describe('carts expire after CART_IDLE_SECONDS without a change', () => {
  let t: CartsHarness;
  let p: { id: string };
  beforeAll(async () => {
    t = await bootCarts(
      { CART_IDLE_SECONDS: String(IDLE) },
      { now: () => new Date(clock), runCartExpiry: false },
    );
    p = await t.product('Plant', 100, 1500);
  });
  afterAll(async () => {
    await t.stop();
  });

  it('an idle cart reads as not found at once, before the job deletes it; a change restarts the clock', async () => {
    const cart = cartOf(await t.add(null, { productId: p.id, quantity: 1 }));
    expect(cart.updatedAt).toBe(new Date(clock).toISOString());
    expect(cart.expiresAt).toBe(new Date(clock + IDLE * 1000).toISOString());
    later(IDLE - 1);
    // A change just in time: it counts from now.
    cartOf(await t.add(null, { cartId: cart.id, productId: p.id, quantity: 1 }));
    later(IDLE - 1);
    expect((await t.cart(null, cart.id))?.quantity).toBe(2);
    later(1);
    expect(await t.cart(null, cart.id)).toBeNull();
    expect(await t.add(null, { cartId: cart.id, productId: p.id, quantity: 1 })).toMatchObject({
      __typename: 'CartNotFoundError',
    });
    expect((await t.clear(null, cart.id)).__typename).toBe('CartNotFoundError');
    expect(await t.h.app.service.carts.usableCart(null, cart.id)).toBeNull();
    expect(await t.h.app.service.carts.setDiscountCode(null, cart.id, 'LATE')).toBeNull();
    expect((await t.merge(customer(), cart.id)).__typename).toBe('CartNotFoundError');
    // Still stored until the job runs, and unchanged by the refused calls.
    expect((await t.rows()).find((r) => r.id === cart.id)).toMatchObject({ discount_code: null });
    expect((await t.linesOf(cart.id))[0]?.quantity).toBe(2);
  });

  it('a customer whose cart expired gets a new, empty one on the next add', async () => {
    const alice = customer('alice');
    const old = cartOf(await t.add(alice, { productId: p.id, quantity: 5 }));
    later(IDLE);
    expect(await t.cart(alice)).toBeNull();
    const fresh = cartOf(await t.add(alice, { productId: p.id, quantity: 1 }));
    expect(fresh.id).not.toBe(old.id);
    expect(fresh.quantity).toBe(1);
    expect((await t.rows()).filter((r) => r.user_id === alice.id).map((r) => r.id)).toEqual([fresh.id]);
    // mergeCart into an expired customer cart starts a new one too.
    const anon = cartOf(await t.add(null, { productId: p.id, quantity: 2 }));
    later(IDLE - 1);
    cartOf(await t.add(null, { cartId: anon.id, productId: p.id, quantity: 1 }));
    later(1);
    const merged = cartOf(await t.merge(alice, anon.id));
    expect(merged.id).not.toBe(fresh.id);
    expect(merged.quantity).toBe(3);
  });

  it('expireIdle deletes idle carts (lines by cascade), oldest first, at most a batch per run', async () => {
    // The carts of the tests before go first.
    later(IDLE);
    await t.h.app.service.carts.expireIdle(10_000);
    expect(await t.rows()).toEqual([]);
    const idle = [];
    for (let i = 0; i < 3; i += 1) {
      idle.push(cartOf(await t.add(null, { productId: p.id, quantity: 1 })).id);
      later(1);
    }
    later(IDLE);
    const live = cartOf(await t.add(null, { productId: p.id, quantity: 1 })).id;
    expect(await t.h.app.service.carts.expireIdle(2)).toBe(2);
    const left = (await t.rows()).map((r) => r.id);
    expect(left).not.toContain(idle[0]);
    expect(left).not.toContain(idle[1]);
    expect(left).toContain(idle[2]);
    expect(await t.h.app.service.carts.expireIdle(2)).toBe(1);
    expect(await t.h.app.service.carts.expireIdle(2)).toBe(0);
    expect((await t.rows()).map((r) => r.id)).toEqual([live]);
    expect(await t.h.app.db.rows('SELECT cart_id FROM cart_lines WHERE cart_id IN (?)', [idle])).toEqual([]);
  });

  it('a cart being changed while the job runs is skipped, not deleted', async () => {
    later(IDLE);
    await t.h.app.service.carts.expireIdle(10_000);
    const cart = cartOf(await t.add(null, { productId: p.id, quantity: 1 }));
    later(IDLE);
    const carts = t.h.app.service.carts;
    await t.h.app.db.transaction(async (conn) => {
      // Checkout (or an edit) holds the row and refreshes it; the job must not wait nor delete.
      expect(await carts.lockCart(conn, cart.id)).not.toBeNull();
      const started = Date.now();
      expect(await carts.expireIdle(100)).toBe(0);
      expect(Date.now() - started).toBeLessThan(2000);
      await carts.repository.touch(conn, cart.id, new Date(clock));
    });
    expect(await carts.expireIdle(100)).toBe(0);
    expect((await t.rows()).some((r) => r.id === cart.id)).toBe(true);
    later(IDLE);
    expect(await carts.expireIdle(100)).toBe(1);
  });
});

describe('the cart expiry job', () => {
  it('runs from start() every CART_EXPIRY_INTERVAL_MS and deletes idle carts only', async () => {
    const t = await bootCarts(
      { CART_IDLE_SECONDS: String(IDLE), CART_EXPIRY_INTERVAL_MS: '100' },
      { now: () => new Date(clock) },
    );
    try {
      const p = await t.product('Fern', 10, 900);
      const idle = cartOf(await t.add(null, { productId: p.id, quantity: 1 })).id;
      later(IDLE + 1);
      const live = cartOf(await t.add(customer(), { productId: p.id, quantity: 1 })).id;
      await waitFor(async () => !(await t.rows()).some((r) => r.id === idle), { timeoutMs: 5000 });
      expect((await t.rows()).map((r) => r.id)).toEqual([live]);
      expect(t.h.logs.lines.some((l) => l.includes('idle carts deleted'))).toBe(true);
    } finally {
      await t.stop();
    }
  });
});
