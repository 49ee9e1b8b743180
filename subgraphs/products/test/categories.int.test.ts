/**
 * Categories (issue 18): the tree through the API (menu order, parent, children, breadcrumbs, a
 * category's products with its sub-tree's), the admin mutations and their typed errors (no cycles,
 * delete only when empty, slugs unique under concurrency), and how products name categories
 * (categoryIds, the legacy category string, Product.categories / Product.category).
 */
import type { Booted } from './helpers';

const { addProduct, admin, bootProducts, customer } = await import('./helpers');

let t: Booted;
beforeAll(async () => {
  t = await bootProducts('prodcats');
});
afterAll(async () => {
  await t.cleanup();
});

type Result = Record<string, unknown> & { __typename: string };

const CATEGORY_FIELDS = `id slug name description position
  parent { slug } children { slug } breadcrumbs { slug }`;
const CREATE = `mutation($input: CreateCategoryInput!) {
  createCategory(input: $input) {
    __typename
    ... on Category { ${CATEGORY_FIELDS} }
    ... on Error { message }
    ... on InvalidInputError { field }
    ... on DuplicateSlugError { slug }
    ... on CategoryNotFoundError { categoryId }
  }
}`;
const UPDATE = `mutation($id: ID!, $input: UpdateCategoryInput!) {
  updateCategory(id: $id, input: $input) {
    __typename
    ... on Category { ${CATEGORY_FIELDS} }
    ... on Error { message }
    ... on InvalidInputError { field }
    ... on DuplicateSlugError { slug }
    ... on CategoryNotFoundError { categoryId }
  }
}`;
const DELETE = `mutation($id: ID!) {
  deleteCategory(id: $id) {
    __typename
    ... on DeletedCategory { id }
    ... on CategoryNotEmptyError { message children products }
    ... on CategoryNotFoundError { categoryId }
  }
}`;
const CREATE_PRODUCT = `mutation($input: CreateProductInput!) {
  createProduct(input: $input) {
    __typename
    ... on Product { id slug category categories { slug } }
    ... on Error { message }
    ... on InvalidInputError { field }
    ... on CategoryNotFoundError { categoryId }
  }
}`;

async function create(input: Record<string, unknown>): Promise<Result> {
  const res = await t.query<{ createCategory: Result }>(CREATE, { input }, admin);
  expect(res.errors).toBeUndefined();
  return res.data!.createCategory;
}
async function createOk(input: Record<string, unknown>): Promise<{ id: string; slug: string }> {
  const result = await create(input);
  expect(result.__typename).toBe('Category');
  return result as unknown as { id: string; slug: string };
}
async function update(id: string, input: Record<string, unknown>): Promise<Result> {
  const res = await t.query<{ updateCategory: Result }>(UPDATE, { id, input }, admin);
  expect(res.errors).toBeUndefined();
  return res.data!.updateCategory;
}
const productInput = (sku: string, extra: Record<string, unknown>) => ({
  sku,
  name: `Product ${sku}`,
  price: { amount: 1000, currency: 'EUR' },
  stock: 3,
  ...extra,
});

