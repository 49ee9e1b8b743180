/**
 * Writes the demo catalogue's images (`subgraphs/products/images/*.svg`): one illustration per
 * product and per variant image the seed names, 480 x 480 (DEMO_IMAGE_SIZE), a few KB each, drawn
 * from the product's category (a glyph), a colour made from its name, and the name itself.
 *
 *   npx tsx subgraphs/products/scripts/images.ts          # writes the files (committed)
 *   npx tsx subgraphs/products/scripts/images.ts --check  # fails when a file is missing or differs
 *
 * The output is deterministic, so the content hash in every image URL (images.ts) changes only when
 * a drawing does.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { IMAGES_DIR } from '../src/images';
import { DEMO_IMAGE_SIZE, demoCatalogue, demoCategories } from '../src/seed-data';

const { width: W, height: H } = DEMO_IMAGE_SIZE;

/** Glyphs centred on (0, 0), about 200 units wide, stroked in white. */
const GLYPHS: Record<string, string> = {
  audio:
    '<path d="M-80 30v-30a80 80 0 0 1 160 0v30"/><rect x="-100" y="20" width="40" height="70" rx="14"/><rect x="60" y="20" width="40" height="70" rx="14"/>',
  'computer-accessories':
    '<rect x="-100" y="-80" width="200" height="130" rx="10"/><path d="M-30 90h60M0 50v40"/>',
  kitchen:
    '<path d="M-80 -20h160v80a30 30 0 0 1-30 30h-100a30 30 0 0 1-30-30z"/><path d="M-80 0h-30M80 0h30M-60 -45h120"/>',
  home: '<path d="M-60 -10l30-80h60l30 80z"/><path d="M0 -10v80M-40 80h80"/>',
  books:
    '<path d="M0 -60c-30-20-70-20-100-10v140c30-10 70-10 100 10c30-20 70-20 100-10v-140c-30-10-70-10-100 10z"/><path d="M0 -60v140"/>',
  clothing: '<path d="M-40 -90l-70 40 25 45 25-12v107h120v-107l25 12 25-45-70-40c-10 20-70 20-80 0z"/>',
  fitness:
    '<path d="M-60 0h120"/><rect x="-100" y="-45" width="30" height="90" rx="8"/><rect x="70" y="-45" width="30" height="90" rx="8"/><path d="M-115 -20v40M115 -20v40"/>',
  outdoors: '<path d="M-110 80l80-140 50 80 30-40 60 100z"/><path d="M-55 -10l25 15 25-15"/>',
  toys: '<rect x="-95" y="0" width="80" height="80" rx="8"/><rect x="15" y="0" width="80" height="80" rx="8"/><rect x="-40" y="-85" width="80" height="80" rx="8"/>',
  beauty:
    '<rect x="-45" y="-30" width="90" height="120" rx="18"/><path d="M-20 -30v-30h40v30M-10 -60v-25h20v25"/>',
  mug: '<path d="M-70 -60h120v110a30 30 0 0 1-30 30h-60a30 30 0 0 1-30-30z"/><path d="M50 -30h15a30 30 0 0 1 0 60h-15"/>',
  shirt: '<path d="M-40 -90l-70 40 25 45 25-12v107h120v-107l25 12 25-45-70-40c-10 20-70 20-80 0z"/>',
};

/** Which glyph a category draws (sub-categories draw their parent's unless they have their own). */
function glyphOf(categorySlug: string): string {
  if (GLYPHS[categorySlug]) return GLYPHS[categorySlug];
  const parent = demoCategories.find(([slug]) => slug === categorySlug)?.[2];
  if (parent === 'books' || categorySlug === 'programming') return GLYPHS.books!;
  if (categorySlug === 'games-and-puzzles') return GLYPHS.toys!;
  if (categorySlug === 'clothing-accessories') return GLYPHS.clothing!;
  return (parent && GLYPHS[parent]) || GLYPHS.toys!;
}

