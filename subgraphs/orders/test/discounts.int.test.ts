import { randomUUID } from 'node:crypto';
import { admin, customer } from './helpers';
import { addressIn, APPLY, bootCheckout, CREATE_CODE, type CheckoutWorld } from './checkout.harness';

/**
 * Discount codes: createDiscountCode and Query.discountCodes (admins, bounds, taken under
 * concurrency), applyDiscountCode / removeDiscountCode and Cart.discount / discountProblem (uses
 * given back: discounts-uses.int.test.ts).
 */
describe('discount codes', () => {
  let w: CheckoutWorld;

  beforeAll(async () => {
    w = await bootCheckout();
  }, 60_000);
  afterAll(async () => {
    await w?.stop();
  });

  const create = async (input: Record<string, unknown>, viewer = admin()) =>
    (await w.h.as(viewer)).call(null, CREATE_CODE, { input }) as Promise<{
      data?: { createDiscountCode: Record<string, unknown> & { __typename: string } } | null;
      errors?: { extensions?: Record<string, unknown> }[];
    }>;
  const tag = () => randomUUID().slice(0, 8);
  const apply = async (viewer: ReturnType<typeof customer> | null, cartId: string, code: string) => {
    const res = await (
      await w.h.as(viewer)
    )<{ applyDiscountCode: Record<string, unknown> }>(APPLY, {
      input: { cartId, code },
    });
    expect(res.errors).toBeUndefined();
    return res.data!.applyDiscountCode;
  };
  const CART = `query Cart($id: ID) { cart(id: $id) { id discountCode discount { amount currency } discountProblem subtotal { amount } } }`;

  describe('createDiscountCode and Query.discountCodes', () => {
    it('admins create codes, stored upper case with every field', async () => {
      const code = `Welcome-${tag()}`;
      const res = await create({
        code: `  ${code} `,
        kind: 'PERCENTAGE',
        value: 10,
        minimumSubtotal: 2000,
        startsAt: '2025-01-01T00:00:00.000Z',
        endsAt: '2099-01-01T00:00:00.000Z',
        usageLimit: 100,
        usageLimitPerCustomer: 1,
      });
      expect(res.data?.createDiscountCode).toMatchObject({
        __typename: 'DiscountCode',
        code: code.toUpperCase(),
        kind: 'PERCENTAGE',
        value: 10,
        minimumSubtotal: { amount: 2000, currency: 'EUR' },
        startsAt: '2025-01-01T00:00:00.000Z',
        endsAt: '2099-01-01T00:00:00.000Z',
        usageLimit: 100,
        usageLimitPerCustomer: 1,
        timesUsed: 0,
      });
      const minimal = await create({ code: `min_${tag()}`, kind: 'FIXED_AMOUNT', value: 1 });
      expect(minimal.data?.createDiscountCode).toMatchObject({
        minimumSubtotal: null,
        startsAt: null,
        endsAt: null,
        usageLimit: null,
        usageLimitPerCustomer: null,
      });
    });

    it('only admins: customers FORBIDDEN, anonymous UNAUTHENTICATED', async () => {
      const input = { code: `nope-${tag()}`, kind: 'PERCENTAGE', value: 5 };
      const asCustomer = await create(input, customer());
      expect(asCustomer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const anonymous = (await w.h.as(null))(CREATE_CODE, { input }) as Promise<{
        errors?: { extensions?: Record<string, unknown> }[];
      }>;
      expect((await anonymous).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      const list = await (await w.h.as(customer()))(`{ discountCodes { edges { node { code } } } }`);
      expect(list.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const [row] = await w.h.app.db.rows<{ n: number }>(
        'SELECT COUNT(*) AS n FROM discount_codes WHERE code = ?',
        [input.code.toUpperCase()],
      );
      expect(Number(row!.n)).toBe(0);
    });

    it('refuses every value out of bounds, naming the field', async () => {
      const base = { code: `b-${tag()}`, kind: 'PERCENTAGE', value: 10 };
      const cases: [Record<string, unknown>, string][] = [
        [{ code: 'ab' }, 'code'],
        [{ code: 'x'.repeat(33) }, 'code'],
        [{ code: 'has space' }, 'code'],
        [{ code: 'ÄPFEL10' }, 'code'],
        [{ value: 0 }, 'value'],
        [{ value: 101 }, 'value'],
        [{ value: -5 }, 'value'],
        [{ kind: 'FIXED_AMOUNT', value: 10_000_001 }, 'value'],
        [{ kind: 'FIXED_AMOUNT', value: 0 }, 'value'],
        [{ minimumSubtotal: -1 }, 'minimumSubtotal'],
        [{ minimumSubtotal: 10_000_001 }, 'minimumSubtotal'],
        [{ usageLimit: 0 }, 'usageLimit'],
        [{ usageLimit: 1_000_001 }, 'usageLimit'],
        [{ usageLimitPerCustomer: 0 }, 'usageLimitPerCustomer'],
        [{ usageLimitPerCustomer: 1001 }, 'usageLimitPerCustomer'],
        [{ startsAt: '1999-12-31T23:59:59.000Z' }, 'startsAt'],
        [{ startsAt: '2030-01-01T00:00:00.000Z', endsAt: '2030-01-01T00:00:00.000Z' }, 'endsAt'],
        [{ endsAt: '2001-01-01T00:00:00.000Z' }, 'endsAt'],
      ];
      for (const [patch, field] of cases) {
        const res = await create({ ...base, ...patch });
        expect(res.data?.createDiscountCode).toMatchObject({ __typename: 'InvalidInputError', field });
      }
      // At the bounds it is accepted.
      const edge = await create({
        code: `E${'x'.repeat(31)}`.slice(0, 32),
        kind: 'FIXED_AMOUNT',
        value: 10_000_000,
        minimumSubtotal: 10_000_000,
        usageLimit: 1_000_000,
        usageLimitPerCustomer: 1000,
      });
      expect(edge.data?.createDiscountCode.__typename).toBe('DiscountCode');
    });

    it('a code exists once whatever its letter case, also when ten admins create it at once', async () => {
      const code = `dup-${tag()}`;
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          create({ code: i % 2 ? code.toUpperCase() : code, kind: 'PERCENTAGE', value: 5 + i }),
        ),
      );
      const kinds = results.map((r) => r.data?.createDiscountCode.__typename).sort();
      expect(kinds).toEqual(['DiscountCode', ...Array<string>(9).fill('DiscountCodeTakenError')]);
      for (const r of results.filter((x) => x.data?.createDiscountCode.__typename !== 'DiscountCode'))
        expect(r.data?.createDiscountCode).toMatchObject({ code: code.toUpperCase() });
      const later = await create({ code: ` ${code.toLowerCase()} `, kind: 'FIXED_AMOUNT', value: 1 });
      expect(later.data?.createDiscountCode.__typename).toBe('DiscountCodeTakenError');
    });

    it('lists codes newest first in pages', async () => {
      const made = [];
      for (let i = 0; i < 3; i += 1)
        made.push(await w.createCode({ code: `page-${tag()}`, kind: 'PERCENTAGE', value: 1 }));
      const run = await w.h.as(admin());
      const page = async (after?: string) =>
        (
          await run<{
            discountCodes: {
              edges: { cursor: string; node: { code: string } }[];
              pageInfo: { hasNextPage: boolean; endCursor: string };
            };
          }>(
            `query L($after: String) { discountCodes(first: 2, after: $after) { edges { cursor node { code } } pageInfo { hasNextPage endCursor } } }`,
            { after },
          )
        ).data!.discountCodes;
      const first = await page();
      expect(first.edges.map((e) => e.node.code)).toEqual([made[2], made[1]]);
      expect(first.pageInfo.hasNextPage).toBe(true);
      const second = await page(first.pageInfo.endCursor);
      expect(second.edges[0]!.node.code).toBe(made[0]);
      const tooMany = await run(`{ discountCodes(first: 101) { edges { cursor } } }`);
      expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const badCursor = await run(`{ discountCodes(after: "nope") { edges { cursor } } }`);
      expect(badCursor.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });
  });

  describe('applyDiscountCode, removeDiscountCode, Cart.discount', () => {
    it('puts a code on the cart (any case, spaces ignored) and shows what it takes off now', async () => {
      const code = await w.createCode({ code: `ten-${tag()}`, kind: 'PERCENTAGE', value: 10 });
      const viewer = customer();
      const p = await w.product(10, 1999);
      const cart = await w.cartWith(viewer, [{ productId: p, quantity: 3 }]);
      const res = await apply(viewer, cart.id, `  ${code.toLowerCase()}  `);
      expect(res).toMatchObject({
        __typename: 'Cart',
        id: cart.id,
        discountCode: code,
        discount: { amount: 599, currency: 'EUR' },
        discountProblem: null,
      });
      const read = await (await w.h.as(viewer))<{ cart: Record<string, unknown> }>(CART, { id: cart.id });
      expect(read.data?.cart).toMatchObject({
        discountCode: code,
        discount: { amount: 599 },
        subtotal: { amount: 5997 },
      });
      // A new code replaces it; removing takes it off.
      const other = await w.createCode({ code: `five-${tag()}`, kind: 'FIXED_AMOUNT', value: 500 });
      expect(await apply(viewer, cart.id, other)).toMatchObject({
        discountCode: other,
        discount: { amount: 500 },
      });
      const removed = await (
        await w.h.as(viewer)
      )<{ removeDiscountCode: Record<string, unknown> }>(
        `mutation R($id: ID!) { removeDiscountCode(cartId: $id) { __typename ... on Cart { discountCode discount { amount } discountProblem } ... on CartNotFoundError { cartId } } }`,
        { id: cart.id },
      );
      expect(removed.data?.removeDiscountCode).toEqual({
        __typename: 'Cart',
        discountCode: null,
        discount: { amount: 0 },
        discountProblem: null,
      });
    });

    it('refuses with the typed errors and leaves the cart as it was', async () => {
      const t = tag();
      const soon = await w.createCode({
        code: `soon-${t}`,
        kind: 'PERCENTAGE',
        value: 10,
        startsAt: new Date(Date.now() + 3_600_000).toISOString(),
      });
      const minimum = await w.createCode({
        code: `min-${t}`,
        kind: 'PERCENTAGE',
        value: 10,
        minimumSubtotal: 5000,
      });
      const one = await w.createCode({ code: `one-${t}`, kind: 'PERCENTAGE', value: 10, usageLimit: 1 });
      const mine = await w.createCode({
        code: `mine-${t}`,
        kind: 'PERCENTAGE',
        value: 10,
        usageLimitPerCustomer: 1,
      });
      const p = await w.product(100, 1000);
      const user = customer();
      for (const code of [one, mine]) {
        const cartId = (await w.cartWith(user, [{ productId: p, quantity: 1 }])).id;
        const order = await w.checkout(user, {
          cartId,
          shippingAddress: addressIn('DE'),
          shippingMethodId: 'standard-eu',
          discountCode: code,
        });
        expect(order.__typename).toBe('Order');
      }
      const cart = await w.cartWith(user, [{ productId: p, quantity: 1 }]);
      const before = await w.service.carts.repository.findById(cart.id);
      const cases: [string, Record<string, unknown>][] = [
        [`nope-${t}`, { __typename: 'DiscountCodeNotFoundError', code: `NOPE-${t}`.toUpperCase() }],
        [soon, { __typename: 'DiscountCodeNotActiveError', code: soon }],
        [
          minimum,
          {
            __typename: 'DiscountCodeMinimumNotMetError',
            code: minimum,
            minimumSubtotal: { amount: 5000, currency: 'EUR' },
          },
        ],
        [one, { __typename: 'DiscountCodeUsedUpError', code: one }],
        [mine, { __typename: 'DiscountCodeAlreadyUsedError', code: mine }],
        ['a b', { __typename: 'InvalidInputError', field: 'code' }],
      ];
      for (const [code, expected] of cases) expect(await apply(user, cart.id, code)).toMatchObject(expected);
      expect(await w.service.carts.repository.findById(cart.id)).toEqual(before);
      // Unknown, someone else's and other forms of the cart id.
      for (const [viewer, cartId] of [
        [user, 'AAAAAAAAAAAAAAAAAAAAAA'],
        [user, cart.id.toUpperCase() === cart.id ? cart.id.toLowerCase() : cart.id.toUpperCase()],
        [customer(), cart.id],
        [null, cart.id],
      ] as const) {
        expect(await apply(viewer, cartId, minimum)).toMatchObject({
          __typename: 'CartNotFoundError',
          cartId,
        });
      }
    });

    it('per-customer limits count for a customer’s cart only; Cart.discountProblem says why a code stopped applying', async () => {
      const code = await w.createCode({
        code: `anon-${tag()}`,
        kind: 'FIXED_AMOUNT',
        value: 300,
        usageLimitPerCustomer: 1,
      });
      const user = customer();
      const p = await w.product(100, 1000);
      const used = await w.checkout(user, {
        cartId: (await w.cartWith(user, [{ productId: p, quantity: 1 }])).id,
        shippingAddress: addressIn('DE'),
        shippingMethodId: 'standard-eu',
        discountCode: code,
      });
      expect(used.__typename).toBe('Order');
      // An anonymous cart takes the code (nobody to count for) ...
      const anonymous = await w.cartWith(null, [{ productId: p, quantity: 1 }]);
      expect(await apply(user, anonymous.id, code)).toMatchObject({
        __typename: 'Cart',
        discount: { amount: 300 },
      });
      // ... checkout counts the customer's uses: refused, the cart kept with its code.
      const res = await w.checkout(user, {
        cartId: anonymous.id,
        shippingAddress: addressIn('DE'),
        shippingMethodId: 'standard-eu',
      });
      expect(res).toMatchObject({ __typename: 'DiscountCodeAlreadyUsedError', code });
      expect((await w.service.carts.repository.findById(anonymous.id))?.discountCode).toBe(code);
      // A code on a customer's cart that is used up meanwhile: discount 0 and the reason.
      const limited = await w.createCode({
        code: `gone-${tag()}`,
        kind: 'PERCENTAGE',
        value: 50,
        usageLimit: 1,
      });
      const viewer = customer();
      const cart = await w.cartWith(viewer, [{ productId: p, quantity: 2 }]);
      expect(await apply(viewer, cart.id, limited)).toMatchObject({
        discount: { amount: 1000 },
        discountProblem: null,
      });
      const rival = customer();
      await w.checkout(rival, {
        cartId: (await w.cartWith(rival, [{ productId: p, quantity: 1 }])).id,
        shippingAddress: addressIn('DE'),
        shippingMethodId: 'standard-eu',
        discountCode: limited,
      });
      const read = await (await w.h.as(viewer))<{ cart: Record<string, unknown> }>(CART, { id: cart.id });
      expect(read.data?.cart).toMatchObject({
        discountCode: limited,
        discount: { amount: 0 },
        discountProblem: expect.stringContaining('Every use'),
      });
    });
  });
});
