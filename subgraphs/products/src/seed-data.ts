import type { CategoriesService } from './categories.service';
import { svgSize } from './images';
import type { ImageModel, NewProduct, NewVariant, OptionModel } from './models';
import type { ProductsRepository } from './products.repository';
import { rows } from './seed-rows';
import { slugify } from './slugs';

/**
 * The demo catalogue: 13 categories in two levels and 65 products (EUR prices, a few sold out), each
 * with an image served by this subgraph (`images/`, see images.ts), three with options and variants
 * (a T-shirt in 3 sizes x 3 colours, a mug in two colours, running shoes in six sizes). Loaded by
 * `npm run seed -w @shop/products` and by createApp when SEED_IF_EMPTY and the catalogue is empty.
 */

/** [slug, name, parent slug (null: top level), description], siblings in menu order. */
type CategoryRow = [slug: string, name: string, parent: string | null, description: string];

export const demoCategories: CategoryRow[] = [
  ['electronics', 'Electronics', null, 'Sound, screens and the things around a computer.'],
  ['audio', 'Audio', 'electronics', 'Headphones, earbuds and speakers.'],
  ['computer-accessories', 'Computer accessories', 'electronics', 'Keyboards, mice, monitors and chargers.'],
  ['home-and-kitchen', 'Home & kitchen', null, 'For the kitchen and the rest of the house.'],
  ['kitchen', 'Kitchen', 'home-and-kitchen', 'Knives, pans, coffee and tea.'],
  ['home', 'Home', 'home-and-kitchen', 'Lamps, textiles and decoration.'],
  ['books', 'Books', null, 'Books to learn from and to enjoy.'],
  ['programming', 'Programming', 'books', 'Software design and craft.'],
  ['clothing', 'Clothing', null, 'Everyday clothes in natural fibres.'],
  ['clothing-accessories', 'Accessories', 'clothing', 'Hats, scarves and socks.'],
  ['sports', 'Sports & outdoors', null, 'Training at home and days outside.'],
  ['fitness', 'Fitness', 'sports', 'Mats, weights and bands.'],
  ['outdoors', 'Outdoors', 'sports', 'Running, hiking, camping and cycling.'],
  ['toys', 'Toys & games', null, 'Wooden toys, kits and games.'],
  ['games-and-puzzles', 'Games & puzzles', 'toys', 'Board games, card games and puzzles.'],
  ['beauty', 'Beauty & care', null, 'Skin, hair and shaving.'],
];

/** Width and height of every demo image (the SVG files state the same: test/images.test.ts checks). */
export const DEMO_IMAGE_SIZE = { width: 480, height: 480 } as const;

const image = (key: string, altText: string): ImageModel => ({
  url: `/images/${key}.svg`,
  altText,
  ...DEMO_IMAGE_SIZE,
});

/** Variant n's option values, own stock and (optionally) own image. */
interface VariantRow {
  sku: string;
  values: string[];
  stock: number;
  image?: string;
}

const TEE_COLOURS = [
  ['White', 'WHT'],
  ['Black', 'BLK'],
  ['Navy', 'NVY'],
] as const;
const TEE_SIZES = ['S', 'M', 'L'] as const;

/** The products with options: their options and variants (the first variant's SKU is the row's). */
const variantsOf: Record<string, { options: OptionModel[]; variants: VariantRow[] }> = {
  'CLTH-TEE-001': {
    options: [
      { name: 'Size', values: [...TEE_SIZES] },
      { name: 'Colour', values: TEE_COLOURS.map(([c]) => c) },
    ],
    variants: TEE_SIZES.flatMap((size, i) =>
      TEE_COLOURS.map(([colour, code], j) => ({
        sku: i === 0 && j === 0 ? 'CLTH-TEE-001' : `CLTH-TEE-001-${size}-${code}`,
        values: [size, colour],
        stock: [12, 20, 10][i]! + [4, 2, 0][j]!,
        image: `organic-cotton-t-shirt-${colour.toLowerCase()}`,
      })),
    ),
  },
  'KITC-MUG-009': {
    options: [{ name: 'Colour', values: ['Sage', 'Charcoal'] }],
    variants: [
      { sku: 'KITC-MUG-009', values: ['Sage'], stock: 30, image: 'stoneware-coffee-mug-sage' },
      { sku: 'KITC-MUG-009-CHAR', values: ['Charcoal'], stock: 0, image: 'stoneware-coffee-mug-charcoal' },
    ],
  },
  'SPRT-RUN-006': {
    options: [{ name: 'Size', values: ['40', '41', '42', '43', '44', '45'] }],
    variants: ['40', '41', '42', '43', '44', '45'].map((size, i) => ({
      sku: i === 0 ? 'SPRT-RUN-006' : `SPRT-RUN-006-${size}`,
      values: [size],
      stock: [2, 4, 5, 4, 3, 2][i]!,
    })),
  },
};

/** A demo product with its categories by slug (resolved to ids when seeding). */
export interface DemoProduct extends Omit<NewProduct, 'categoryIds'> {
  categorySlugs: string[];
}

function variants(
  sku: string,
  name: string,
  cents: number,
  stock: number,
): Pick<NewProduct, 'options' | 'variants'> {
  const price = { amount: cents, currency: 'EUR' };
  const spec = variantsOf[sku];
  if (!spec) return { options: [], variants: [{ sku, selectedOptions: [], price, stock, images: [] }] };
  return {
    options: spec.options,
    variants: spec.variants.map((v): NewVariant => ({
      sku: v.sku,
      selectedOptions: spec.options.map((o, i) => ({ name: o.name, value: v.values[i]! })),
      price,
      stock: v.stock,
      images: v.image ? [image(v.image, `${name}, ${v.values.join(' / ')}`)] : [],
    })),
  };
}

export const demoCatalogue: DemoProduct[] = rows.map(
  ([sku, name, cents, stock, categorySlugs, description]) => {
    const slug = slugify(name, 'product');
    return {
      name,
      slug,
      description,
      categorySlugs,
      images: [image(slug, name)],
      ...variants(sku, name, cents, stock),
    };
  },
);

/** Every image file the demo catalogue names (key without `.svg`). */
export const demoImageKeys = (): string[] => [
  ...new Set(
    demoCatalogue
      .flatMap((p) => [...p.images, ...p.variants.flatMap((v) => v.images)])
      .map((i) => i.url.slice(8, -4)),
  ),
];

export { svgSize };

/**
 * Adds what is missing of the demo catalogue: the categories whose slug is not taken (under the tree
 * lock), then the products none of whose SKUs exists; existing products and their stock are left
 * alone. Returns how many products were added.
 */
export async function seedCatalogue(deps: {
  products: ProductsRepository;
  categories: CategoriesService;
}): Promise<number> {
  const ids = await deps.categories.withTree(async (tree) => {
    const bySlug = new Map(tree.all().map((c) => [c.slug, c.id]));
    for (const [position, [slug, name, parent, description]] of demoCategories.entries()) {
      if (bySlug.has(slug)) continue;
      const parentId = parent === null ? null : (bySlug.get(parent) ?? null);
      const created = await deps.categories.insertExact({ name, description, position, parentId }, slug);
      bySlug.set(slug, created.id);
    }
    return bySlug;
  });
  return deps.products.insertMissing(
    demoCatalogue.map(({ categorySlugs, ...product }) => ({
      ...product,
      categoryIds: categorySlugs.map((slug) => {
        const id = ids.get(slug);
        if (!id) throw new Error(`demo category ${slug} is missing`);
        return id;
      }),
    })),
  );
}