const COLOUR_FILLS: Record<string, string> = {
  white: '#f4f1ea',
  black: '#24262b',
  navy: '#1f3a5f',
  sage: '#9caf88',
  charcoal: '#3d4047',
};

const escapeXml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );

/** A hue from the name, so that products of one category differ in colour but stay stable. */
function hueOf(text: string): number {
  return createHash('sha256').update(text).digest().readUInt16BE(0) % 360;
}

/** An sRGB hex colour from HSL (hue in degrees, saturation and lightness in percent). */
function hsl(h: number, s: number, l: number): string {
  const a = (s / 100) * Math.min(l / 100, 1 - l / 100);
  const channel = (n: number) => {
    const k = (n + h / 30) % 12;
    const v = l / 100 - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(v * 255)
      .toString(16)
      .padStart(2, '0');
  };
  return `#${channel(0)}${channel(8)}${channel(4)}`;
}

/** The name in at most two lines of about 22 characters. */
function lines(name: string): string[] {
  const words = name.split(' ');
  const out: string[] = [''];
  for (const word of words) {
    const line = out.at(-1)!;
    if (line && (line + ' ' + word).length > 22 && out.length < 2) out.push(word);
    else out[out.length - 1] = line ? `${line} ${word}` : word;
  }
  return out;
}

function svg(name: string, glyph: string, fill: string | null): string {
  const hue = hueOf(name);
  const text = lines(name)
    .map(
      (line, i, all) =>
        `<text x="${W / 2}" y="${all.length === 1 ? 410 : 392 + i * 36}" text-anchor="middle" font-family="Helvetica, Arial, sans-serif" font-size="30" font-weight="600" fill="#fff">${escapeXml(line)}</text>`,
    )
    .join('');
  const body = fill ? glyph.replace('<path ', `<path fill="${fill}" `) : glyph;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeXml(name)}">`,
    `<title>${escapeXml(name)}</title>`,
    `<defs><linearGradient id="bg" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${hsl(hue, 55, 52)}"/><stop offset="1" stop-color="${hsl((hue + 40) % 360, 60, 36)}"/></linearGradient></defs>`,
    `<rect width="${W}" height="${H}" fill="url(#bg)"/>`,
    `<circle cx="${W / 2}" cy="200" r="140" fill="#fff" fill-opacity="0.16"/>`,
    `<g transform="translate(${W / 2} 200)" fill="none" stroke="#fff" stroke-width="10" stroke-linecap="round" stroke-linejoin="round">${body}</g>`,
    text,
    '</svg>',
    '',
  ].join('\n');
}

/** Every file: key (without .svg) → contents. */
export function demoImages(): Map<string, string> {
  const files = new Map<string, string>();
  for (const product of demoCatalogue) {
    const primary = product.categorySlugs[0]!;
    const isMug = product.slug.includes('mug');
    const glyph = isMug ? GLYPHS.mug! : product.slug.includes('t-shirt') ? GLYPHS.shirt! : glyphOf(primary);
    for (const image of product.images) files.set(image.url.slice(8, -4), svg(product.name, glyph, null));
    for (const variant of product.variants) {
      for (const image of variant.images) {
        const colour = variant.selectedOptions.find((o) => o.name === 'Colour')?.value ?? '';
        const label = `${product.name} ${colour}`.trim();
        files.set(image.url.slice(8, -4), svg(label, glyph, COLOUR_FILLS[colour.toLowerCase()] ?? null));
      }
    }
  }
  return files;
}

const check = process.argv.includes('--check');
let problems = 0;
for (const [key, contents] of demoImages()) {
  const path = `${IMAGES_DIR}${key}.svg`;
  if (check) {
    if (!existsSync(path) || readFileSync(path, 'utf8') !== contents) {
      console.error(`${key}.svg is missing or out of date`);
      problems += 1;
    }
  } else {
    writeFileSync(path, contents);
  }
}
if (problems > 0) process.exit(1);
