import type { CategoriesService } from './categories.service';
import { svgSize } from './images';
import type { ImageModel, NewProduct, NewVariant, OptionModel } from './models';
import type { ProductsRepository } from './products.repository';
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

/** [sku, name, price in cents, stock, categories (the primary first), description]. */
type Row = [
  sku: string,
  name: string,
  cents: number,
  stock: number,
  categories: string[],
  description: string,
];

const rows: Row[] = [
  [
    'ELEC-HEAD-001',
    'Noise-Cancelling Headphones',
    24900,
    35,
    ['audio'],
    'Over-ear wireless headphones with adaptive noise cancelling and 30-hour battery life.',
  ],
  [
    'ELEC-EARB-002',
    'True Wireless Earbuds',
    12900,
    60,
    ['audio'],
    'Compact earbuds with charging case, IPX4 splash resistance and touch controls.',
  ],
  [
    'ELEC-SPKR-003',
    'Portable Bluetooth Speaker',
    7990,
    48,
    ['audio'],
    'Waterproof speaker with 360-degree sound and 12 hours of playback.',
  ],
  [
    'ELEC-KBD-004',
    'Mechanical Keyboard',
    10900,
    25,
    ['computer-accessories'],
    'Tenkeyless keyboard with hot-swappable brown switches and PBT keycaps.',
  ],
  [
    'ELEC-MOUSE-005',
    'Ergonomic Wireless Mouse',
    4990,
    70,
    ['computer-accessories'],
    'Vertical mouse that keeps the wrist in a natural handshake position.',
  ],
  [
    'ELEC-MON-006',
    '27-inch 4K Monitor',
    38900,
    12,
    ['computer-accessories'],
    'IPS panel, 99% sRGB, USB-C with 65 W power delivery.',
  ],
  [
    'ELEC-CHRG-007',
    '65 W USB-C Charger',
    3990,
    90,
    ['computer-accessories'],
    'Gallium nitride charger with two USB-C ports and one USB-A port.',
  ],
  [
    'ELEC-WEBC-008',
    'Full HD Webcam',
    5990,
    0,
    ['computer-accessories'],
    'Webcam with autofocus, stereo microphones and a privacy shutter.',
  ],
  [
    'KITC-KNIF-001',
    "Chef's Knife 20 cm",
    8900,
    30,
    ['kitchen'],
    'Forged stainless steel blade with a full tang and a pakkawood handle.',
  ],
  [
    'KITC-PAN-002',
    'Cast Iron Skillet 28 cm',
    4500,
    40,
    ['kitchen'],
    'Pre-seasoned skillet for searing, baking and campfire cooking.',
  ],
  [
    'KITC-KETT-003',
    'Electric Gooseneck Kettle',
    6900,
    22,
    ['kitchen'],
    'Precise temperature control for pour-over coffee and tea.',
  ],
  [
    'KITC-GRIN-004',
    'Burr Coffee Grinder',
    12900,
    15,
    ['kitchen'],
    'Conical steel burrs with 40 grind settings from espresso to French press.',
  ],
  [
    'KITC-BOARD-005',
    'Walnut Cutting Board',
    5900,
    28,
    ['kitchen'],
    'End-grain walnut board that is gentle on knife edges.',
  ],
  [
    'KITC-SCAL-006',
    'Digital Kitchen Scale',
    2490,
    55,
    ['kitchen'],
    'Weighs up to 5 kg in 1 g steps, with tare and a timer.',
  ],
  [
    'KITC-DUTCH-007',
    'Enamelled Dutch Oven 5 L',
    11900,
    10,
    ['kitchen'],
    'Heavy enamelled cast iron pot for stews, braises and bread.',
  ],
  [
    'KITC-PRESS-008',
    'French Press 1 L',
    2990,
    45,
    ['kitchen'],
    'Borosilicate glass carafe with a stainless steel four-level filter.',
  ],
  [
    'KITC-MUG-009',
    'Stoneware Coffee Mug',
    1890,
    30,
    ['kitchen'],
    'Hand-glazed 350 ml stoneware mug, dishwasher and microwave safe.',
  ],
  [
    'BOOK-DDD-001',
    'Domain-Driven Design Distilled',
    3290,
    40,
    ['programming'],
    'A concise introduction to bounded contexts, aggregates and strategic design.',
  ],
  [
    'BOOK-DDIA-002',
    'Designing Data-Intensive Applications',
    4590,
    50,
    ['programming'],
    'Reliable, scalable and maintainable systems: storage, replication and streams.',
  ],
  [
    'BOOK-PRAG-003',
    'The Pragmatic Programmer',
    3990,
    35,
    ['programming'],
    'Timeless advice on craftsmanship, from tracer bullets to orthogonality.',
  ],
  [
    'BOOK-REFA-004',
    'Refactoring',
    4290,
    20,
    ['programming'],
    'Improving the design of existing code, with a catalogue of refactorings.',
  ],
  [
    'BOOK-COOK-005',
    'Salt, Fat, Acid, Heat',
    3500,
    25,
    ['books', 'kitchen'],
    'The four elements of good cooking, illustrated.',
  ],
  [
    'BOOK-NOVL-006',
    'The Left Hand of Darkness',
    1290,
    30,
    ['books'],
    'A classic of science fiction about a world without fixed gender.',
  ],
  [
    'BOOK-HIST-007',
    'Sapiens: A Brief History of Humankind',
    1890,
    45,
    ['books'],
    'How one species came to rule the planet.',
  ],
  [
    'BOOK-GARD-008',
    'The Vegetable Gardener’s Bible',
    2490,
    0,
    ['books', 'home'],
    'Grow more vegetables in less space with wide rows and raised beds.',
  ],
  [
    'CLTH-TEE-001',
    'Organic Cotton T-Shirt',
    2490,
    120,
    ['clothing'],
    'Heavyweight organic cotton tee with a relaxed fit.',
  ],
  [
    'CLTH-HOOD-002',
    'Merino Wool Hoodie',
    11900,
    30,
    ['clothing'],
    'Temperature-regulating merino hoodie that resists odours.',
  ],
  [
    'CLTH-JEAN-003',
    'Selvedge Denim Jeans',
    13900,
    25,
    ['clothing'],
    'Raw 14 oz selvedge denim, slim straight cut.',
  ],
  [
    'CLTH-RAIN-004',
    'Packable Rain Jacket',
    8900,
    40,
    ['clothing', 'outdoors'],
    'Lightweight waterproof shell that packs into its own pocket.',
  ],
  [
    'CLTH-SOCK-005',
    'Hiking Socks (3 pairs)',
    1990,
    80,
    ['clothing-accessories', 'outdoors'],
    'Cushioned merino blend socks for long days on the trail.',
  ],
  [
    'CLTH-CAP-006',
    'Wool Beanie',
    2290,
    60,
    ['clothing-accessories'],
    'Ribbed beanie knitted from recycled wool.',
  ],
  ['CLTH-SHRT-007', 'Linen Shirt', 6900, 18, ['clothing'], 'Breathable European linen shirt for warm days.'],
  [
    'CLTH-SCRF-008',
    'Cashmere Scarf',
    9900,
    12,
    ['clothing-accessories'],
    'Soft cashmere scarf, 180 x 30 cm.',
  ],
  [
    'SPRT-YOGA-001',
    'Yoga Mat 6 mm',
    3990,
    50,
    ['fitness'],
    'Non-slip natural rubber mat with alignment lines.',
  ],
  [
    'SPRT-DUMB-002',
    'Adjustable Dumbbells 2 x 24 kg',
    34900,
    8,
    ['fitness'],
    'Quick-select dumbbells that replace fifteen pairs.',
  ],
  [
    'SPRT-ROPE-003',
    'Speed Jump Rope',
    1490,
    75,
    ['fitness'],
    'Ball-bearing rope with adjustable steel cable.',
  ],
  [
    'SPRT-BOTL-004',
    'Insulated Water Bottle 750 ml',
    2990,
    90,
    ['outdoors', 'kitchen'],
    'Keeps drinks cold for 24 hours or hot for 12.',
  ],
  [
    'SPRT-BAND-005',
    'Resistance Band Set',
    2490,
    65,
    ['fitness'],
    'Five latex bands from extra light to extra heavy, with handles.',
  ],
  [
    'SPRT-RUN-006',
    'Trail Running Shoes',
    12900,
    20,
    ['outdoors'],
    'Grippy outsole and a rock plate for technical terrain.',
  ],
  [
    'SPRT-TENT-007',
    'Two-Person Backpacking Tent',
    27900,
    6,
    ['outdoors'],
    'Freestanding tent weighing 1.6 kg, with two doors.',
  ],
  ['SPRT-HELM-008', 'Cycling Helmet', 7990, 0, ['outdoors'], 'Ventilated road helmet with MIPS protection.'],
  [
    'HOME-LAMP-001',
    'Linen Table Lamp',
    5900,
    24,
    ['home'],
    'Ceramic base with a linen shade and warm dimmable light.',
  ],
  ['HOME-THRW-002', 'Wool Throw Blanket', 7900, 30, ['home'], 'Woven wool throw, 130 x 170 cm.'],
  [
    'HOME-CAND-003',
    'Soy Candle Cedar & Sage',
    1990,
    85,
    ['home'],
    'Hand-poured soy candle with a 45-hour burn time.',
  ],
  [
    'HOME-PLNT-004',
    'Ceramic Plant Pot Set',
    3490,
    40,
    ['home'],
    'Three matte glazed pots with drainage saucers.',
  ],
  [
    'HOME-TOWL-005',
    'Turkish Cotton Towel Set',
    4990,
    35,
    ['home'],
    'Two bath towels and two hand towels, 600 g/m².',
  ],
  [
    'HOME-CLCK-006',
    'Wall Clock Oak',
    4490,
    15,
    ['home'],
    'Silent sweep movement in a solid oak frame, 30 cm.',
  ],
  ['HOME-RUG-007', 'Hand-Woven Jute Rug', 12900, 9, ['home'], 'Natural jute rug, 160 x 230 cm.'],
  ['HOME-DIFF-008', 'Aroma Diffuser', 3990, 42, ['home'], 'Ultrasonic diffuser with an auto shut-off timer.'],
  [
    'TOYS-BLOK-001',
    'Wooden Building Blocks (100 pcs)',
    3990,
    40,
    ['toys'],
    'Beech wood blocks finished with water-based paint.',
  ],
  [
    'TOYS-PUZL-002',
    'Jigsaw Puzzle 1000 Pieces',
    1990,
    55,
    ['games-and-puzzles'],
    'A detailed map of the world on thick recycled board.',
  ],
  ['TOYS-KITE-003', 'Delta Kite', 2490, 30, ['toys'], 'Easy-flying ripstop nylon kite with 50 m of line.'],
  [
    'TOYS-TRAIN-004',
    'Wooden Train Set',
    5990,
    18,
    ['toys'],
    'Forty-piece track set with a magnetic locomotive.',
  ],
  [
    'TOYS-GAME-005',
    'Strategy Board Game',
    4490,
    25,
    ['games-and-puzzles'],
    'Build settlements and trade resources, for 3-4 players.',
  ],
  ['TOYS-PLUS-006', 'Plush Red Fox', 1990, 60, ['toys'], 'Soft toy made from recycled polyester, 30 cm.'],
  [
    'TOYS-ROBO-007',
    'Programmable Robot Kit',
    8990,
    12,
    ['toys'],
    'Build and code a robot with block-based programming.',
  ],
  [
    'TOYS-CARD-008',
    'Family Card Game',
    1290,
    0,
    ['games-and-puzzles'],
    'A quick, funny card game for ages 7 and up.',
  ],
  [
    'BEAU-SERU-001',
    'Vitamin C Serum 30 ml',
    2490,
    50,
    ['beauty'],
    'Brightening serum with 15% vitamin C and ferulic acid.',
  ],
  [
    'BEAU-CREM-002',
    'Daily Moisturiser SPF 30',
    2290,
    65,
    ['beauty'],
    'Light moisturiser with broad-spectrum sun protection.',
  ],
  [
    'BEAU-SHAM-003',
    'Solid Shampoo Bar',
    1190,
    90,
    ['beauty'],
    'Plastic-free shampoo bar for normal hair, 60 washes.',
  ],
  [
    'BEAU-BRSH-004',
    'Bamboo Hair Brush',
    1490,
    40,
    ['beauty'],
    'Paddle brush with bamboo pins that detangle gently.',
  ],
  [
    'BEAU-LIPB-005',
    'Lip Balm Trio',
    990,
    100,
    ['beauty'],
    'Beeswax lip balms in mint, vanilla and unscented.',
  ],
  ['BEAU-SOAP-006', 'Olive Oil Soap', 690, 120, ['beauty'], 'Cold-process soap made with 80% olive oil.'],
  [
    'BEAU-RAZR-007',
    'Safety Razor',
    3490,
    20,
    ['beauty'],
    'Chrome-plated double-edge safety razor with five blades.',
  ],
  [
    'BEAU-OIL-008',
    'Beard Oil 50 ml',
    1790,
    35,
    ['beauty'],
    'Jojoba and argan oil blend with a light cedar scent.',
  ],
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
