import { randomUUID } from 'node:crypto';
import { customer, PLACE, type Placed } from './helpers';
import { addressIn, BERLIN, bootCheckout, type CheckoutWorld } from './checkout.harness';

/**
 * Every typed refusal of checkout, each leaving nothing behind: no order, no hold, the cart as it
 * was (lines, code, version), no use of a code. Ids in another form than issued name nothing.
 */
describe('checkout refusals', () => {
  let w: CheckoutWorld;

  beforeAll(async () => {
    // Small caps, so that the limits are reachable; users answers within 300 ms or not at all.
    w = await bootCheckout({ MAX_ORDER_TOTAL: '100000', MAX_UNPAID_ORDERS: '2', USERS_TIMEOUT_MS: '300' });
  }, 60_000);
  afterAll(async () => {
    await w?.stop();
  });

  /** A customer with a cart of one product (price, stock) and the refusal of a checkout of it. */
  const refused = async (input: Record<string, unknown>, opts: { amount?: number; stock?: number } = {}) => {
    const viewer = customer();
    const p = await w.product(opts.stock ?? 10, opts.amount ?? 1000);
    const cart = await w.cartWith(viewer, [{ productId: p, quantity: 1 }]);
    const before = await w.snapshot(viewer, cart.id);
    const result = await w.checkout(viewer, {
      cartId: cart.id,
      shippingAddress: addressIn('DE'),
      shippingMethodId: 'standard-eu',
      ...input,
    });
    await w.expectUnchanged(before, viewer, cart.id);
    return { viewer, cart, result, productId: p };
  };

  it('needs a signed-in customer', async () => {
    const p = await w.product(10, 1000);
    const cart = await w.cartWith(null, [{ productId: p, quantity: 1 }]);
    const res = await w.checkout(null, {
      cartId: cart.id,
      shippingAddress: addressIn('DE'),
      shippingMethodId: 'standard-eu',
    });
    expect(res).toMatchObject({
      __typename: 'GraphQLError',
      errors: [{ extensions: { code: 'UNAUTHENTICATED' } }],
    });
    expect((await w.service.carts.repository.findById(cart.id))?.lines).toHaveLength(1);
  });

  it('refuses malformed input before reading anything: key, address, code', async () => {
    for (const idempotencyKey of ['', 'has space', 'k'.repeat(129), 'ümlaut'])
      expect((await refused({ idempotencyKey })).result).toMatchObject({
        __typename: 'InvalidInputError',
        field: 'idempotencyKey',
      });
    expect((await refused({ shippingAddress: null })).result).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'addressId',
    });
    expect((await refused({ addressId: randomUUID() })).result).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'shippingAddress',
    });
    const cases: [Record<string, unknown>, string][] = [
      [{ ...addressIn('DE'), postalCode: '1234' }, 'shippingAddress.postalCode'],
      [{ ...addressIn('US'), region: null }, 'shippingAddress.region'],
      [{ ...addressIn('DE'), country: 'de' }, 'shippingAddress.country'],
      [{ ...addressIn('DE'), name: '   ' }, 'shippingAddress.name'],
      [{ ...addressIn('DE'), line1: 'x'.repeat(101) }, 'shippingAddress.line1'],
      [{ ...addressIn('DE'), phone: '12' }, 'shippingAddress.phone'],
    ];
    for (const [shippingAddress, field] of cases)
      expect((await refused({ shippingAddress })).result).toMatchObject({
        __typename: 'InvalidInputError',
        field,
      });
    for (const discountCode of ['ab', 'with space', 'x'.repeat(33), 'ÄBC', ''])
      expect((await refused({ discountCode })).result).toMatchObject({
        __typename: 'InvalidInputError',
        field: 'discountCode',
      });
  });

  it('CartNotFoundError: unknown, someone else’s, and other letter cases of the own cart id', async () => {
    const owner = customer();
    const p = await w.product(10, 1000);
    const own = await w.cartWith(owner, [{ productId: p, quantity: 1 }]);
    const before = await w.snapshot(owner, own.id);
    const variants = [
      'AAAAAAAAAAAAAAAAAAAAAA',
      own.id.toUpperCase(),
      own.id.toLowerCase(),
      ` ${own.id}`,
      `${own.id}=`,
    ].filter((id) => id !== own.id);
    for (const cartId of variants) {
      const res = await w.checkout(owner, {
        cartId,
        shippingAddress: addressIn('DE'),
        shippingMethodId: 'standard-eu',
      });
      expect(res).toMatchObject({ __typename: 'CartNotFoundError', cartId });
    }
    const other = customer();
    const res = await w.checkout(other, {
      cartId: own.id,
      shippingAddress: addressIn('DE'),
      shippingMethodId: 'standard-eu',
    });
    expect(res).toMatchObject({ __typename: 'CartNotFoundError', cartId: own.id });
    await w.expectUnchanged(before, owner, own.id);
    expect(await w.ordersOf(other.id)).toEqual([]);
  });

  it('EmptyCartError for a cart without lines', async () => {
    const viewer = customer();
    const p = await w.product(10, 1000);
    const cart = await w.cartWith(viewer, [{ productId: p, quantity: 1 }]);
    await w.service.carts.clearCart(viewer, cart.id);
    const res = await w.checkout(viewer, {
      cartId: cart.id,
      shippingAddress: addressIn('DE'),
      shippingMethodId: 'standard-eu',
    });
    expect(res).toMatchObject({ __typename: 'EmptyCartError' });
    expect(await w.ordersOf(viewer.id)).toEqual([]);
  });

  it('AddressNotFoundError: unknown, someone else’s, other letter cases (never asked for)', async () => {
    const owner = customer();
    const ownId = w.users.add(owner.id, BERLIN);
    const stranger = customer();
    const strangersId = w.users.add(stranger.id, BERLIN);
    for (const addressId of [randomUUID(), strangersId]) {
      const { result } = await refused({ shippingAddress: undefined, addressId });
      expect(result).toMatchObject({ __typename: 'AddressNotFoundError', addressId });
    }
    const asked = w.users.calls.length;
    for (const addressId of [ownId.toUpperCase(), `{${ownId}}`, ownId.replace(/-/g, ''), 'not-an-id']) {
      const viewer = owner;
      const p = await w.product(10, 1000);
      const cart = await w.cartWith(viewer, [{ productId: p, quantity: 1 }]);
      const before = await w.snapshot(viewer, cart.id);
      const res = await w.checkout(viewer, { cartId: cart.id, addressId, shippingMethodId: 'standard-eu' });
      expect(res).toMatchObject({ __typename: 'AddressNotFoundError', addressId });
      await w.expectUnchanged(before, viewer, cart.id);
      await w.service.carts.clearCart(viewer, cart.id);
    }
    // Ids not in the issued form never reach users.
    expect(w.users.calls.length).toBe(asked);
  });

  it('users not answering is SERVICE_UNAVAILABLE, and nothing was reserved', async () => {
    const viewer = customer();
    const addressId = w.users.add(viewer.id, BERLIN);
    const p = await w.product(10, 1000);
    const cart = await w.cartWith(viewer, [{ productId: p, quantity: 1 }]);
    const before = await w.snapshot(viewer, cart.id);
    w.users.state.down = true;
    try {
      const res = await w.checkout(viewer, { cartId: cart.id, addressId, shippingMethodId: 'standard-eu' });
      expect(res).toMatchObject({
        __typename: 'GraphQLError',
        errors: [{ extensions: { code: 'SERVICE_UNAVAILABLE' } }],
      });
    } finally {
      w.users.state.down = false;
    }
    await w.expectUnchanged(before, viewer, cart.id);
    expect(await w.stockOf(p)).toBe(10);
  });

  it('ShippingMethodNotFoundError: unknown, another letter case, not to that country', async () => {
    const cases = [
      ['nope', 'DE'],
      ['STANDARD-EU', 'DE'],
      ['express-eu', 'US'],
      ['standard-gb', 'FR'],
    ] as const;
    for (const [shippingMethodId, country] of cases) {
      const { result } = await refused({ shippingMethodId, shippingAddress: addressIn(country) });
      expect(result).toMatchObject({ __typename: 'ShippingMethodNotFoundError', shippingMethodId, country });
    }
  });

  it('InsufficientStockError and UnknownProductError give every unit back', async () => {
    const viewer = customer();
    const a = await w.product(5, 1000);
    const b = await w.product(1, 1000);
    const cart = await w.cartWith(viewer, [
      { productId: a, quantity: 2 },
      { productId: b, quantity: 1 },
    ]);
    // Someone else takes the last unit of b.
    await w.adjustStock(b, -1);
    const before = await w.snapshot(viewer, cart.id);
    const short = await w.checkout(viewer, {
      cartId: cart.id,
      shippingAddress: addressIn('DE'),
      shippingMethodId: 'standard-eu',
    });
    expect(short).toMatchObject({
      __typename: 'InsufficientStockError',
      productId: b,
      requested: 1,
      available: 0,
    });
    await w.expectUnchanged(before, viewer, cart.id);
    expect(await w.stockOf(a)).toBe(5);

    // A line whose product is gone from the catalogue.
    const gone = '0123456789abcdef0123abcd';
    const viewer2 = customer();
    const cart2 = await w.cartWith(viewer2, [{ productId: a, quantity: 1 }]);
    await w.service.carts.repository.transaction((conn) =>
      w.service.carts.repository.putLine(conn, cart2.id, {
        productId: gone,
        variantId: `${gone}-1`,
        quantity: 1,
        addedUnitPrice: { amount: 100, currency: 'EUR' },
        productName: 'Gone',
        variantTitle: '',
        position: 9,
      }),
    );
    const before2 = await w.snapshot(viewer2, cart2.id);
    const unknown = await w.checkout(viewer2, {
      cartId: cart2.id,
      shippingAddress: addressIn('DE'),
      shippingMethodId: 'standard-eu',
    });
    expect(unknown).toMatchObject({ __typename: 'UnknownProductError', productId: gone });
    await w.expectUnchanged(before2, viewer2, cart2.id);
    expect(await w.stockOf(a)).toBe(5);
  });

  it('every discount code refusal, with the code untouched', async () => {
    const tag = randomUUID().slice(0, 6);
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const codes = {
      notActive: await w.createCode({ code: `soon-${tag}`, kind: 'PERCENTAGE', value: 10, startsAt: future }),
      minimum: await w.createCode({
        code: `min-${tag}`,
        kind: 'PERCENTAGE',
        value: 10,
        minimumSubtotal: 1001,
      }),
      usedUp: await w.createCode({ code: `one-${tag}`, kind: 'PERCENTAGE', value: 10, usageLimit: 1 }),
      perCustomer: await w.createCode({
        code: `me-${tag}`,
        kind: 'PERCENTAGE',
        value: 10,
        usageLimitPerCustomer: 1,
      }),
    };
    // An expired window (created directly: createDiscountCode refuses an end in the past).
    const ended = `OVER-${tag}`.toUpperCase();
    await w.h.app.db.run(
      `INSERT INTO discount_codes (code, kind, value, starts_at, ends_at, created_at) VALUES (?, 'PERCENTAGE', 10, ?, ?, ?)`,
      [ended, new Date(Date.now() - 7_200_000), new Date(Date.now() - 3_600_000), new Date()],
    );
    // Someone uses the only use; a customer uses their one.
    const someone = customer();
    const p = await w.product(100, 1000);
    const first = await w.checkout(someone, {
      cartId: (await w.cartWith(someone, [{ productId: p, quantity: 1 }])).id,
      shippingAddress: addressIn('DE'),
      shippingMethodId: 'standard-eu',
      discountCode: codes.usedUp,
    });
    expect(first).toMatchObject({ __typename: 'Order', discountCode: codes.usedUp });
    const regular = customer();
    const again = await w.checkout(regular, {
      cartId: (await w.cartWith(regular, [{ productId: p, quantity: 1 }])).id,
      shippingAddress: addressIn('DE'),
      shippingMethodId: 'standard-eu',
      discountCode: codes.perCustomer,
    });
    expect(again).toMatchObject({ __typename: 'Order', discountCode: codes.perCustomer });

    const cases: [Record<string, unknown>, Record<string, unknown>, typeof regular | undefined][] = [
      [
        { discountCode: `nope-${tag}` },
        { __typename: 'DiscountCodeNotFoundError', code: `NOPE-${tag}`.toUpperCase() },
        undefined,
      ],
      [
        { discountCode: codes.notActive },
        { __typename: 'DiscountCodeNotActiveError', code: codes.notActive, startsAt: future, endsAt: null },
        undefined,
      ],
      [
        { discountCode: ended.toLowerCase() },
        { __typename: 'DiscountCodeNotActiveError', code: ended },
        undefined,
      ],
      [
        { discountCode: codes.minimum },
        {
          __typename: 'DiscountCodeMinimumNotMetError',
          code: codes.minimum,
          minimumSubtotal: { amount: 1001, currency: 'EUR' },
        },
        undefined,
      ],
      [
        { discountCode: codes.usedUp },
        { __typename: 'DiscountCodeUsedUpError', code: codes.usedUp },
        undefined,
      ],
      [
        { discountCode: codes.perCustomer },
        { __typename: 'DiscountCodeAlreadyUsedError', code: codes.perCustomer },
        regular,
      ],
    ];
    for (const [input, expected, who] of cases) {
      const viewer = who ?? customer();
      const cart = await w.cartWith(viewer, [{ productId: p, quantity: 1 }]);
      const code = (expected.code as string) ?? undefined;
      const before = await w.snapshot(viewer, cart.id, code);
      const res = await w.checkout(viewer, {
        cartId: cart.id,
        shippingAddress: addressIn('DE'),
        shippingMethodId: 'standard-eu',
        ...input,
      });
      expect(res).toMatchObject(expected);
      await w.expectUnchanged(before, viewer, cart.id, code);
      await w.service.carts.clearCart(viewer, cart.id);
    }
    expect(await w.uses(codes.usedUp)).toEqual({ timesUsed: 1, redemptions: 1 });
    expect(await w.uses(codes.perCustomer)).toEqual({ timesUsed: 1, redemptions: 1 });
    expect(await w.uses(codes.minimum)).toEqual({ timesUsed: 0, redemptions: 0 });
  });

  it('OrderTotalLimitError when shipping takes the total above MAX_ORDER_TOTAL', async () => {
    // 999.50 is within the cart's limit (at the added prices); with 9.90 express shipping it is not.
    const { result, productId } = await refused({ shippingMethodId: 'express-eu' }, { amount: 99_950 });
    expect(result).toMatchObject({
      __typename: 'OrderTotalLimitError',
      maxTotal: { amount: 100_000, currency: 'EUR' },
    });
    expect(await w.stockOf(productId)).toBe(10);
    // Exactly at the limit it is placed (free shipping above 50.00).
    const viewer = customer();
    const p = await w.product(10, 100_000);
    const order = await w.checkout(viewer, {
      cartId: (await w.cartWith(viewer, [{ productId: p, quantity: 1 }])).id,
      shippingAddress: addressIn('DE'),
      shippingMethodId: 'standard-eu',
    });
    expect(order).toMatchObject({ __typename: 'Order', total: { amount: 100_000 }, shipping: { amount: 0 } });
  });

  it('TooManyUnpaidOrdersError counts checkouts and placeOrders alike', async () => {
    const viewer = customer();
    const p = await w.product(100, 1000);
    const placed = await (
      await w.h.as(viewer)
    )<Placed>(PLACE, {
      input: { idempotencyKey: randomUUID(), items: [{ productId: p, quantity: 1 }] },
    });
    expect(placed.data?.placeOrder.__typename).toBe('Order');
    const one = await w.checkout(viewer, {
      cartId: (await w.cartWith(viewer, [{ productId: p, quantity: 1 }])).id,
      shippingAddress: addressIn('DE'),
      shippingMethodId: 'standard-eu',
    });
    expect(one.__typename).toBe('Order');
    const cart = await w.cartWith(viewer, [{ productId: p, quantity: 1 }]);
    const before = await w.snapshot(viewer, cart.id);
    const res = await w.checkout(viewer, {
      cartId: cart.id,
      shippingAddress: addressIn('DE'),
      shippingMethodId: 'standard-eu',
    });
    expect(res).toMatchObject({ __typename: 'TooManyUnpaidOrdersError', max: 2 });
    await w.expectUnchanged(before, viewer, cart.id);
  });
});
