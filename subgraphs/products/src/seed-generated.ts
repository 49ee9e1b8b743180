import type { CategoriesService } from './categories.service';
import type { NewProduct } from './models';
import type { ProductsRepository } from './products.repository';
import { demoCatalogue, demoCategories, seedCatalogue } from './seed-data';
import { slugify } from './slugs';

/**
 * Generated products for benchmarks (`npm run seed -- --products 10000`): deterministic names and
 * descriptions made of the demo catalogue's vocabulary (so searches find realistic mixes), in the
 * demo categories, each with the image of a demo product of its category. SKUs are `GEN-000001` …,
 * so a second run adds only what is missing.
 */

export const MAX_GENERATED = 100_000;

const ADJECTIVES = [
  'Classic',
  'Compact',
  'Rustic',
  'Modern',
  'Handmade',
  'Premium',
  'Everyday',
  'Travel',
  'Organic',
  'Vintage',
  'Crème',
  'Nordic',
];
const MATERIALS = [
  'Oak',
  'Walnut',
  'Steel',
  'Cotton',
  'Linen',
  'Wool',
  'Ceramic',
  'Bamboo',
  'Leather',
  'Glass',
  'Café',
  'Copper',
];
const NOUNS: Record<string, string[]> = {
  audio: ['Headphones', 'Speaker', 'Earbuds', 'Radio'],
  'computer-accessories': ['Keyboard', 'Mouse', 'Monitor Stand', 'Charger', 'Webcam'],
  kitchen: ['Knife', 'Skillet', 'Kettle', 'Grinder', 'Cutting Board', 'Mug', 'Teapot'],
  home: ['Lamp', 'Blanket', 'Candle', 'Plant Pot', 'Towel', 'Clock', 'Rug'],
  programming: ['Handbook', 'Field Guide', 'Workbook'],
  books: ['Novel', 'Cookbook', 'Atlas', 'Biography'],
  clothing: ['Shirt', 'Jacket', 'Hoodie', 'Jeans'],
  'clothing-accessories': ['Scarf', 'Beanie', 'Socks', 'Gloves'],
  fitness: ['Yoga Mat', 'Dumbbell', 'Jump Rope', 'Resistance Band'],
  outdoors: ['Tent', 'Water Bottle', 'Backpack', 'Helmet', 'Running Shoes'],
  toys: ['Building Blocks', 'Train Set', 'Kite', 'Robot Kit', 'Plush Fox'],
  'games-and-puzzles': ['Board Game', 'Card Game', 'Jigsaw Puzzle'],
  beauty: ['Soap', 'Shampoo Bar', 'Serum', 'Lip Balm', 'Hair Brush'],
};
const PHRASES = [
  'built to last for years of daily use',
  'a thoughtful gift for friends and family',
  'light enough to take anywhere',
  'easy to clean and easy to store',
  'made in small batches by a family workshop',
  'with a two-year guarantee',
];

const pick = <T>(list: readonly T[], n: number): T => list[n % list.length]!;

/** The i-th generated product (1-based), in the categories given by slug → id. */
export function generatedProduct(i: number, categoryIds: Map<string, string>): NewProduct {
  const slugs = Object.keys(NOUNS);
  const categorySlug = pick(slugs, i);
  const noun = pick(NOUNS[categorySlug]!, Math.floor(i / slugs.length));
  const name = `${pick(ADJECTIVES, i * 7)} ${pick(MATERIALS, i * 11)} ${noun} ${i}`;
  const image = demoCatalogue.find((p) => p.categorySlugs[0] === categorySlug)?.images[0];
  const categoryId = categoryIds.get(categorySlug);
  if (!categoryId) throw new Error(`demo category ${categorySlug} is missing`);
  return {
    name,
    slug: slugify(name, 'product'),
    description: `${noun} in ${pick(MATERIALS, i * 11).toLowerCase()}, ${pick(PHRASES, i)}; ${pick(PHRASES, i * 3 + 1)}.`,
    categoryIds: [categoryId],
    images: image ? [{ ...image, altText: name }] : [],
    options: [],
    variants: [
      {
        sku: `GEN-${String(i).padStart(6, '0')}`,
        selectedOptions: [],
        price: { amount: 500 + ((i * 137) % 30_000), currency: 'EUR' },
        stock: (i * 31) % 50,
        images: [],
      },
    ],
  };
}

/** Seeds the demo catalogue (for its categories) and generated products 1..count; returns how many were added. */
export async function seedGenerated(
  deps: { products: ProductsRepository; categories: CategoriesService },
  count: number,
): Promise<number> {
  await seedCatalogue(deps);
  const tree = await deps.categories.loadTree();
  const ids = new Map(demoCategories.map(([slug]) => [slug, tree.bySlugOrNull(slug)?.id ?? '']));
  let added = 0;
  for (let start = 1; start <= count; start += 500) {
    const batch: NewProduct[] = [];
    for (let i = start; i < Math.min(start + 500, count + 1); i += 1) batch.push(generatedProduct(i, ids));
    added += await deps.products.insertMissing(batch);
  }
  return added;
}
