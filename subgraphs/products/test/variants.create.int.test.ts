/**
 * createProduct with options and variants (issue 18): what it stores, and its rules: at most 3
 * options with unique names
 * and 1-50 distinct values, 1-100 variants each with one value of every option, no combination or
 * SKU twice, one currency, the bounds of stock and price per variant. Each refusal is typed, names
 * the field, and leaves the store (products and the SKU registry) as it was.
 */
import type { Booted } from './helpers';
import { COLOUR, CREATE, eur, mutator, SIZE, shirt, snapshotOf, tag, variantInput } from './variants.queries';

const { admin, bootProducts } = await import('./helpers');
const { sizes, storedDoc } = await import('./variants.helpers');

let t: Booted;
let mutate: ReturnType<typeof mutator>;
let snapshot: ReturnType<typeof snapshotOf>;
beforeAll(async () => {
  t = await bootProducts('prodvarin', { MAX_STOCK: '1000', MAX_PRICE_AMOUNT: '50000' });
  mutate = mutator(t, admin);
  snapshot = snapshotOf(t);
});
afterAll(async () => {
  await t.cleanup();
});

describe('createProduct with options and variants', () => {
  it('stores the options and the variants in order, numbered from 1; sku, price and stock derived', async () => {
    const prefix = tag();
    const product = await mutate(CREATE, { input: shirt(prefix) });
    expect(product.__typename).toBe('Product');
    const id = product.id as string;
    expect(product).toEqual({
      __typename: 'Product',
      id,
      sku: `${prefix}-1`,
      stock: 10,
      price: eur(1900),
      options: [SIZE, COLOUR],
      variants: [
        {
          id: `${id}-1`,
          sku: `${prefix}-1`,
          title: 'M / Blue',
          selectedOptions: [
            { name: 'Size', value: 'M' },
            { name: 'Colour', value: 'Blue' },
          ],
          price: { amount: 2500 },
          stock: 4,
          availability: 'LOW_STOCK',
          inStock: true,
        },
        {
          id: `${id}-2`,
          sku: `${prefix}-2`,
          title: 'S / Red',
          selectedOptions: [
            { name: 'Size', value: 'S' },
            { name: 'Colour', value: 'Red' },
          ],
          price: { amount: 1900 },
          stock: 0,
          availability: 'OUT_OF_STOCK',
          inStock: false,
        },
        {
          id: `${id}-3`,
          sku: `${prefix}-3`,
          title: 'L / Red',
          selectedOptions: [
            { name: 'Size', value: 'L' },
            { name: 'Colour', value: 'Red' },
          ],
          price: { amount: 2100 },
          stock: 6,
          availability: 'IN_STOCK',
          inStock: true,
        },
      ],
    });
    expect(await storedDoc(t, id)).toMatchObject({ nextVariant: 4, sku: `${prefix}-1`, stock: 10 });
    for (const n of [1, 2, 3])
      expect(await t.app.variantsRepository.skus.owner(`${prefix}-${n}`)).toEqual({ productId: id, n });
  });

  it('without options: one default variant from sku, price and stock, with an empty title', async () => {
    const sku = `PLAIN-${tag()}`;
    const product = await mutate(CREATE, {
      input: { sku, name: 'Plain', price: eur(700), stock: 3, category: 'variants' },
    });
    expect(product).toMatchObject({
      options: [],
      variants: [{ id: `${product.id as string}-1`, sku, title: '', selectedOptions: [], stock: 3 }],
    });
  });

  it('a SKU any variant of another product has is a DuplicateSkuError, and nothing is written or claimed', async () => {
    const existing = await sizes(t);
    const taken = existing.variants[1]!.sku;
    const prefix = tag();
    const before = await snapshot();
    const input = shirt(prefix);
    input.variants[2] = { ...input.variants[2]!, sku: taken };
    expect(await mutate(CREATE, { input })).toMatchObject({ __typename: 'DuplicateSkuError', sku: taken });
    expect(await snapshot()).toEqual(before);
    expect(await t.app.variantsRepository.skus.owner(`${prefix}-1`)).toBeNull();
    expect(await t.app.variantsRepository.skus.owner(taken)).toEqual({ productId: existing.id, n: 2 });
  });

  it('concurrent createProducts sharing a variant SKU: exactly one is created', async () => {
    const shared = `SHARED-${tag()}`;
    const before = await t.store.collection('products').countDocuments({});
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => {
        const input = shirt(`C${i}${tag()}`);
        input.variants[1] = { ...input.variants[1]!, sku: shared };
        return mutate(CREATE, { input });
      }),
    );
    expect(results.filter((r) => r.__typename === 'Product')).toHaveLength(1);
    expect(results.filter((r) => r.__typename === 'DuplicateSkuError')).toHaveLength(7);
    expect(await t.store.collection('products').countDocuments({})).toBe(before + 1);
  });

  const tooMany = Array.from({ length: 51 }, (_, i) => `V${i}`);
  it.each([
    [
      '4 options',
      { options: [SIZE, COLOUR, { name: 'A', values: ['x'] }, { name: 'B', values: ['y'] }] },
      'options',
    ],
    [
      'an option name twice (ignoring case)',
      { options: [SIZE, { name: 'size', values: ['x'] }] },
      'options[1].name',
    ],
    ['an option without values', { options: [SIZE, { name: 'Colour', values: [] }] }, 'options[1].values'],
    [
      'an option with 51 values',
      { options: [SIZE, { name: 'Colour', values: tooMany }] },
      'options[1].values',
    ],
    [
      'a value twice',
      { options: [SIZE, { name: 'Colour', values: ['Red', 'red'] }] },
      'options[1].values[1]',
    ],
    [
      'an option name of 51 characters',
      { options: [SIZE, { name: 'x'.repeat(51), values: ['a'] }] },
      'options[1].name',
    ],
    ['a blank option value', { options: [SIZE, { name: 'Colour', values: ['  '] }] }, 'options[1].values[0]'],
    [
      'a control character in a value',
      { options: [SIZE, { name: 'Colour', values: ['Re\u0007d'] }] },
      'options[1].values[0]',
    ],
    ['options without variants', { variants: null }, 'variants'],
    ['variants without options', { options: null }, 'variants'],
    [
      '101 variants',
      { variants: Array.from({ length: 101 }, () => variantInput('X', 'S', 'Red')) },
      'variants',
    ],
    ['stock beside variants', { stock: 3 }, 'stock'],
    ['sku other than the first variant’s', { sku: 'OTHER-SKU' }, 'sku'],
    ['price other than the first variant’s', { price: eur(1) }, 'price'],
  ])('%s is an InvalidInputError and writes nothing', async (_label, over, field) => {
    const before = await snapshot();
    const res = await mutate(CREATE, { input: shirt(tag(), over) });
    expect(res).toMatchObject({ __typename: 'InvalidInputError', field });
    expect(await snapshot()).toEqual(before);
  });

  const prefixed = (edit: (v: ReturnType<typeof variantInput>[]) => unknown[]) => (prefix: string) => {
    const input = shirt(prefix);
    return { ...input, variants: edit(input.variants as ReturnType<typeof variantInput>[]) };
  };
  it.each([
    [
      'a variant without a value of every option',
      prefixed((v) => [v[0], { ...v[1], selectedOptions: [{ name: 'Size', value: 'S' }] }]),
      'variants[1].selectedOptions',
      'InvalidInputError',
    ],
    [
      'a value that is not the option’s',
      prefixed((v) => [v[0], variantInput('Y-2', 'XL', 'Red')]),
      'variants[1].selectedOptions',
      'InvalidInputError',
    ],
    [
      'an unknown option',
      prefixed((v) => [
        v[0],
        { ...v[1], selectedOptions: [...v[1]!.selectedOptions, { name: 'Fit', value: 'Slim' }] },
      ]),
      'variants[1].selectedOptions',
      'InvalidInputError',
    ],
    [
      'an option given twice',
      prefixed((v) => [
        v[0],
        { ...v[1], selectedOptions: [...v[1]!.selectedOptions, { name: 'Size', value: 'M' }] },
      ]),
      'variants[1].selectedOptions',
      'InvalidInputError',
    ],
    [
      'a combination twice',
      prefixed((v) => [v[0], { ...v[1], selectedOptions: v[0]!.selectedOptions }]),
      'variants[1].selectedOptions',
      'InvalidInputError',
    ],
    [
      'another currency',
      prefixed((v) => [v[0], { ...v[1], price: { amount: 100, currency: 'GBP' } }]),
      'variants[1].price.currency',
      'InvalidInputError',
    ],
    [
      'a bad SKU',
      prefixed((v) => [v[0], { ...v[1], sku: 'has space' }]),
      'variants[1].sku',
      'InvalidInputError',
    ],
    [
      'negative stock',
      prefixed((v) => [v[0], { ...v[1], stock: -1 }]),
      'variants[1].stock',
      'InvalidInputError',
    ],
    ['stock above MAX_STOCK', prefixed((v) => [v[0], { ...v[1], stock: 1001 }]), null, 'StockLimitError'],
    [
      'a price above MAX_PRICE_AMOUNT',
      prefixed((v) => [v[0], { ...v[1], price: eur(50_001) }]),
      null,
      'PriceLimitError',
    ],
    [
      'one SKU on two variants',
      prefixed((v) => [v[0], { ...v[1], sku: v[0]!.sku }]),
      null,
      'DuplicateSkuError',
    ],
  ])('%s is refused (%s) and writes nothing', async (_label, make, field, typename) => {
    const before = await snapshot();
    const res = await mutate(CREATE, { input: make(tag()) });
    expect(res.__typename).toBe(typename);
    if (field) expect(res.field).toBe(field);
    expect(await snapshot()).toEqual(before);
  });
});
