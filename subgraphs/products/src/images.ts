import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { invalid, textProblem, CONTROL, type InvalidInput } from './products.inputs';
import type { ImageModel } from './models';

/**
 * The demo catalogue's images: small committed files under `subgraphs/products/images/`, loaded
 * into memory at start-up and served by the products subgraph at `/images/<name>.<hash>.<ext>`.
 *
 * - The name in the URL carries the first 12 hex digits of the file's SHA-256, so a URL never
 *   changes meaning and is served `Cache-Control: public, max-age=31536000, immutable`. The plain
 *   name (`/images/<name>.<ext>`, what the documents store) is served too, with an ETag and a short
 *   max-age, for links made by hand.
 * - No path from a request ever reaches the file system: a request names a key of the in-memory map
 *   (`<name>.<ext>` of `[a-z0-9-]` and a known extension), anything else is 404. Directory traversal
 *   (`..`, `%2e%2e`, `/`, `\`) cannot be spelled in a key.
 * - SVG is served with a Content-Security-Policy that forbids scripts (and nosniff), so an image
 *   opened on its own cannot run anything.
 */

export const IMAGES_DIR = fileURLToPath(new URL('../images/', import.meta.url));

/** The images route prefix; a stored image URL that starts with it names a file of this service. */
export const IMAGES_PATH = '/images/';

const TYPES: Record<string, string> = {
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  webp: 'image/webp',
};

/** A file key: `<name>.<ext>`, name of [a-z0-9] runs joined by single '-', at most 100 characters. */
const FILE = /^([a-z0-9]+(?:-[a-z0-9]+)*)\.(svg|png|jpg|webp)$/;
/** A request: `<name>.<ext>` or `<name>.<12 hex digits>.<ext>`. */
const REQUEST = /^([a-z0-9]+(?:-[a-z0-9]+)*)(?:\.([0-9a-f]{12}))?\.(svg|png|jpg|webp)$/;

export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const REVALIDATE = 'public, max-age=300';

export interface StoredImage {
  key: string;
  body: Buffer;
  contentType: string;
  /** First 12 hex digits of the SHA-256 of the body. */
  hash: string;
  etag: string;
}

export interface ImageResponse {
  status: 200 | 304 | 404;
  headers: Record<string, string>;
  body?: Buffer;
}

export class ImageStore {
  private readonly files = new Map<string, StoredImage>();

  constructor(files: { key: string; body: Buffer }[] = []) {
    for (const { key, body } of files) {
      const match = FILE.exec(key);
      if (!match || key.length > 104) throw new Error(`not an image file name: ${key}`);
      const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
      this.files.set(key, { key, body, contentType: TYPES[match[2]!]!, hash, etag: `"${hash}"` });
    }
  }

  /** Every image file of a directory (the demo images by default); other files are ignored. */
  static fromDirectory(dir: string = IMAGES_DIR): ImageStore {
    const keys = readdirSync(dir).filter((name) => FILE.test(name));
    return new ImageStore(keys.map((key) => ({ key, body: readFileSync(`${dir}/${key}`) })));
  }

  get size(): number {
    return this.files.size;
  }

  get(key: string): StoredImage | null {
    return this.files.get(key) ?? null;
  }

  /** True when path is `/images/<key>` of a file this service has. */
  has(path: string): boolean {
    return path.startsWith(IMAGES_PATH) && this.files.has(path.slice(IMAGES_PATH.length));
  }

  /** The content-hashed path of a stored `/images/<key>` path (unchanged when unknown). */
  hashedPath(path: string): string {
    const file = path.startsWith(IMAGES_PATH) ? this.files.get(path.slice(IMAGES_PATH.length)) : undefined;
    if (!file) return path;
    const dot = file.key.lastIndexOf('.');
    return `${IMAGES_PATH}${file.key.slice(0, dot)}.${file.hash}${file.key.slice(dot)}`;
  }

