import type { NewProduct } from './models';
import type { ProductsRepository } from './products.repository';

/**
 * The demo catalogue: 64 products in 8 categories, prices in EUR minor units. Loaded by
 * `npm run seed -w @shop/products` and by createApp when SEED_IF_EMPTY and the catalogue is empty.
 * Rows: [sku, name, price in cents, stock, description].
 */
type Row = [sku: string, name: string, cents: number, stock: number, description: string];

const catalogue: Record<string, Row[]> = {
  electronics: [
    [
      'ELEC-HEAD-001',
      'Noise-Cancelling Headphones',
      24900,
      35,
      'Over-ear wireless headphones with adaptive noise cancelling and 30-hour battery life.',
    ],
    [
      'ELEC-EARB-002',
      'True Wireless Earbuds',
      12900,
      60,
      'Compact earbuds with charging case, IPX4 splash resistance and touch controls.',
    ],
    [
      'ELEC-SPKR-003',
      'Portable Bluetooth Speaker',
      7990,
      48,
      'Waterproof speaker with 360-degree sound and 12 hours of playback.',
    ],
    [
      'ELEC-KBD-004',
      'Mechanical Keyboard',
      10900,
      25,
      'Tenkeyless keyboard with hot-swappable brown switches and PBT keycaps.',
    ],
    [
      'ELEC-MOUSE-005',
      'Ergonomic Wireless Mouse',
      4990,
      70,
      'Vertical mouse that keeps the wrist in a natural handshake position.',
    ],
    ['ELEC-MON-006', '27-inch 4K Monitor', 38900, 12, 'IPS panel, 99% sRGB, USB-C with 65 W power delivery.'],
    [
      'ELEC-CHRG-007',
      '65 W USB-C Charger',
      3990,
      90,
      'Gallium nitride charger with two USB-C ports and one USB-A port.',
    ],
    [
      'ELEC-WEBC-008',
      'Full HD Webcam',
      5990,
      0,
      'Webcam with autofocus, stereo microphones and a privacy shutter.',
    ],
  ],
  kitchen: [
    [
      'KITC-KNIF-001',
      "Chef's Knife 20 cm",
      8900,
      30,
      'Forged stainless steel blade with a full tang and a pakkawood handle.',
    ],
    [
      'KITC-PAN-002',
      'Cast Iron Skillet 28 cm',
      4500,
      40,
      'Pre-seasoned skillet for searing, baking and campfire cooking.',
    ],
    [
      'KITC-KETT-003',
      'Electric Gooseneck Kettle',
      6900,
      22,
      'Precise temperature control for pour-over coffee and tea.',
    ],
    [
      'KITC-GRIN-004',
      'Burr Coffee Grinder',
      12900,
      15,
      'Conical steel burrs with 40 grind settings from espresso to French press.',
    ],
    [
      'KITC-BOARD-005',
      'Walnut Cutting Board',
      5900,
      28,
      'End-grain walnut board that is gentle on knife edges.',
    ],
    [
      'KITC-SCAL-006',
      'Digital Kitchen Scale',
      2490,
      55,
      'Weighs up to 5 kg in 1 g steps, with tare and a timer.',
    ],
    [
      'KITC-DUTCH-007',
      'Enamelled Dutch Oven 5 L',
      11900,
      10,
      'Heavy enamelled cast iron pot for stews, braises and bread.',
    ],
    [
      'KITC-PRESS-008',
      'French Press 1 L',
      2990,
      45,
      'Borosilicate glass carafe with a stainless steel four-level filter.',
    ],
  ],
  books: [
    [
      'BOOK-DDD-001',
      'Domain-Driven Design Distilled',
      3290,
      40,
      'A concise introduction to bounded contexts, aggregates and strategic design.',
    ],
    [
      'BOOK-DDIA-002',
      'Designing Data-Intensive Applications',
      4590,
      50,
      'Reliable, scalable and maintainable systems: storage, replication and streams.',
    ],
    [
      'BOOK-PRAG-003',
      'The Pragmatic Programmer',
      3990,
      35,
      'Timeless advice on craftsmanship, from tracer bullets to orthogonality.',
    ],
    [
      'BOOK-REFA-004',
      'Refactoring',
      4290,
      20,
      'Improving the design of existing code, with a catalogue of refactorings.',
    ],
    ['BOOK-COOK-005', 'Salt, Fat, Acid, Heat', 3500, 25, 'The four elements of good cooking, illustrated.'],
    [
      'BOOK-NOVL-006',
      'The Left Hand of Darkness',
      1290,
      30,
      'A classic of science fiction about a world without fixed gender.',
    ],
    [
      'BOOK-HIST-007',
      'Sapiens: A Brief History of Humankind',
      1890,
      45,
      'How one species came to rule the planet.',
    ],
    [
      'BOOK-GARD-008',
      'The Vegetable Gardener’s Bible',
      2490,
      0,
      'Grow more vegetables in less space with wide rows and raised beds.',
    ],
  ],
  clothing: [
    [
      'CLTH-TEE-001',
      'Organic Cotton T-Shirt',
      2490,
      120,
      'Heavyweight organic cotton tee with a relaxed fit.',
    ],
    [
      'CLTH-HOOD-002',
      'Merino Wool Hoodie',
      11900,
      30,
      'Temperature-regulating merino hoodie that resists odours.',
    ],
    ['CLTH-JEAN-003', 'Selvedge Denim Jeans', 13900, 25, 'Raw 14 oz selvedge denim, slim straight cut.'],
    [
      'CLTH-RAIN-004',
      'Packable Rain Jacket',
      8900,
      40,
      'Lightweight waterproof shell that packs into its own pocket.',
    ],
    [
      'CLTH-SOCK-005',
      'Hiking Socks (3 pairs)',
      1990,
      80,
      'Cushioned merino blend socks for long days on the trail.',
    ],
    ['CLTH-CAP-006', 'Wool Beanie', 2290, 60, 'Ribbed beanie knitted from recycled wool.'],
    ['CLTH-SHRT-007', 'Linen Shirt', 6900, 18, 'Breathable European linen shirt for warm days.'],
    ['CLTH-SCRF-008', 'Cashmere Scarf', 9900, 12, 'Soft cashmere scarf, 180 x 30 cm.'],
  ],
  sports: [
    ['SPRT-YOGA-001', 'Yoga Mat 6 mm', 3990, 50, 'Non-slip natural rubber mat with alignment lines.'],
    [
      'SPRT-DUMB-002',
      'Adjustable Dumbbells 2 x 24 kg',
      34900,
      8,
      'Quick-select dumbbells that replace fifteen pairs.',
    ],
    ['SPRT-ROPE-003', 'Speed Jump Rope', 1490, 75, 'Ball-bearing rope with adjustable steel cable.'],
    [
      'SPRT-BOTL-004',
      'Insulated Water Bottle 750 ml',
      2990,
      90,
      'Keeps drinks cold for 24 hours or hot for 12.',
    ],
    [
      'SPRT-BAND-005',
      'Resistance Band Set',
      2490,
      65,
      'Five latex bands from extra light to extra heavy, with handles.',
    ],
    [
      'SPRT-RUN-006',
      'Trail Running Shoes',
      12900,
      20,
      'Grippy outsole and a rock plate for technical terrain.',
    ],
    [
      'SPRT-TENT-007',
      'Two-Person Backpacking Tent',
      27900,
      6,
      'Freestanding tent weighing 1.6 kg, with two doors.',
    ],
    ['SPRT-HELM-008', 'Cycling Helmet', 7990, 0, 'Ventilated road helmet with MIPS protection.'],
  ],
  home: [
    [
      'HOME-LAMP-001',
      'Linen Table Lamp',
      5900,
      24,
      'Ceramic base with a linen shade and warm dimmable light.',
    ],
    ['HOME-THRW-002', 'Wool Throw Blanket', 7900, 30, 'Woven wool throw, 130 x 170 cm.'],
    [
      'HOME-CAND-003',
      'Soy Candle Cedar & Sage',
      1990,
      85,
      'Hand-poured soy candle with a 45-hour burn time.',
    ],
    ['HOME-PLNT-004', 'Ceramic Plant Pot Set', 3490, 40, 'Three matte glazed pots with drainage saucers.'],
    ['HOME-TOWL-005', 'Turkish Cotton Towel Set', 4990, 35, 'Two bath towels and two hand towels, 600 g/m².'],
    ['HOME-CLCK-006', 'Wall Clock Oak', 4490, 15, 'Silent sweep movement in a solid oak frame, 30 cm.'],
    ['HOME-RUG-007', 'Hand-Woven Jute Rug', 12900, 9, 'Natural jute rug, 160 x 230 cm.'],
    ['HOME-DIFF-008', 'Aroma Diffuser', 3990, 42, 'Ultrasonic diffuser with an auto shut-off timer.'],
  ],
  toys: [
    [
      'TOYS-BLOK-001',
      'Wooden Building Blocks (100 pcs)',
      3990,
      40,
      'Beech wood blocks finished with water-based paint.',
    ],
    [
      'TOYS-PUZL-002',
      'Jigsaw Puzzle 1000 Pieces',
      1990,
      55,
      'A detailed map of the world on thick recycled board.',
    ],
    ['TOYS-KITE-003', 'Delta Kite', 2490, 30, 'Easy-flying ripstop nylon kite with 50 m of line.'],
    ['TOYS-TRAIN-004', 'Wooden Train Set', 5990, 18, 'Forty-piece track set with a magnetic locomotive.'],
    [
      'TOYS-GAME-005',
      'Strategy Board Game',
      4490,
      25,
      'Build settlements and trade resources, for 3-4 players.',
    ],
    ['TOYS-PLUS-006', 'Plush Red Fox', 1990, 60, 'Soft toy made from recycled polyester, 30 cm.'],
    [
      'TOYS-ROBO-007',
      'Programmable Robot Kit',
      8990,
      12,
      'Build and code a robot with block-based programming.',
    ],
    ['TOYS-CARD-008', 'Family Card Game', 1290, 0, 'A quick, funny card game for ages 7 and up.'],
  ],
  beauty: [
    [
      'BEAU-SERU-001',
      'Vitamin C Serum 30 ml',
      2490,
      50,
      'Brightening serum with 15% vitamin C and ferulic acid.',
    ],
    [
      'BEAU-CREM-002',
      'Daily Moisturiser SPF 30',
      2290,
      65,
      'Light moisturiser with broad-spectrum sun protection.',
    ],
    ['BEAU-SHAM-003', 'Solid Shampoo Bar', 1190, 90, 'Plastic-free shampoo bar for normal hair, 60 washes.'],
    ['BEAU-BRSH-004', 'Bamboo Hair Brush', 1490, 40, 'Paddle brush with bamboo pins that detangle gently.'],
    ['BEAU-LIPB-005', 'Lip Balm Trio', 990, 100, 'Beeswax lip balms in mint, vanilla and unscented.'],
    ['BEAU-SOAP-006', 'Olive Oil Soap', 690, 120, 'Cold-process soap made with 80% olive oil.'],
    ['BEAU-RAZR-007', 'Safety Razor', 3490, 20, 'Chrome-plated double-edge safety razor with five blades.'],
    ['BEAU-OIL-008', 'Beard Oil 50 ml', 1790, 35, 'Jojoba and argan oil blend with a light cedar scent.'],
  ],
};

export const demoCatalogue: NewProduct[] = Object.entries(catalogue).flatMap(([category, rows]) =>
  rows.map(([sku, name, cents, stock, description]) => ({
    sku,
    name,
    description,
    price: { amount: cents, currency: 'EUR' },
    stock,
    category,
  })),
);

/** Adds the demo products that are missing (by SKU); existing products and their stock are kept. */
export function seedCatalogue(repository: ProductsRepository): Promise<number> {
  return repository.insertMissing(demoCatalogue);
}
