import { randomUUID } from 'node:crypto';
import { LookupReply, request, ReleaseReply, ReserveReply, type LookedUpProduct } from '@shop/messaging';
import type { Booted } from './helpers';

const { addProduct, bootProducts } = await import('./helpers');

let t: Booted;
const lookup = (productIds: unknown) =>
  request(t.nc, t.names.commands.productsLookup, { productIds }, LookupReply, 30_000);
const found = async (productIds: string[]): Promise<LookedUpProduct[]> => {
  const reply = await lookup(productIds);
  if (!reply.ok) throw new Error(`lookup refused: ${reply.message}`);
  return reply.products;
};
const reserve = (orderId: string, items: { productId: string; quantity: number }[]) =>
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
    await t.app.repository.update(p.id, { name: 'New name', price: { amount: 1250, currency: 'EUR' } });
    const [now] = await found([p.id]);
    expect(now?.name).toBe('New name');
    expect(now?.unitPrice).toEqual({ amount: 1250, currency: 'EUR' });
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
