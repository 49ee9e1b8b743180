import { customer } from './helpers';
import { bootCarts, cartOf, type CartsHarness } from './carts.fixtures';

/**
 * Carts per variant (issue 18), against MariaDB and the real products subgraph: a line is one
 * variant, priced and stocked per variant; which variant an edit means; variant ids only in the
 * issued form of their product; concurrent adds of two variants; merging per variant.
 */

// MAX_CART_LINES 5, MAX_LINE_QUANTITY 10 (carts.fixtures.ts).
let t: CartsHarness;
let shirt: { id: string; variants: { id: string }[] };
let mug: { id: string };
let S: string;
let M: string;
let L: string;

const LINE = `variant { id } variantTitle product { id } productName quantity unitPrice { amount } addedUnitPrice { amount } available status`;
type VariantLine = {
  variant: { id: string };
  variantTitle: string;
  product: { id: string };
  productName: string;
  quantity: number;
  unitPrice: { amount: number } | null;
  addedUnitPrice: { amount: number };
  available: number;
  status: string;
};
const linesOf = async (cartId: string, viewer: ReturnType<typeof customer> | null = null) => {
  const res = await (
    await t.h.as(viewer)
  )<{ cart: { lines: VariantLine[] } | null }>(`query ($id: ID) { cart(id: $id) { lines { ${LINE} } } }`, {
    id: cartId,
  });
  expect(res.errors).toBeUndefined();
  return res.data!.cart!.lines;
};

beforeAll(async () => {
  t = await bootCarts();
  shirt = await t.addVariants('Shirt', [
    { value: 'S', amount: 1800, stock: 4 },
    { value: 'M', amount: 2000, stock: 10 },
    { value: 'L', amount: 2200, stock: 0 },
  ]);
  [S, M, L] = shirt.variants.map((v) => v.id) as [string, string, string];
  mug = await t.product('Mug', 20, 800);
});
afterAll(async () => {
  await t.stop();
});

describe('a line is one variant', () => {
  it('two variants of one product are two lines, each priced and stocked as its variant', async () => {
    expect([S, M, L]).toEqual([`${shirt.id}-1`, `${shirt.id}-2`, `${shirt.id}-3`]);
    const cart = cartOf(await t.add(null, { productId: shirt.id, variantId: M, quantity: 2 }));
    await t.add(null, { cartId: cart.id, productId: shirt.id, variantId: S, quantity: 5 });
    await t.add(null, { cartId: cart.id, productId: shirt.id, variantId: M, quantity: 1 });
    const final = cartOf(
      await t.add(null, { cartId: cart.id, productId: shirt.id, variantId: L, quantity: 1 }),
    );
    expect(final.quantity).toBe(9);
    expect(final.subtotal).toEqual({ amount: 3 * 2000 + 5 * 1800 + 2200, currency: 'EUR' });
    expect(await linesOf(cart.id)).toEqual([
      {
        variant: { id: M },
        variantTitle: 'M',
        product: { id: shirt.id },
        productName: 'Shirt',
        quantity: 3,
        unitPrice: { amount: 2000 },
        addedUnitPrice: { amount: 2000 },
        available: 10,
        status: 'AVAILABLE',
      },
      expect.objectContaining({
        variant: { id: S },
        variantTitle: 'S',
        quantity: 5,
        available: 4,
        status: 'INSUFFICIENT_STOCK',
      }),
      expect.objectContaining({
        variant: { id: L },
        variantTitle: 'L',
        quantity: 1,
        available: 0,
        status: 'OUT_OF_STOCK',
      }),
    ]);
    const rows = await t.h.app.db.rows<{ variant_id: string; variant_title: string }>(
      'SELECT variant_id, variant_title FROM cart_lines WHERE cart_id = ? ORDER BY position',
      [cart.id],
    );
    expect(rows.map((r) => [r.variant_id, r.variant_title])).toEqual([
      [M, 'M'],
      [S, 'S'],
      [L, 'L'],
    ]);
  });

  it('a product without options needs no variantId: its only variant, <productId>-1', async () => {
    const cart = cartOf(await t.add(null, { productId: mug.id, quantity: 1 }));
    const same = cartOf(
      await t.add(null, { cartId: cart.id, productId: mug.id, variantId: `${mug.id}-1`, quantity: 1 }),
    );
    expect(same.lines).toHaveLength(1);
    expect(await linesOf(cart.id)).toEqual([
      expect.objectContaining({ variant: { id: `${mug.id}-1` }, variantTitle: '', quantity: 2 }),
    ]);
  });

  it('refuses a product with several variants without variantId (InvalidInputError variantId), leaving no cart', async () => {
    const carts = (await t.rows()).length;
    const refused = await t.add(null, { productId: shirt.id, quantity: 1 });
    expect(refused).toMatchObject({ __typename: 'InvalidInputError', field: 'variantId' });
    expect((refused as { message: string }).message).toMatch(/^Choose a variant of Shirt/);
    expect((await t.rows()).length).toBe(carts);
    // For a customer's existing cart: nothing changes either.
    const ann = customer('ann');
    const cart = cartOf(await t.add(ann, { productId: mug.id, quantity: 1 }));
    const version = (await t.rows()).find((r) => r.id === cart.id)!.version;
    expect(await t.add(ann, { productId: shirt.id, variantId: null, quantity: 1 })).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'variantId',
    });
    expect((await t.rows()).find((r) => r.id === cart.id)!.version).toBe(version);
  });
});