describe('the category tree', () => {
  it('lists top-level categories in menu order (position, then name) with children and breadcrumbs', async () => {
    const garden = await createOk({ name: 'Garden', position: 2 });
    const apparel = await createOk({ name: 'Apparel', position: 1 });
    const bags = await createOk({ name: 'Bags', position: 1 });
    const shoes = await createOk({ name: 'Shoes', parentId: apparel.id, position: 0 });
    const hats = await createOk({ name: 'Hats', parentId: apparel.id, position: 0 });
    const trail = await createOk({ name: 'Trail shoes', parentId: shoes.id });

    const res = await t.query<{ categories: { slug: string; children: { slug: string }[] }[] }>(
      `{ categories { slug children { slug } } }`,
    );
    expect(res.data!.categories.map((c) => c.slug)).toEqual(['apparel', 'bags', 'garden']);
    expect(res.data!.categories[0]!.children.map((c) => c.slug)).toEqual(['hats', 'shoes']);

    const one = await t.query<{ category: Result }>(
      `query($s: String!) { category(slug: $s) { ${CATEGORY_FIELDS} } }`,
      {
        s: 'trail-shoes',
      },
    );
    expect(one.data!.category).toMatchObject({
      id: trail.id,
      parent: { slug: 'shoes' },
      children: [],
      breadcrumbs: [{ slug: 'apparel' }, { slug: 'shoes' }, { slug: 'trail-shoes' }],
    });
    for (const id of [garden.id, bags.id, hats.id]) expect(id).toMatch(/^[0-9a-f]{24}$/);
  });

  it('finds a category only by its slug as issued; _entities by id as issued', async () => {
    const q = `query($s: String!) { category(slug: $s) { slug } }`;
    for (const s of ['APPAREL', ' apparel', 'apparel ', 'apparel-', 'no-such-category', '']) {
      const res = await t.query(q, { s });
      expect({ s, errors: res.errors, data: res.data }).toEqual({
        s,
        errors: undefined,
        data: { category: null },
      });
    }
    const tree = await t.app.categories.loadTree();
    const apparel = tree.bySlugOrNull('apparel')!;
    const entities = await t.query<{ _entities: ({ slug: string } | null)[] }>(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Category { slug } } }`,
      {
        r: [apparel.id, apparel.id.toUpperCase(), 'x', 7].map((id) => ({ __typename: 'Category', id })),
      },
    );
    expect(entities.errors).toBeUndefined();
    expect(entities.data!._entities).toEqual([{ slug: 'apparel' }, null, null, null]);
  });

  it('makes slugs from names (accents folded, "&" as "and") and suffixes them when taken', async () => {
    expect(await create({ name: 'Crème & Brûlée Ōsaka' })).toMatchObject({ slug: 'creme-and-brulee-osaka' });
    expect(await create({ name: 'Crème & brûlée ōsaka' })).toMatchObject({
      slug: 'creme-and-brulee-osaka-2',
    });
    expect(await create({ name: 'Straße' })).toMatchObject({ slug: 'strasse' });
    expect(await create({ name: '日本' })).toMatchObject({ slug: 'category' });
  });

  it('refuses bad input with typed errors, writing nothing', async () => {
    const before = (await t.app.categories.loadTree()).size;
    const cases: [Record<string, unknown>, string, string][] = [
      [{ name: '' }, 'InvalidInputError', 'name'],
      [{ name: 'x'.repeat(101) }, 'InvalidInputError', 'name'],
      [{ name: 'bad\u0000name' }, 'InvalidInputError', 'name'],
      [{ name: 'Fine', slug: 'Upper' }, 'InvalidInputError', 'slug'],
      [{ name: 'Fine', slug: 'two--dashes' }, 'InvalidInputError', 'slug'],
      [{ name: 'Fine', slug: 'a'.repeat(101) }, 'InvalidInputError', 'slug'],
      [{ name: 'Fine', description: 'd'.repeat(2001) }, 'InvalidInputError', 'description'],
      [{ name: 'Fine', position: 1_000_001 }, 'InvalidInputError', 'position'],
    ];
    for (const [input, typename, field] of cases) {
      expect(await create(input)).toMatchObject({ __typename: typename, field });
    }
    for (const parentId of ['0123456789abcdef01234567', 'NOT-AN-ID', '0123456789ABCDEF01234567']) {
      expect(await create({ name: 'Orphan', parentId })).toEqual({
        __typename: 'CategoryNotFoundError',
        message: expect.any(String),
        categoryId: parentId,
      });
    }
    expect((await t.app.categories.loadTree()).size).toBe(before);
  });

  it('an explicit slug that is taken is DuplicateSlugError; product slugs are another namespace', async () => {
    expect(await create({ name: 'Garden again', slug: 'garden' })).toMatchObject({
      __typename: 'DuplicateSlugError',
      slug: 'garden',
    });
    // A product may be called like a category: /p/garden and /c/garden are different pages.
    const product = await t.query<{ createProduct: Result }>(
      CREATE_PRODUCT,
      { input: productInput('SLUG-NS-1', { name: 'Garden', category: 'garden' }) },
      admin,
    );
    expect(product.data!.createProduct).toMatchObject({ __typename: 'Product', slug: 'garden' });
  });

  it('of 12 concurrent creations with one explicit slug exactly one wins; generated ones all differ', async () => {
    const exact = await Promise.all(
      Array.from({ length: 12 }, (_, i) => create({ name: `Race ${i}`, slug: 'race-slug' })),
    );
    expect(exact.filter((r) => r.__typename === 'Category')).toHaveLength(1);
    expect(exact.filter((r) => r.__typename === 'DuplicateSlugError')).toHaveLength(11);
    const generated = await Promise.all(Array.from({ length: 8 }, () => create({ name: 'Same Name' })));
    const slugs = generated.map((r) => r.slug);
    expect(new Set(slugs).size).toBe(8);
    expect([...slugs].sort()).toEqual(
      ['same-name', ...[2, 3, 4, 5, 6, 7, 8].map((n) => `same-name-${n}`)].sort(),
    );
  });

  it('moves a category with its sub-tree, refuses cycles and nesting deeper than 5 levels', async () => {
    const a = await createOk({ name: 'Move A' });
    const b = await createOk({ name: 'Move B', parentId: a.id });
    const c = await createOk({ name: 'Move C', parentId: b.id });
    for (const target of [a.id, b.id, c.id]) {
      expect(await update(a.id, { parentId: target })).toMatchObject({
        __typename: 'InvalidInputError',
        field: 'parentId',
      });
    }
    // Move B (with C) to the top level, then under a new parent.
    expect(await update(b.id, { topLevel: true })).toMatchObject({
      parent: null,
      children: [{ slug: 'move-c' }],
    });
    const d = await createOk({ name: 'Move D' });
    expect(await update(b.id, { parentId: d.id, name: 'Moved B', position: 3 })).toMatchObject({
      name: 'Moved B',
      slug: 'move-b', // a new name keeps the slug
      position: 3,
      breadcrumbs: [{ slug: 'move-d' }, { slug: 'move-b' }],
    });
    expect(await update(b.id, { topLevel: true, parentId: a.id })).toMatchObject({ field: 'parentId' });

    // Depth: D > B > C is 3 levels; two more fit, a sixth does not.
    const c4 = await createOk({ name: 'Level 4', parentId: c.id });
    const c5 = await createOk({ name: 'Level 5', parentId: c4.id });
    expect(await create({ name: 'Level 6', parentId: c5.id })).toMatchObject({ field: 'parentId' });
    // Moving D (5 levels below it) under A would make 6.
    expect(await update(d.id, { parentId: a.id })).toMatchObject({ field: 'parentId' });
  });

  it('two concurrent opposite moves cannot make a cycle', async () => {
    for (let round = 0; round < 3; round += 1) {
      const x = await createOk({ name: `Cycle X ${round}` });
      const y = await createOk({ name: `Cycle Y ${round}` });
      const [first, second] = await Promise.all([
        update(x.id, { parentId: y.id }),
        update(y.id, { parentId: x.id }),
      ]);
      expect([first!.__typename, second!.__typename].sort()).toEqual(['Category', 'InvalidInputError']);
      const tree = await t.app.categories.loadTree();
      expect(tree.breadcrumbs(x.id).length + tree.breadcrumbs(y.id).length).toBe(3);
    }
  });

  it('renames a slug (the old one stops working and is free again); a taken one is DuplicateSlugError', async () => {
    const r = await createOk({ name: 'Rename Me' });
    expect(await update(r.id, { slug: 'garden' })).toMatchObject({ __typename: 'DuplicateSlugError' });
    expect(await update(r.id, { slug: 'renamed' })).toMatchObject({ slug: 'renamed' });
    const old = await t.query<{ category: unknown }>(`{ category(slug: "rename-me") { id } }`);
    expect(old.data!.category).toBeNull();
    expect(await create({ name: 'Taker', slug: 'rename-me' })).toMatchObject({ __typename: 'Category' });
    expect(await update('0123456789abcdef01234567', { name: 'x' })).toMatchObject({
      __typename: 'CategoryNotFoundError',
    });
  });

  it('deletes only an empty category (CategoryNotEmptyError with counts)', async () => {
    const parent = await createOk({ name: 'Delete Parent' });
    const child = await createOk({ name: 'Delete Child', parentId: parent.id });
    const created = await t.query<{ createProduct: Result }>(
      CREATE_PRODUCT,
      { input: productInput('DEL-1', { categoryIds: [child.id] }) },
      admin,
    );
    expect(created.data!.createProduct.__typename).toBe('Product');
    const del = (id: string) => t.query<{ deleteCategory: Result }>(DELETE, { id }, admin);
    expect((await del(parent.id)).data!.deleteCategory).toMatchObject({
      __typename: 'CategoryNotEmptyError',
      children: 1,
      products: 0,
    });
    expect((await del(child.id)).data!.deleteCategory).toMatchObject({
      __typename: 'CategoryNotEmptyError',
      children: 0,
      products: 1,
    });
    await t.app.repository.update(String(created.data!.createProduct.id), { categoryIds: [parent.id] });
    expect((await del(child.id)).data!.deleteCategory).toEqual({
      __typename: 'DeletedCategory',
      id: child.id,
    });
    expect((await del(child.id)).data!.deleteCategory).toMatchObject({ __typename: 'CategoryNotFoundError' });
    expect((await t.app.categories.loadTree()).byIdOrNull(child.id)).toBeNull();
    // Its slug is free again.
    expect(await create({ name: 'Delete Child' })).toMatchObject({ slug: 'delete-child' });
  });

  it('admin only: customers are FORBIDDEN, anonymous callers UNAUTHENTICATED', async () => {
    const tree = await t.app.categories.loadTree();
    const any = tree.topLevel()[0]!;
    for (const [viewer, code] of [
      [customer, 'FORBIDDEN'],
      [undefined, 'UNAUTHENTICATED'],
    ] as const) {
      const created = await t.query(CREATE, { input: { name: 'Nope' } }, viewer);
      expect(created.errors?.[0]?.extensions?.code).toBe(code);
      const updated = await t.query(UPDATE, { id: any.id, input: { name: 'Nope' } }, viewer);
      expect(updated.errors?.[0]?.extensions?.code).toBe(code);
      const deleted = await t.query(DELETE, { id: any.id }, viewer);
      expect(deleted.errors?.[0]?.extensions?.code).toBe(code);
    }
    expect((await t.app.categories.loadTree()).size).toBe(tree.size);
  });
});

describe('products in categories', () => {
  it('a category lists its own and its sub-tree’s products; Product.categories puts the primary first', async () => {
    const top = await createOk({ name: 'Sub Tree Top' });
    const mid = await createOk({ name: 'Sub Tree Mid', parentId: top.id });
    const leaf = await createOk({ name: 'Sub Tree Leaf', parentId: mid.id });
    const other = await createOk({ name: 'Elsewhere' });
    const inTop = await addProduct(t, { category: 'sub-tree-top' });
    const inLeaf = await addProduct(t, { category: 'sub-tree-leaf' });
    const both = await t.query<{ createProduct: Result }>(
      CREATE_PRODUCT,
      { input: productInput('BOTH-1', { categoryIds: [other.id, mid.id] }) },
      admin,
    );
    expect(both.data!.createProduct).toMatchObject({
      category: 'elsewhere',
      categories: [{ slug: 'elsewhere' }, { slug: 'sub-tree-mid' }],
    });
    const page = async (slug: string) => {
      const res = await t.query<{
        category: { products: { totalCount: number; edges: { node: { id: string } }[] } };
      }>(
        `query($s: String!) { category(slug: $s) { products(first: 50) { totalCount edges { node { id } } } } }`,
        { s: slug },
      );
      expect(res.errors).toBeUndefined();
      return res.data!.category.products;
    };
    const bothId = String(both.data!.createProduct.id);
    expect((await page('sub-tree-top')).edges.map((e) => e.node.id).sort()).toEqual(
      [inTop.id, inLeaf.id, bothId].sort(),
    );
    expect((await page('sub-tree-top')).totalCount).toBe(3);
    expect((await page('sub-tree-mid')).edges.map((e) => e.node.id).sort()).toEqual(
      [inLeaf.id, bothId].sort(),
    );
    expect((await page('sub-tree-leaf')).edges.map((e) => e.node.id)).toEqual([inLeaf.id]);
    // The filter by slug or by id means the same sub-tree; both given: what both allow.
    const filtered = async (filter: Record<string, unknown>) =>
      (
        await t.query<{ products: { edges: { node: { id: string } }[] } }>(
          `query($f: ProductFilter) { products(first: 50, filter: $f) { edges { node { id } } } }`,
          { f: filter },
        )
      ).data!.products.edges.map((e) => e.node.id);
    expect((await filtered({ categoryId: mid.id })).sort()).toEqual([inLeaf.id, bothId].sort());
    expect(await filtered({ category: 'sub-tree-top', categoryId: leaf.id })).toEqual([inLeaf.id]);
    expect(await filtered({ category: 'elsewhere', categoryId: leaf.id })).toEqual([]);
    expect(await filtered({ category: 'SUB-TREE-TOP' })).toEqual([]);
    expect(await filtered({ categoryId: top.id.toUpperCase() })).toEqual([]);
  });

  it('createProduct takes categoryIds (1-10, existing) or a legacy category slug, and nothing else', async () => {
    const known = await createOk({ name: 'Known For Products' });
    const cases: [Record<string, unknown>, string, string | undefined][] = [
      [{}, 'InvalidInputError', 'categoryIds'],
      [{ categoryIds: [] }, 'InvalidInputError', 'categoryIds'],
      [{ categoryIds: [known.id, known.id] }, 'InvalidInputError', 'categoryIds'],
      [{ categoryIds: Array.from({ length: 11 }, () => known.id) }, 'InvalidInputError', 'categoryIds'],
      [{ categoryIds: [known.id], category: 'known-for-products' }, 'InvalidInputError', 'categoryIds'],
      [{ categoryIds: ['0123456789abcdef01234567'] }, 'CategoryNotFoundError', undefined],
      [{ categoryIds: [known.id.toUpperCase()] }, 'CategoryNotFoundError', undefined],
      [{ category: '' }, 'InvalidInputError', 'category'],
      [{ category: 'x'.repeat(65) }, 'InvalidInputError', 'category'],
    ];
    for (const [extra, typename, field] of cases) {
      const res = await t.query<{ createProduct: Result }>(
        CREATE_PRODUCT,
        { input: productInput('CAT-BAD-1', extra) },
        admin,
      );
      expect({ extra, result: res.data!.createProduct }).toMatchObject({
        extra,
        result: { __typename: typename, ...(field ? { field } : {}) },
      });
    }
    expect(await t.app.repository.idBySlug('product-cat-bad-1')).toBeNull();

    // The legacy string: an existing slug is used, an unknown one becomes a top-level category.
    const reuse = await t.query<{ createProduct: Result }>(
      CREATE_PRODUCT,
      { input: productInput('CAT-LEG-1', { category: 'known-for-products' }) },
      admin,
    );
    expect(reuse.data!.createProduct).toMatchObject({ categories: [{ slug: 'known-for-products' }] });
    const fresh = await t.query<{ createProduct: Result }>(
      CREATE_PRODUCT,
      { input: productInput('CAT-LEG-2', { category: 'board-games' }) },
      admin,
    );
    expect(fresh.data!.createProduct).toMatchObject({ category: 'board-games' });
    const made = (await t.app.categories.loadTree()).bySlugOrNull('board-games');
    expect(made).toMatchObject({ name: 'Board Games', parentId: null });
  });

  it('concurrent products naming one new legacy category make one category', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        t.query<{ createProduct: Result }>(
          CREATE_PRODUCT,
          { input: productInput(`CAT-RACE-${i}`, { category: 'race-category' }) },
          admin,
        ),
      ),
    );
    expect(results.map((r) => r.data!.createProduct.category)).toEqual(Array(6).fill('race-category'));
    expect(
      (await t.app.categories.loadTree()).all().filter((c) => c.slug.startsWith('race-category')),
    ).toHaveLength(1);
  });

  it('updateProduct replaces the categories', async () => {
    const target = await createOk({ name: 'Update Target' });
    const p = await addProduct(t);
    const res = await t.query<{ updateProduct: Result }>(
      `mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) {
        __typename ... on Product { categories { slug } } ... on CategoryNotFoundError { categoryId } } }`,
      { id: p.id, input: { categoryIds: [target.id] } },
      admin,
    );
    expect(res.data!.updateProduct).toEqual({
      __typename: 'Product',
      categories: [{ slug: 'update-target' }],
    });
    const missing = await t.query<{ updateProduct: Result }>(
      `mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) {
        __typename ... on CategoryNotFoundError { categoryId } } }`,
      { id: p.id, input: { categoryIds: ['0123456789abcdef01234567'] } },
      admin,
    );
    expect(missing.data!.updateProduct).toEqual({
      __typename: 'CategoryNotFoundError',
      categoryId: '0123456789abcdef01234567',
    });
    expect((await t.app.repository.findById(p.id))!.categoryIds).toEqual([target.id]);
  });
});
