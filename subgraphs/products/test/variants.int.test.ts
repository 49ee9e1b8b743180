/**
 * Variants through the admin API (issue 18): addVariant,
 * updateVariant, removeVariant and adjustStock of a variant, SKUs unique across every variant of
 * every product (also under concurrency), and what shoppers and admins see of a variant
 * (createProduct with variants: variants.create.int.test.ts). Every "nothing written" is read from
 * the store (products and the SKU registry).
 */
import { randomUUID } from 'node:crypto';
import { request, ReleaseReply, ReserveReply } from '@shop/messaging';
import type { Booted } from './helpers';
import {
  ADD,
  ADJUST,
  CREATE,
  eur,
  mutator,
  REMOVE,
  shirt,
  snapshotOf,
  tag,
  UPDATE,
  variantInput,
  type Result,
} from './variants.queries';

const { admin, bootProducts, customer } = await import('./helpers');
const { addProduct, addVariantProduct, sizes } = await import('./variants.helpers');

let t: Booted;
let mutate: ReturnType<typeof mutator>;
let snapshot: ReturnType<typeof snapshotOf>;
beforeAll(async () => {
  t = await bootProducts('prodvar', { MAX_STOCK: '1000', MAX_PRICE_AMOUNT: '50000' });
  mutate = mutator(t, admin);
  snapshot = snapshotOf(t);
});
afterAll(async () => {
  await t.cleanup();
});

