/**
 * Images (issue 18): the demo catalogue's committed SVG files (every seeded product has one, width
 * and height as stated), served at /images/ with content-hashed immutable URLs, ETags and a CSP,
 * without the router secret, and without any path from a request reaching the file system (the
 * traversal attempts below are sent byte for byte, not normalised by a client). ImageInput rules.
 */
import { request as httpRequest } from 'node:http';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { IMAGES_DIR, ImageStore, IMMUTABLE, svgSize } from '../src/images';
import { DEMO_IMAGE_SIZE, demoCatalogue, demoImageKeys } from '../src/seed-data';
import type { Booted } from './helpers';

const { admin, bootProducts } = await import('./helpers');

let t: Booted;
let base: string;
beforeAll(async () => {
  t = await bootProducts('prodimg', { SEED_IF_EMPTY: 'true', PUBLIC_URL: 'https://cdn.example.com/shop/' });
  base = t.url.replace(/\/graphql$/, '');
});
afterAll(async () => {
  await t.cleanup();
});

/** A GET with the path exactly as given (fetch would normalise `..` and percent-escapes first). */
function rawGet(path: string, headers: Record<string, string> = {}) {
  const { hostname, port } = new URL(base);
  return new Promise<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: Buffer;
  }>((resolve, reject) => {
    const req = httpRequest({ hostname, port, path, method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

type Img = { url: string; altText: string; width: number; height: number };

describe('the demo images', () => {
  it('every demo product and variant image is a committed file of a few KB stating 480 x 480', () => {
    const keys = demoImageKeys();
    const files = readdirSync(IMAGES_DIR).filter((f) => f.endsWith('.svg'));
    expect(files.sort()).toEqual(keys.map((k) => `${k}.svg`).sort()); // none missing, none left over
    for (const file of files) {
      const path = `${IMAGES_DIR}${file}`;
      expect(statSync(path).size).toBeLessThan(4096);
      expect(svgSize(readFileSync(path, 'utf8'))).toEqual(DEMO_IMAGE_SIZE);
    }
    for (const product of demoCatalogue) {
      expect(product.images.length).toBeGreaterThanOrEqual(1);
      for (const image of product.images) expect(image).toMatchObject(DEMO_IMAGE_SIZE);
    }
  });

  it('every seeded product has an image whose absolute URL (PUBLIC_URL, content hash) serves it', async () => {
    const res = await t.query<{
      products: { totalCount: number; edges: { node: { name: string; images: Img[] } }[] };
    }>(`{ products(first: 100) { totalCount edges { node { name images { url altText width height } } } } }`);
    expect(res.errors).toBeUndefined();
    const nodes = res.data!.products.edges.map((e) => e.node);
    expect(nodes).toHaveLength(res.data!.products.totalCount);
    for (const node of nodes) {
      expect(node.images.length).toBeGreaterThanOrEqual(1);
      const [image] = node.images;
      expect(image!.url).toMatch(
        /^https:\/\/cdn\.example\.com\/shop\/images\/[a-z0-9-]+\.[0-9a-f]{12}\.svg$/,
      );
      expect(image).toMatchObject({ altText: node.name, width: 480, height: 480 });
    }
    const path = new URL(nodes[0]!.images[0]!.url).pathname.replace(/^\/shop/, '');
    const served = await rawGet(path); // no router secret: browsers load images directly
    expect(served.status).toBe(200);
    expect(served.headers['content-type']).toBe('image/svg+xml');
    expect(served.headers['cache-control']).toBe(IMMUTABLE);
    expect(served.headers['x-content-type-options']).toBe('nosniff');
    expect(served.headers['content-security-policy']).toContain("default-src 'none'");
    const key = path.replace(/^\/images\//, '').replace(/\.[0-9a-f]{12}\.svg$/, '.svg');
    expect(served.body.equals(readFileSync(`${IMAGES_DIR}${key}`))).toBe(true);

    // Revalidation: the ETag answers 304 without a body.
    const etag = String(served.headers.etag);
    expect(etag).toMatch(/^"[0-9a-f]{12}"$/);
    const again = await rawGet(path, { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    // The plain name (what documents store) is served too, with a short max-age.
    const plain = await rawGet(`/images/${key}`);
    expect(plain.status).toBe(200);
    expect(plain.headers['cache-control']).toBe('public, max-age=300');
    expect(plain.headers.etag).toBe(etag);
  });

  it.each([
    '/images/../package.json',
    '/images/..%2fpackage.json',
    '/images/%2e%2e%2fpackage.json',
    '/images/%2e%2e/%2e%2e/package.json',
    '/images/..%5c..%5cpackage.json',
    '/images/....//....//package.json',
    '/images/%252e%252e%252fpackage.json',
    '/images/%2Fetc%2Fpasswd',
    '/images/noise-cancelling-headphones.svg%00.png',
    '/images/noise-cancelling-headphones.svg/',
    '/images/NOISE-CANCELLING-HEADPHONES.svg',
    '/images/noise-cancelling-headphones.SVG',
    '/images/noise-cancelling-headphones.000000000000.svg',
    '/images/noise-cancelling-headphones',
    '/images/.svg',
    '/images/',
    '/images/images.ts',
    '/images/%C0%AE%C0%AE%2fpackage.json',
  ])('%s is not found, and nothing outside the images is read', async (path) => {
    const res = await rawGet(path);
    expect([400, 404]).toContain(res.status);
    expect(res.body.toString()).not.toMatch(/"name"|root:|import /);
  });

  it('an ImageStore refuses to hold a file whose name is not an image key', () => {
    expect(() => new ImageStore([{ key: '../x.svg', body: Buffer.from('') }])).toThrow();
    expect(() => new ImageStore([{ key: 'x.exe', body: Buffer.from('') }])).toThrow();
    expect(
      new ImageStore([{ key: 'ok-1.png', body: Buffer.from('png') }]).respond('ok-1.png', undefined),
    ).toMatchObject({
      status: 200,
      headers: { 'content-type': 'image/png' },
    });
  });
});

describe('ImageInput', () => {
  const CREATE = `mutation($input: CreateProductInput!) {
    createProduct(input: $input) {
      __typename
      ... on Product { id images { url altText width height } }
      ... on InvalidInputError { field message }
    }
  }`;
  let n = 0;
  const create = async (images: unknown) => {
    n += 1;
    const res = await t.query<{ createProduct: Record<string, unknown> }>(
      CREATE,
      {
        input: {
          sku: `IMG-${n}`,
          name: `Image test ${n}`,
          price: { amount: 100, currency: 'EUR' },
          category: 'images',
          images,
        },
      },
      admin,
    );
    expect(res.errors).toBeUndefined();
    return res.data!.createProduct;
  };
  const img = (over: Partial<Img>): Img => ({
    url: 'https://img.example.com/a.jpg',
    altText: 'A thing',
    width: 800,
    height: 600,
    ...over,
  });

  it('keeps the images in order; a local path becomes an absolute, hashed URL, an https URL stays', async () => {
    const result = await create([
      img({ url: 'https://img.example.com/b.jpg?w=800', altText: '  Second angle ' }),
      img({ url: '/images/french-press-1-l.svg', width: 480, height: 480 }),
    ]);
    expect(result).toMatchObject({
      __typename: 'Product',
      images: [
        { url: 'https://img.example.com/b.jpg?w=800', altText: 'Second angle', width: 800, height: 600 },
        {
          url: expect.stringMatching(
            /^https:\/\/cdn\.example\.com\/shop\/images\/french-press-1-l\.[0-9a-f]{12}\.svg$/,
          ),
        },
      ],
    });
    const updated = await t.query<{ updateProduct: { images: Img[] } }>(
      `mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { ... on Product { images { url } } } }`,
      { id: result.id, input: { images: [img({ url: 'https://img.example.com/c.png' })] } },
      admin,
    );
    expect(updated.data!.updateProduct.images).toEqual([{ url: 'https://img.example.com/c.png' }]);
  });

  it.each([
    ['http URL', img({ url: 'http://img.example.com/a.jpg' }), 'images[0].url'],
    ['javascript: URL', img({ url: 'javascript:alert(1)' }), 'images[0].url'],
    ['data: URL', img({ url: 'data:image/svg+xml,<svg/>' }), 'images[0].url'],
    ['credentials', img({ url: 'https://user:pw@img.example.com/a.jpg' }), 'images[0].url'],
    ['not in normal form', img({ url: 'https://IMG.example.com/../a.jpg' }), 'images[0].url'],
    ['a relative path', img({ url: 'a.jpg' }), 'images[0].url'],
    ['an unknown local image', img({ url: '/images/nope.svg' }), 'images[0].url'],
    ['a traversal', img({ url: '/images/../package.json' }), 'images[0].url'],
    [
      'a URL over 2,000 characters',
      img({ url: `https://img.example.com/${'a'.repeat(2000)}` }),
      'images[0].url',
    ],
    ['blank alt text', img({ altText: '   ' }), 'images[0].altText'],
    ['alt text over 500 characters', img({ altText: 'a'.repeat(501) }), 'images[0].altText'],
    ['a control character in the alt text', img({ altText: 'a\u0000b' }), 'images[0].altText'],
    ['width 0', img({ width: 0 }), 'images[0].width'],
    ['height 10,001', img({ height: 10_001 }), 'images[0].height'],
  ])('refuses %s with InvalidInputError and writes nothing', async (_label, image, field) => {
    const before = await t.app.repository.count();
    expect(await create([image])).toMatchObject({
      __typename: 'InvalidInputError',
      field,
    });
    expect(await t.app.repository.count()).toBe(before);
  });

  it('refuses more than 20 images', async () => {
    expect(await create(Array.from({ length: 21 }, () => img({})))).toMatchObject({ field: 'images' });
    expect(await create(Array.from({ length: 20 }, () => img({})))).toMatchObject({ __typename: 'Product' });
  });
});