describe('variant ids as issued only', () => {
  it('other forms are UnknownProductError with the variantId, without a lookup; a number the product lacks after one', async () => {
    const cart = cartOf(await t.add(null, { productId: mug.id, quantity: 1 }));
    const forms = [
      M.toUpperCase(),
      `${shirt.id.toUpperCase()}-2`,
      `${mug.id}-1`, // another product's variant
      `${shirt.id}-0`,
      `${shirt.id}-02`,
      `${shirt.id}- 2`,
      ` ${M}`,
      `${M}\n`,
      `${shirt.id}-`,
      `${shirt.id}2`,
      shirt.id,
      `{${M}}`,
      '',
    ];
    const lookups = t.lookups();
    for (const variantId of forms) {
      for (const edit of [
        () => t.add(null, { cartId: cart.id, productId: shirt.id, variantId, quantity: 1 }),
        () => t.update(null, { cartId: cart.id, productId: shirt.id, variantId, quantity: 1 }),
      ])
        expect(await edit()).toMatchObject({
          __typename: 'UnknownProductError',
          productId: shirt.id,
          variantId,
        });
    }
    expect(t.lookups()).toBe(lookups);
    // In the issued form but not one of the product's variants (missing): asked, then refused.
    const missing = `${shirt.id}-9`;
    expect(
      await t.add(null, { cartId: cart.id, productId: shirt.id, variantId: missing, quantity: 1 }),
    ).toMatchObject({
      __typename: 'UnknownProductError',
      productId: shirt.id,
      variantId: missing,
    });
    expect(t.lookups()).toBe(lookups + 1);
    // Removing a line in another form removes nothing, and is no error.
    for (const variantId of [`${mug.id.toUpperCase()}-1`, `${mug.id}-01`, `${mug.id}-2`, `${shirt.id}-1`])
      expect(cartOf(await t.remove(null, { cartId: cart.id, productId: mug.id, variantId })).quantity).toBe(
        1,
      );
    expect((await t.linesOf(cart.id)).map((l) => l.product_id)).toEqual([mug.id]);
  });

  it('a removed variant: its line reads PRODUCT_UNAVAILABLE with the stored title, cannot be added or changed, can be removed', async () => {
    const product = await t.addVariants(
      'Cap',
      [
        { value: 'Red', amount: 1000, stock: 5 },
        { value: 'Blue', amount: 1100, stock: 5 },
      ],
      'Colour',
    );
    const [red, blue] = product.variants.map((v) => v.id) as [string, string];
    const cart = cartOf(await t.add(null, { productId: product.id, variantId: red, quantity: 1 }));
    await t.add(null, { cartId: cart.id, productId: product.id, variantId: blue, quantity: 2 });
    await t.removeVariant(red);
    expect(await linesOf(cart.id)).toEqual([
      expect.objectContaining({
        variant: { id: red },
        variantTitle: 'Red',
        productName: 'Cap',
        unitPrice: null,
        available: 0,
        status: 'PRODUCT_UNAVAILABLE',
      }),
      expect.objectContaining({ variant: { id: blue }, variantTitle: 'Blue', status: 'AVAILABLE' }),
    ]);
    for (const edit of [
      () => t.add(null, { cartId: cart.id, productId: product.id, variantId: red, quantity: 1 }),
      () => t.update(null, { cartId: cart.id, productId: product.id, variantId: red, quantity: 3 }),
    ])
      expect(await edit()).toMatchObject({
        __typename: 'UnknownProductError',
        productId: product.id,
        variantId: red,
      });
    // Its number is never reused: the next variant of the product is another id.
    const left = cartOf(await t.remove(null, { cartId: cart.id, productId: product.id, variantId: red }));
    expect(left.lines.map((l) => l.quantity)).toEqual([2]);
    // With one line of the product left, updateCartLine without variantId means it.
    const updated = cartOf(await t.update(null, { cartId: cart.id, productId: product.id, quantity: 4 }));
    expect(updated.quantity).toBe(4);
    expect((await t.linesOf(cart.id)).map((l) => l.quantity)).toEqual([4]);
  });
});

