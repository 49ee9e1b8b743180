import type { Booted } from './helpers';

const { addProduct, admin, bootProducts, customer } = await import('./helpers');

let t: Booted;
beforeAll(async () => {
  t = await bootProducts('prodadm');
});
afterAll(async () => {
  await t.cleanup();
});

const CREATE = `mutation($input: CreateProductInput!) {
  createProduct(input: $input) {
    __typename
    ... on Product { id sku name description stock inStock category price { amount currency } createdAt updatedAt }
    ... on InvalidInputError { message field }
    ... on DuplicateSkuError { message sku }
  }
}`;
const UPDATE = `mutation($id: ID!, $input: UpdateProductInput!) {
  updateProduct(id: $id, input: $input) {
    __typename
    ... on Product { id sku name price { amount currency } }
    ... on Error { message }
    ... on InvalidInputError { field }
  }
}`;
const ADJUST = `mutation($id: ID!, $delta: Int!) {
  adjustStock(id: $id, delta: $delta) {
    __typename
    ... on Product { id stock }
    ... on StockBelowZeroError { message onHand: stock delta }
    ... on ProductNotFoundError { productId }
    ... on InvalidInputError { field }
  }
}`;

type Result = Record<string, unknown> & { __typename: string };
const valid = (sku: string) => ({
  sku,
  name: 'Walnut Desk Organiser',
  description: 'Keeps pens in line.',
  price: { amount: 2490, currency: 'EUR' },
  stock: 12,
  category: 'home',
});