  /** The answer to GET /images/<name> (name as it came in the URL, already percent-decoded or not). */
  respond(name: string, ifNoneMatch: string | undefined): ImageResponse {
    const match = REQUEST.exec(name);
    const file = match ? this.files.get(`${match[1]}.${match[3]}`) : undefined;
    if (!match || !file || (match[2] !== undefined && match[2] !== file.hash)) {
      return { status: 404, headers: { 'cache-control': 'no-store' } };
    }
    const headers = {
      'content-type': file.contentType,
      'cache-control': match[2] !== undefined ? IMMUTABLE : REVALIDATE,
      etag: file.etag,
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    };
    if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((tag) => tag.trim() === file.etag)) {
      return { status: 304, headers };
    }
    return { status: 200, headers, body: file.body };
  }
}

/** The width and height an SVG's root element states (null when it states none). */
export function svgSize(svg: string): { width: number; height: number } | null {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0];
  const width = root && /\swidth="(\d+)"/.exec(root)?.[1];
  const height = root && /\sheight="(\d+)"/.exec(root)?.[1];
  return width && height ? { width: Number(width), height: Number(height) } : null;
}

// ---- ImageInput ---------------------------------------------------------------------------------

export interface ImageInput {
  url: string;
  altText: string;
  width: number;
  height: number;
}

export const MAX_IMAGE_URL_LENGTH = 2000;
export const MAX_ALT_TEXT_LENGTH = 500;
export const MAX_IMAGE_SIDE = 10_000;
/** Images per product (a variant has its own, smaller bound: the variants' rules). */
export const MAX_PRODUCT_IMAGES = 20;

function urlProblem(url: string, store: ImageStore): string | null {
  if (url.length > MAX_IMAGE_URL_LENGTH) return `url must be at most ${MAX_IMAGE_URL_LENGTH} characters`;
  if (url.startsWith(IMAGES_PATH)) {
    return store.has(url) ? null : `url ${url} names no image of this service`;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'url must be an absolute https URL or a path under /images/';
  }
  if (parsed.protocol !== 'https:') return 'url must be an https URL';
  if (parsed.username || parsed.password) return 'url must not contain credentials';
  if (parsed.href !== url && parsed.href !== `${url}/`)
    return 'url must be written in its normal form (as a browser would)';
  return null;
}

/**
 * Checks images as createProduct/updateProduct (and the variant mutations) take them: at most `max`,
 * each an https URL (in its normal form, without credentials) or the path of an image this service
 * serves, alt text 1-500 characters without control characters (not blank: a screen reader reads
 * it), width and height 1-10,000. Fields are named `<field>[i].url` and so on.
 */
export function checkImages(
  images: readonly ImageInput[] | null | undefined,
  { field, max, store }: { field: string; max: number; store: ImageStore },
): InvalidInput | ImageModel[] {
  const list = images ?? [];
  if (list.length > max) return invalid(field, `at most ${max} images`);
  const checked: ImageModel[] = [];
  for (const [i, image] of list.entries()) {
    const at = `${field}[${i}]`;
    const url = urlProblem(image.url, store);
    if (url) return invalid(`${at}.url`, url);
    const alt =
      textProblem('altText', image.altText, CONTROL) ??
      (image.altText.trim().length >= 1 && image.altText.length <= MAX_ALT_TEXT_LENGTH
        ? null
        : `altText must be 1-${MAX_ALT_TEXT_LENGTH} characters`);
    if (alt) return invalid(`${at}.altText`, alt);
    for (const side of ['width', 'height'] as const) {
      const v = image[side];
      if (!Number.isInteger(v) || v < 1 || v > MAX_IMAGE_SIDE)
        return invalid(`${at}.${side}`, `${side} must be 1-${MAX_IMAGE_SIDE} pixels`);
    }
    checked.push({ url: image.url, altText: image.altText.trim(), width: image.width, height: image.height });
  }
  return checked;
}