describe('which line an update or removal means', () => {
  it('by variantId; without one, the only line of the product; several are refused; removal without one takes all', async () => {
    const cart = cartOf(await t.add(null, { productId: shirt.id, variantId: M, quantity: 1 }));
    // Only one line of the shirt: the update without a variant means it.
    cartOf(await t.update(null, { cartId: cart.id, productId: shirt.id, quantity: 3 }));
    expect(await t.linesOf(cart.id)).toEqual([{ product_id: shirt.id, quantity: 3, position: 0 }]);
    // A variant not in the cart with a quantity is added (like an add of that variant).
    cartOf(await t.update(null, { cartId: cart.id, productId: shirt.id, variantId: S, quantity: 2 }));
    cartOf(await t.add(null, { cartId: cart.id, productId: mug.id, quantity: 1 }));
    const version = (await t.rows()).find((r) => r.id === cart.id)!.version;
    // Two lines of the shirt: without a variant, update and update to 0 are refused.
    for (const quantity of [5, 0])
      expect(await t.update(null, { cartId: cart.id, productId: shirt.id, quantity })).toMatchObject({
        __typename: 'InvalidInputError',
        field: 'variantId',
      });
    expect((await t.rows()).find((r) => r.id === cart.id)!.version).toBe(version);
    // By variant: exactly that line.
    cartOf(await t.update(null, { cartId: cart.id, productId: shirt.id, variantId: S, quantity: 4 }));
    cartOf(await t.update(null, { cartId: cart.id, productId: shirt.id, variantId: M, quantity: 0 }));
    expect((await linesOf(cart.id)).map((l) => [l.variant.id, l.quantity])).toEqual([
      [S, 4],
      [`${mug.id}-1`, 1],
    ]);
    // removeCartLine of a variant takes that line; without a variant every line of the product.
    cartOf(await t.add(null, { cartId: cart.id, productId: shirt.id, variantId: M, quantity: 1 }));
    cartOf(await t.remove(null, { cartId: cart.id, productId: shirt.id, variantId: `${shirt.id}-9` }));
    expect(await t.linesOf(cart.id)).toHaveLength(3);
    const after = cartOf(await t.remove(null, { cartId: cart.id, productId: shirt.id }));
    expect(after.lines.map((l) => l.product.id)).toEqual([mug.id]);
  });

  it('MAX_CART_LINES counts variant lines', async () => {
    const many = await t.addVariants(
      'Sock',
      ['36', '38', '40', '42', '44', '46'].map((value) => ({ value, amount: 500, stock: 10 })),
    );
    const ids = many.variants.map((v) => v.id);
    const cart = cartOf(await t.add(null, { productId: many.id, variantId: ids[0], quantity: 1 }));
    for (const id of ids.slice(1, 5))
      cartOf(await t.add(null, { cartId: cart.id, productId: many.id, variantId: id, quantity: 1 }));
    expect(
      await t.add(null, { cartId: cart.id, productId: many.id, variantId: ids[5], quantity: 1 }),
    ).toMatchObject({
      __typename: 'CartLineLimitError',
      maxLines: 5,
    });
    // More units of a variant already in the cart are no new line; MAX_LINE_QUANTITY is per variant.
    expect(
      cartOf(await t.add(null, { cartId: cart.id, productId: many.id, variantId: ids[0], quantity: 9 }))
        .quantity,
    ).toBe(14);
    expect(
      await t.add(null, { cartId: cart.id, productId: many.id, variantId: ids[0], quantity: 1 }),
    ).toMatchObject({
      __typename: 'CartLineLimitError',
      maxQuantity: 10,
    });
  });
});

describe('concurrency and merging', () => {
  it('concurrent adds of two variants to one cart: both lines, no unit lost', async () => {
    const bea = customer('bea');
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        t.add(bea, { productId: shirt.id, variantId: i % 2 ? M : S, quantity: 1 }),
      ),
    );
    expect(results.every((r) => r.__typename === 'Cart')).toBe(true);
    const ids = new Set(results.map((r) => cartOf(r).id));
    expect(ids.size).toBe(1);
    const [cartId] = [...ids] as [string];
    const lines = await linesOf(cartId, bea);
    expect(lines.map((l) => [l.variant.id, l.quantity]).sort()).toEqual(
      [
        [S, 5],
        [M, 5],
      ].sort(),
    );
    // One cart, created once, and 10 changes of it.
    expect((await t.rows()).filter((r) => r.user_id === bea.id)).toHaveLength(1);
    expect((await t.rows()).find((r) => r.id === cartId)!.version).toBe(10);
  });

  it('mergeCart adds up the same variant and keeps other variants of the product as their own lines', async () => {
    const cid = customer('cid');
    cartOf(await t.add(cid, { productId: shirt.id, variantId: M, quantity: 2 }));
    const anonymous = cartOf(await t.add(null, { productId: shirt.id, variantId: M, quantity: 3 }));
    await t.add(null, { cartId: anonymous.id, productId: shirt.id, variantId: S, quantity: 1 });
    await t.add(null, { cartId: anonymous.id, productId: mug.id, quantity: 1 });
    const merged = cartOf(await t.merge(cid, anonymous.id));
    expect(merged.quantity).toBe(7);
    expect((await linesOf(merged.id, cid)).map((l) => [l.variant.id, l.variantTitle, l.quantity])).toEqual([
      [M, 'M', 5],
      [S, 'S', 1],
      [`${mug.id}-1`, '', 1],
    ]);
    // The anonymous cart is gone; a replay adds nothing.
    expect(await t.merge(cid, anonymous.id)).toMatchObject({ __typename: 'CartNotFoundError' });
    expect(cartOf(await t.add(cid, { productId: mug.id, quantity: 1 })).quantity).toBe(8);
  });
});