describe('admin mutations', () => {
  it('an admin creates, updates and adjusts a product', async () => {
    const created = await t.query<{ createProduct: Result }>(CREATE, { input: valid('DESK-ORG-1') }, admin);
    expect(created.errors).toBeUndefined();
    const product = created.data!.createProduct;
    expect(product).toMatchObject({
      __typename: 'Product',
      sku: 'DESK-ORG-1',
      stock: 12,
      inStock: true,
      price: { amount: 2490, currency: 'EUR' },
    });

    const updated = await t.query<{ updateProduct: Result }>(
      UPDATE,
      { id: product.id, input: { name: 'Oak Desk Organiser', price: { amount: 2990, currency: 'GBP' } } },
      admin,
    );
    expect(updated.data!.updateProduct).toMatchObject({
      __typename: 'Product',
      name: 'Oak Desk Organiser',
      price: { amount: 2990, currency: 'GBP' },
    });

    const down = await t.query<{ adjustStock: Result }>(ADJUST, { id: product.id, delta: -12 }, admin);
    expect(down.data!.adjustStock).toEqual({ __typename: 'Product', id: product.id, stock: 0 });
    const below = await t.query<{ adjustStock: Result }>(ADJUST, { id: product.id, delta: -1 }, admin);
    expect(below.data!.adjustStock).toMatchObject({
      __typename: 'StockBelowZeroError',
      onHand: 0,
      delta: -1,
    });
    expect((await t.app.repository.findById(String(product.id)))?.stock).toBe(0);
    const missing = await t.query<{ adjustStock: Result }>(
      ADJUST,
      { id: '0123456789abcdef01234567', delta: 1 },
      admin,
    );
    expect(missing.data!.adjustStock).toEqual({
      __typename: 'ProductNotFoundError',
      productId: '0123456789abcdef01234567',
    });
  });

  it('a customer gets FORBIDDEN and an anonymous caller UNAUTHENTICATED; nothing is written', async () => {
    const target = await addProduct(t, { stock: 4 });
    const before = await t.app.repository.count();
    const cases: [string, Record<string, unknown>][] = [
      [CREATE, { input: valid('FORBIDDEN-1') }],
      [UPDATE, { id: target.id, input: { name: 'Hacked' } }],
      [ADJUST, { id: target.id, delta: 100 }],
    ];
    for (const [query, variables] of cases) {
      const asCustomer = await t.query(query, variables, customer);
      expect(asCustomer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const anonymous = await t.query(query, variables);
      expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    expect(await t.app.repository.count()).toBe(before);
    expect(await t.app.repository.findById(target.id)).toMatchObject({ name: target.name, stock: 4 });
  });

  it.each([
    ['negative price', { price: { amount: -1, currency: 'EUR' } }, 'price.amount'],
    ['unknown currency', { price: { amount: 100, currency: 'JPY' } }, 'price.currency'],
    ['negative stock', { stock: -5 }, 'stock'],
    ['description over 10,000 characters', { description: 'x'.repeat(10_001) }, 'description'],
    ['1 MB description', { description: 'y'.repeat(1_000_000) }, 'description'],
    ['blank name', { name: '   ' }, 'name'],
    ['malformed SKU', { sku: 'has spaces' }, 'sku'],
    ['a NUL byte in the name', { name: 'Desk\u0000Organiser' }, 'name'],
    ['a lone surrogate in the name', { name: 'Desk \uD800 Organiser' }, 'name'],
    ['a lone surrogate in the description', { description: 'Keeps \uDC00 pens' }, 'description'],
    ['a bell character in the description', { description: 'Keeps\u0007pens' }, 'description'],
    ['a control character in the category', { category: 'ho\u001bme' }, 'category'],
    ['a lone surrogate in the SKU', { sku: 'SKU-\uD83D' }, 'sku'],
  ])('createProduct with %s is an InvalidInputError and writes nothing', async (_label, override, field) => {
    const before = await t.app.repository.count();
    const res = await t.query<{ createProduct: Result }>(
      CREATE,
      { input: { ...valid(`BAD-${field.replace('.', '-')}`), ...override } },
      admin,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.createProduct).toMatchObject({ __typename: 'InvalidInputError', field });
    expect(await t.app.repository.count()).toBe(before);
  });

  it('createProduct keeps tabs and line breaks of a description verbatim', async () => {
    const description = 'Line one\n\tIndented line two\r\nLine three 😀';
    const res = await t.query<{ createProduct: Result }>(
      CREATE,
      { input: { ...valid('LAYOUT-001'), description } },
      admin,
    );
    expect(res.data!.createProduct).toMatchObject({ __typename: 'Product', description });
  });

  it('a duplicate SKU is a DuplicateSkuError on create and update, and writes nothing', async () => {
    const existing = await addProduct(t, { sku: 'DUP-SKU-1' });
    const other = await addProduct(t, { sku: 'DUP-SKU-2' });
    const before = await t.app.repository.count();
    const create = await t.query<{ createProduct: Result }>(CREATE, { input: valid('DUP-SKU-1') }, admin);
    expect(create.data!.createProduct).toMatchObject({ __typename: 'DuplicateSkuError', sku: 'DUP-SKU-1' });
    expect(await t.app.repository.count()).toBe(before);
    const update = await t.query<{ updateProduct: Result }>(
      UPDATE,
      { id: other.id, input: { sku: existing.sku, name: 'Renamed' } },
      admin,
    );
    expect(update.data!.updateProduct).toMatchObject({ __typename: 'DuplicateSkuError' });
    expect(await t.app.repository.findById(other.id)).toMatchObject({ sku: 'DUP-SKU-2', name: other.name });
  });

  it('updateProduct with bad input is an InvalidInputError and leaves the product unchanged', async () => {
    const p = await addProduct(t);
    for (const [input, field] of [
      [{ price: { amount: -10, currency: 'EUR' } }, 'price.amount'],
      [{ price: { amount: 10, currency: 'XXX' } }, 'price.currency'],
      [{ description: 'z'.repeat(10_001) }, 'description'],
      [{ name: 'Half \uDBFF name' }, 'name'],
      [{ description: 'nul \u0000 byte' }, 'description'],
      [{ category: 'x\uD800' }, 'category'],
    ] as const) {
      const res = await t.query<{ updateProduct: Result }>(UPDATE, { id: p.id, input }, admin);
      expect(res.data!.updateProduct).toMatchObject({ __typename: 'InvalidInputError', field });
    }
    const missing = await t.query<{ updateProduct: Result }>(
      UPDATE,
      { id: 'nope', input: { name: 'x' } },
      admin,
    );
    expect(missing.data!.updateProduct).toMatchObject({ __typename: 'ProductNotFoundError' });
    expect(await t.app.repository.findById(p.id)).toEqual(p);
  });

  it('concurrent adjustStock calls all apply (no lost updates)', async () => {
    const p = await addProduct(t, { stock: 0 });
    await Promise.all(Array.from({ length: 30 }, () => t.query(ADJUST, { id: p.id, delta: 2 }, admin)));
    expect((await t.app.repository.findById(p.id))?.stock).toBe(60);
  });
});
