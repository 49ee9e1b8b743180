import { randomUUID } from 'node:crypto';
import { LookupReply, request, ReleaseReply, ReserveReply, type LookedUpProduct } from '@shop/messaging';
import type { Booted } from './helpers';

const { bootProducts } = await import('./helpers');
const { addProduct, addVariantProduct, sizes } = await import('./variants.helpers');

let t: Booted;
const lookup = (productIds: unknown) =>
  request(t.nc, t.names.commands.productsLookup, { productIds }, LookupReply, 30_000);
const found = async (productIds: string[]): Promise<LookedUpProduct[]> => {
  const reply = await lookup(productIds);
  if (!reply.ok) throw new Error(`lookup refused: ${reply.message}`);
  return reply.products;
};
const reserve = (orderId: string, items: { productId: string; variantId?: string; quantity: number }[]) =>
  request(t.nc, t.names.commands.productsReserve, { orderId, items }, ReserveReply, 30_000);
const release = (orderId: string) =>
  request(t.nc, t.names.commands.productsRelease, { orderId }, ReleaseReply, 30_000);

beforeAll(async () => {
  t = await bootProducts('prodlookup');
});
afterAll(async () => {
  await t.cleanup();
});

describe('products.lookup over NATS', () => {
  it('answers sku, name, price and available for each product, reserving nothing', async () => {
    const a = await addProduct(t, { name: 'Lamp', stock: 7, amount: 1999 });
    const b = await addProduct(t, { name: 'Desk', stock: 0, amount: 25_000 });
    const products = await found([a.id, b.id]);
    const byId = new Map(products.map((p) => [p.productId, p]));
    expect(products).toHaveLength(2);
    expect(byId.get(a.id)).toEqual({
      productId: a.id,
      sku: a.sku,
      name: 'Lamp',
      unitPrice: { amount: 1999, currency: 'EUR' },
      available: 7,
      variants: [
        {
          variantId: `${a.id}-1`,
          sku: a.sku,
          title: '',
          unitPrice: { amount: 1999, currency: 'EUR' },
          available: 7,
        },
      ],
    });
    expect(byId.get(b.id)?.available).toBe(0);
    // Nothing was taken and no reservation written.
    expect((await t.app.repository.findById(a.id))?.stock).toBe(7);
    expect(await t.store.collection('reservations').countDocuments({})).toBe(0);
  });

  it('available is stock minus what live holds take; back up when the hold is released', async () => {
    const p = await addProduct(t, { stock: 10 });
    const orderId = randomUUID();
    expect((await reserve(orderId, [{ productId: p.id, quantity: 4 }])).ok).toBe(true);
    expect((await found([p.id]))[0]?.available).toBe(6);
    const other = randomUUID();
    expect((await reserve(other, [{ productId: p.id, quantity: 6 }])).ok).toBe(true);
    expect((await found([p.id]))[0]?.available).toBe(0);
    expect((await release(orderId)).ok).toBe(true);
    expect((await found([p.id]))[0]?.available).toBe(4);
  });

  it('answers the price and name as they are now', async () => {
    const p = await addProduct(t, { name: 'Old name', amount: 1000 });
    await t.app.repository.update(p.id, { name: 'New name' });
    await t.app.variantsRepository.updateVariant(
      { productId: p.id, n: 1 },
      { price: { amount: 1250, currency: 'EUR' } },
    );
    const [now] = await found([p.id]);
    expect(now?.name).toBe('New name');
    expect(now?.unitPrice).toEqual({ amount: 1250, currency: 'EUR' });
    expect(now?.variants[0]?.unitPrice).toEqual({ amount: 1250, currency: 'EUR' });
  });

  it('answers every variant of a product: its SKU, title, price and units; the product the lowest price and the sum', async () => {
    const p = await addVariantProduct(
      t,
      [
        { name: 'Size', values: ['S', 'M'] },
        { name: 'Colour', values: ['Red', 'Blue'] },
      ],
      [
        { values: ['M', 'Blue'], stock: 4, amount: 2500 },
        { values: ['S', 'Red'], stock: 0, amount: 1900 },
        { values: ['S', 'Blue'], stock: 3, amount: 2100 },
      ],
    );
    const [product] = await found([p.id]);
    expect(product).toEqual({
      productId: p.id,
      sku: p.variants[0]!.sku,
      name: p.name,
      unitPrice: { amount: 1900, currency: 'EUR' },
      available: 7,
      variants: [
        {
          variantId: `${p.id}-1`,
          sku: p.variants[0]!.sku,
          title: 'M / Blue',
          unitPrice: { amount: 2500, currency: 'EUR' },
          available: 4,
        },
        {
          variantId: `${p.id}-2`,
          sku: p.variants[1]!.sku,
          title: 'S / Red',
          unitPrice: { amount: 1900, currency: 'EUR' },
          available: 0,
        },
        {
          variantId: `${p.id}-3`,
          sku: p.variants[2]!.sku,
          title: 'S / Blue',
          unitPrice: { amount: 2100, currency: 'EUR' },
          available: 3,
        },
      ],
    });
  });

  it('available per variant is its stock minus what live holds take; a removed variant is not answered', async () => {
    const p = await sizes(t, [5, 6]);
    const orderId = randomUUID();
    expect(
      (
        await reserve(orderId, [
          { productId: p.id, variantId: `${p.id}-1`, quantity: 2 },
          { productId: p.id, variantId: `${p.id}-2`, quantity: 6 },
        ])
      ).ok,
    ).toBe(true);
    const [held] = await found([p.id]);
    expect(held?.variants.map((v) => v.available)).toEqual([3, 0]);
    expect(held?.available).toBe(3);
    expect((await release(orderId)).ok).toBe(true);
    expect(await t.app.variantsRepository.removeVariant({ productId: p.id, n: 1 })).toMatchObject({
      kind: 'ok',
    });
    const [after] = await found([p.id]);
    expect(after?.variants.map((v) => v.variantId)).toEqual([`${p.id}-2`]);
    expect(after).toMatchObject({
      available: 6,
      unitPrice: { amount: 1700, currency: 'EUR' },
      sku: p.variants[1]!.sku,
    });
  });

  it('leaves out unknown ids and ids not in the issued form; repeated ids are answered once', async () => {
    const p = await addProduct(t);
    const unknown = 'f'.repeat(24);
    const variants = [p.id.toUpperCase(), ` ${p.id}`, `${p.id} `, p.id.slice(0, 23), `${p.id}0`, `{${p.id}}`];
    const products = await found([p.id, unknown, ...variants, p.id]);
    expect(products.map((x) => x.productId)).toEqual([p.id]);
    expect(await found([unknown, ...variants])).toEqual([]);
  });

  it('refuses a request of no ids, more than 100, or not a list (INVALID_REQUEST)', async () => {
    const p = await addProduct(t);
    for (const productIds of [[], Array.from({ length: 101 }, () => p.id), p.id, [42], null]) {
      const reply = await lookup(productIds);
      expect(reply.ok).toBe(false);
      if (!reply.ok) expect(reply.code).toBe('INVALID_REQUEST');
    }
  });

  it('100 ids at once: every existing product answered once', async () => {
    const products = await Promise.all(Array.from({ length: 30 }, (_, i) => addProduct(t, { stock: i })));
    const ids = products.map((p) => p.id);
    const asked = [...ids, ...Array.from({ length: 70 }, (_, i) => i.toString(16).padStart(24, 'a'))];
    const answered = await found(asked);
    expect(answered.map((x) => x.productId).sort()).toEqual([...ids].sort());
    for (const [i, p] of products.entries())
      expect(answered.find((x) => x.productId === p.id)?.available).toBe(i);
  });
});