describe('addVariant, updateVariant, removeVariant', () => {
  it('addVariant: the next number, a combination not offered yet, derived fields in the same write', async () => {
    const product = await mutate(CREATE, { input: shirt(tag()) });
    const id = product.id as string;
    const sku = `ADD-${tag()}`;
    const added = await mutate(ADD, { productId: id, input: variantInput(sku, 'S', 'Blue', 900, 2) });
    expect(added).toMatchObject({ __typename: 'Product', price: eur(900), stock: 12 });
    expect((added.variants as { id: string; title: string }[]).map((v) => [v.id, v.title])).toEqual([
      [`${id}-1`, 'M / Blue'],
      [`${id}-2`, 'S / Red'],
      [`${id}-3`, 'L / Red'],
      [`${id}-4`, 'S / Blue'],
    ]);
    expect(await t.app.variantsRepository.skus.owner(sku)).toEqual({ productId: id, n: 4 });
    const before = await snapshot();
    for (const [input, field] of [
      [variantInput(`X-${tag()}`, 'S', 'Blue'), 'selectedOptions'],
      [variantInput(`X-${tag()}`, 'XL', 'Blue'), 'selectedOptions'],
      [
        { ...variantInput(`X-${tag()}`, 'L', 'Blue'), price: { amount: 1, currency: 'USD' } },
        'price.currency',
      ],
      [
        {
          ...variantInput(`X-${tag()}`, 'L', 'Blue'),
          images: [{ url: 'http://x.example/a.png', altText: 'a', width: 1, height: 1 }],
        },
        'images[0].url',
      ],
    ] as const) {
      expect(await mutate(ADD, { productId: id, input })).toMatchObject({
        __typename: 'InvalidInputError',
        field,
      });
    }
    expect(await mutate(ADD, { productId: id, input: variantInput(sku, 'L', 'Blue') })).toMatchObject({
      __typename: 'DuplicateSkuError',
      sku,
    });
    expect(await snapshot()).toEqual(before);
  });

  it('addVariant refuses a product without options, a 101st variant and unknown products', async () => {
    const plain = await addProduct(t);
    const before = await snapshot();
    expect(
      await mutate(ADD, {
        productId: plain.id,
        input: { ...variantInput(`P-${tag()}`, 'S', 'Red'), selectedOptions: [] },
      }),
    ).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'productId',
    });
    const values = Array.from({ length: 50 }, (_, i) => `N${i}`);
    const full = await addVariantProduct(
      t,
      [
        { name: 'Number', values },
        { name: 'Side', values: ['A', 'B', 'C'] },
      ],
      Array.from({ length: 100 }, (_, i) => ({ values: [values[i % 50]!, i < 50 ? 'A' : 'B'] })),
    );
    const before100 = await snapshot();
    const res = await mutate(ADD, {
      productId: full.id,
      input: {
        sku: `F-${tag()}`,
        selectedOptions: [
          { name: 'Number', value: 'N0' },
          { name: 'Side', value: 'C' },
        ],
        price: eur(1000),
      },
    });
    expect(res).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'productId',
      message: expect.stringContaining('100'),
    });
    expect(await snapshot()).toEqual(before100);
    for (const productId of ['f'.repeat(24), full.id.toUpperCase(), `${full.id}-1`]) {
      expect(await mutate(ADD, { productId, input: variantInput(`Q-${tag()}`, 'S', 'Red') })).toEqual({
        __typename: 'ProductNotFoundError',
        productId,
      });
    }
    expect((await snapshot()).products.length).toBe(before.products.length + 1);
  });

  it('concurrent addVariants with one SKU on several products: exactly one gets it', async () => {
    const sku = `RACE-${tag()}`;
    const withL = await Promise.all(
      Array.from({ length: 6 }, () =>
        addVariantProduct(t, [{ name: 'Size', values: ['S', 'M', 'L'] }], [{ values: ['S'] }]),
      ),
    );
    const raced = await Promise.all(
      withL.map((p) =>
        mutate(ADD, {
          productId: p.id,
          input: { sku, selectedOptions: [{ name: 'Size', value: 'L' }], price: eur(1000) },
        }),
      ),
    );
    expect(raced.filter((r) => r.__typename === 'Product')).toHaveLength(1);
    expect(raced.filter((r) => r.__typename === 'DuplicateSkuError')).toHaveLength(5);
    const owner = await t.app.variantsRepository.skus.owner(sku);
    const winner = withL[raced.findIndex((r) => r.__typename === 'Product')]!;
    expect(owner).toEqual({ productId: winner.id, n: 2 });
    const docs = await t.store
      .collection('products')
      .find({ 'variants.sku': sku } as never)
      .toArray();
    expect(docs).toHaveLength(1);
  });

  it('updateVariant: a new SKU frees the old one, a price changes the derived lowest price', async () => {
    const p = await sizes(t, [3, 3], [1500, 1700]);
    const other = await sizes(t);
    const old = p.variants[0]!.sku;
    const renamed = `REN-${tag()}`;
    const res = await mutate(UPDATE, { id: `${p.id}-1`, input: { sku: renamed, price: eur(1800) } });
    expect(res).toMatchObject({ __typename: 'Product', sku: renamed, price: eur(1700) });
    expect(await t.app.variantsRepository.skus.owner(renamed)).toEqual({ productId: p.id, n: 1 });
    expect(await t.app.variantsRepository.skus.owner(old)).toBeNull();
    // The old SKU is free for any variant now; a taken one is refused.
    expect(await mutate(UPDATE, { id: `${other.id}-2`, input: { sku: old } })).toMatchObject({
      __typename: 'Product',
    });
    const before = await snapshot();
    expect(await mutate(UPDATE, { id: `${p.id}-2`, input: { sku: old } })).toMatchObject({
      __typename: 'DuplicateSkuError',
      sku: old,
    });
    expect(
      await mutate(UPDATE, { id: `${p.id}-2`, input: { price: { amount: 5, currency: 'USD' } } }),
    ).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'price.currency',
    });
    expect(await mutate(UPDATE, { id: `${p.id}-2`, input: {} })).toMatchObject({
      __typename: 'InvalidInputError',
    });
    expect(await mutate(UPDATE, { id: `${p.id}-9`, input: { sku: `N-${tag()}` } })).toEqual({
      __typename: 'VariantNotFoundError',
      variantId: `${p.id}-9`,
    });
    expect(await snapshot()).toEqual(before);
  });

  it('updateProduct cannot give a product’s only variant a SKU another variant has', async () => {
    const p = await addProduct(t);
    const other = await sizes(t);
    const taken = other.variants[1]!.sku;
    const before = await snapshot();
    const res = await t.query<{ updateProduct: Result }>(
      `mutation($id: ID!, $sku: String!) { updateProduct(id: $id, input: { sku: $sku }) { __typename ... on DuplicateSkuError { sku } } }`,
      { id: p.id, sku: taken },
      admin,
    );
    expect(res.data!.updateProduct).toEqual({ __typename: 'DuplicateSkuError', sku: taken });
    expect(await snapshot()).toEqual(before);
  });

  it('removeVariant: refused for the last variant and while orders hold its units; its number is never reused', async () => {
    const p = await sizes(t, [5, 5]);
    const orderId = randomUUID();
    expect(
      await request(
        t.nc,
        t.names.commands.productsReserve,
        { orderId, items: [{ productId: p.id, variantId: `${p.id}-1`, quantity: 2 }] },
        ReserveReply,
      ),
    ).toMatchObject({ ok: true });
    const before = await snapshot();
    const held = await mutate(REMOVE, { id: `${p.id}-1` });
    expect(held).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'id',
      message: expect.stringContaining('orders hold 2 units'),
    });
    expect(await snapshot()).toEqual(before);
    expect(await request(t.nc, t.names.commands.productsRelease, { orderId }, ReleaseReply)).toEqual({
      ok: true,
      released: true,
    });
    const removed = await mutate(REMOVE, { id: `${p.id}-1` });
    expect(removed).toMatchObject({
      __typename: 'Product',
      sku: p.variants[1]!.sku,
      stock: 5,
      price: eur(1700),
    });
    expect((removed.variants as { id: string }[]).map((v) => v.id)).toEqual([`${p.id}-2`]);
    expect(await t.app.variantsRepository.skus.owner(p.variants[0]!.sku)).toBeNull();
    const last = await snapshot();
    expect(await mutate(REMOVE, { id: `${p.id}-2` })).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'id',
      message: expect.stringContaining('last'),
    });
    expect(await mutate(REMOVE, { id: `${p.id}-1` })).toEqual({
      __typename: 'VariantNotFoundError',
      variantId: `${p.id}-1`,
    });
    expect(await snapshot()).toEqual(last);
    // Adding S again gives it number 3: an id once issued never names another variant.
    const again = await mutate(ADD, {
      productId: p.id,
      input: { sku: p.variants[0]!.sku, selectedOptions: [{ name: 'Size', value: 'S' }], price: eur(1500) },
    });
    expect((again.variants as { id: string }[]).map((v) => v.id)).toEqual([`${p.id}-2`, `${p.id}-3`]);
    const gone = await t.query<{ productVariant: unknown }>(
      'query($id: ID!) { productVariant(id: $id) { id } }',
      { id: `${p.id}-1` },
    );
    expect(gone.data).toEqual({ productVariant: null });
  });

  it('adjustStock by variant id or by the id of a product with one variant; several variants need the variant', async () => {
    const plain = await addProduct(t, { stock: 2 });
    expect(await mutate(ADJUST, { id: plain.id, delta: 3 })).toMatchObject({
      __typename: 'Product',
      stock: 5,
    });
    expect(await mutate(ADJUST, { id: `${plain.id}-1`, delta: -5 })).toMatchObject({
      stock: 0,
      variants: [{ stock: 0 }],
    });
    const p = await sizes(t, [1, 1]);
    expect(await mutate(ADJUST, { id: p.id, delta: 1 })).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'id',
    });
    expect(await mutate(ADJUST, { id: `${p.id}-2`, delta: 4 })).toMatchObject({
      stock: 6,
      variants: [{ stock: 1 }, { stock: 5 }],
    });
    expect(await mutate(ADJUST, { id: `${p.id}-1`, delta: -2 })).toEqual({
      __typename: 'StockBelowZeroError',
      refusedAt: 1,
    });
    expect(await mutate(ADJUST, { id: `${p.id}-3`, delta: 1 })).toEqual({
      __typename: 'VariantNotFoundError',
      variantId: `${p.id}-3`,
    });
  });

  it('a customer gets FORBIDDEN and an anonymous caller UNAUTHENTICATED for every variant mutation; nothing is written', async () => {
    const p = await sizes(t);
    const before = await snapshot();
    for (const [query, variables] of [
      [ADD, { productId: p.id, input: variantInput(`F-${tag()}`, 'S', 'Red') }],
      [UPDATE, { id: `${p.id}-1`, input: { sku: `F-${tag()}` } }],
      [REMOVE, { id: `${p.id}-1` }],
      [ADJUST, { id: `${p.id}-1`, delta: 5 }],
    ] as const) {
      expect((await t.query(query, variables, customer)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect((await t.query(query, variables)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe('what shoppers and admins see of a variant', () => {
  const VARIANT = `query($id: ID!) { productVariant(id: $id) {
    id sku title stock inStock availability price { amount } product { id name } images { url } } }`;

  it('stock is for admins only; availability follows LOW_STOCK_THRESHOLD (5)', async () => {
    const p = await addVariantProduct(
      t,
      [{ name: 'Pack', values: ['0', '1', '5', '6'] }],
      [
        { values: ['0'], stock: 0 },
        { values: ['1'], stock: 1 },
        { values: ['5'], stock: 5 },
        { values: ['6'], stock: 6 },
      ],
    );
    const expected = ['OUT_OF_STOCK', 'LOW_STOCK', 'LOW_STOCK', 'IN_STOCK'];
    for (const [i, stock] of [0, 1, 5, 6].entries()) {
      const id = `${p.id}-${i + 1}`;
      for (const viewer of [undefined, customer]) {
        const res = await t.query<{ productVariant: Result }>(VARIANT, { id }, viewer);
        expect(res.data!.productVariant).toMatchObject({
          id,
          stock: null,
          availability: expected[i],
          inStock: stock > 0,
        });
      }
      const asAdmin = await t.query<{ productVariant: Result }>(VARIANT, { id }, admin);
      expect(asAdmin.data!.productVariant).toMatchObject({ stock, product: { id: p.id, name: p.name } });
    }
  });

  it('_entities resolves ProductVariant references by variant id in one product read per product', async () => {
    const a = await sizes(t);
    const b = await addProduct(t);
    const res = await t.query<{ _entities: (Result | null)[] }>(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on ProductVariant { id title product { id } } } }',
      {
        r: [
          { __typename: 'ProductVariant', id: `${a.id}-2` },
          { __typename: 'ProductVariant', id: `${b.id}-1` },
          { __typename: 'ProductVariant', id: `${a.id}-1` },
          { __typename: 'ProductVariant', id: `${a.id}-7` },
          { __typename: 'ProductVariant', id: 42 },
        ],
      },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!._entities).toEqual([
      { id: `${a.id}-2`, title: 'M', product: { id: a.id } },
      { id: `${b.id}-1`, title: '', product: { id: b.id } },
      { id: `${a.id}-1`, title: 'S', product: { id: a.id } },
      null,
      null,
    ]);
  });
});
