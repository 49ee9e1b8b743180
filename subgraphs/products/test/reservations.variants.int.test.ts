/**
 * Reservations per variant (issue 18): the crash safety and invariants of reservations.int.test.ts
 * held per variant. An order may hold several variants of one product (one hold each); every
 * stock change is one write of the product document that also records the hold, so a crash between
 * the writes of two variants is undone exactly. Every invariant is read from the store itself.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, publishEvent, ReleaseReply, request, ReserveReply } from '@shop/messaging';
import { runId, waitFor } from '@shop/testing';
import type { Booted } from './helpers';

const { bootProducts } = await import('./helpers');
const { addProduct, addVariantProduct, ledgerOf, sizes } = await import('./variants.helpers');

let t: Booted;
type Item = { productId: string; variantId?: string; quantity: number };
const reserve = (orderId: string, items: Item[]) =>
  request(t.nc, t.names.commands.productsReserve, { orderId, items }, ReserveReply, 120_000);
const release = (orderId: string) =>
  request(t.nc, t.names.commands.productsRelease, { orderId }, ReleaseReply, 120_000);
const v = (productId: string, n: number) => `${productId}-${n}`;
const reservationOf = (orderId: string) => t.app.reservationsRepository.findReservation(orderId);

/** Stock per variant (by number), and the product's derived stock checked against their sum. */
async function stocks(productId: string): Promise<number[]> {
  const ledger = await ledgerOf(t, productId);
  expect(ledger.productStock).toBe(ledger.variantStockSum);
  return [...ledger.byVariant.values()].map((x) => x.stock);
}
/** Stock plus held, per variant: constant through every reserve, release and crash (nothing sold). */
async function onHand(productId: string): Promise<number[]> {
  const ledger = await ledgerOf(t, productId);
  return [...ledger.byVariant.values()].map((x) => x.stock + x.held);
}

beforeAll(async () => {
  t = await bootProducts('prodresvar', {}, { recoveryEveryMs: 3_600_000 });
});
afterAll(async () => {
  await t.cleanup();
});

describe('reserving variants', () => {
  it('two variants of one product in one order: one line and one hold each; a release gives both back', async () => {
    const p = await sizes(t, [10, 8], [1500, 1700]);
    const orderId = randomUUID();
    const reply = await reserve(orderId, [
      { productId: p.id, variantId: v(p.id, 2), quantity: 3 },
      { productId: p.id, variantId: v(p.id, 1), quantity: 2 },
      { productId: p.id, variantId: v(p.id, 2), quantity: 1 },
    ]);
    expect(reply).toEqual({
      ok: true,
      lines: [
        {
          productId: p.id,
          variantId: v(p.id, 2),
          sku: p.variants[1]!.sku,
          name: p.name,
          variantTitle: 'M',
          quantity: 4,
          unitPrice: { amount: 1700, currency: 'EUR' },
        },
        {
          productId: p.id,
          variantId: v(p.id, 1),
          sku: p.variants[0]!.sku,
          name: p.name,
          variantTitle: 'S',
          quantity: 2,
          unitPrice: { amount: 1500, currency: 'EUR' },
        },
      ],
    });
    expect(await stocks(p.id)).toEqual([8, 4]);
    const { holds } = await ledgerOf(t, p.id);
    expect(holds).toEqual([
      { orderId, variant: 2, quantity: 4 },
      { orderId, variant: 1, quantity: 2 },
    ]);
    expect((await reservationOf(orderId))?.items).toEqual([
      { productId: p.id, variantId: v(p.id, 2), quantity: 4 },
      { productId: p.id, variantId: v(p.id, 1), quantity: 2 },
    ]);
    // A repeat answers the same lines and takes nothing.
    expect(await reserve(orderId, [{ productId: p.id, variantId: v(p.id, 1), quantity: 9 }])).toEqual(reply);
    expect(await stocks(p.id)).toEqual([8, 4]);
    expect(await release(orderId)).toEqual({ ok: true, released: true });
    expect(await stocks(p.id)).toEqual([10, 8]);
    expect((await ledgerOf(t, p.id)).holds).toEqual([]);
  });

  it('without variantId: the only variant of a product without options; named both ways, it is one item', async () => {
    const p = await addProduct(t, { stock: 5 });
    const orderId = randomUUID();
    const reply = await reserve(orderId, [
      { productId: p.id, quantity: 1 },
      { productId: p.id, variantId: v(p.id, 1), quantity: 2 },
    ]);
    expect(reply).toMatchObject({
      ok: true,
      lines: [{ variantId: v(p.id, 1), variantTitle: '', quantity: 3 }],
    });
    expect(await stocks(p.id)).toEqual([2]);
    expect((await ledgerOf(t, p.id)).holds).toEqual([{ orderId, variant: 1, quantity: 3 }]);
  });

  it('without variantId, a product with several variants is VARIANT_REQUIRED; nothing is written', async () => {
    const p = await sizes(t);
    const plain = await addProduct(t, { stock: 5 });
    const orderId = randomUUID();
    expect(
      await reserve(orderId, [
        { productId: plain.id, quantity: 1 },
        { productId: p.id, quantity: 1 },
      ]),
    ).toMatchObject({ ok: false, code: 'VARIANT_REQUIRED', productId: p.id });
    expect(await reservationOf(orderId)).toBeNull();
    expect([await stocks(p.id), await stocks(plain.id)]).toEqual([[10, 10], [5]]);
    // The same order may then name its variant.
    expect(await reserve(orderId, [{ productId: p.id, variantId: v(p.id, 2), quantity: 1 }])).toMatchObject({
      ok: true,
    });
  });

  it('OUT_OF_STOCK is per variant: requested and available of that variant, whatever the others have', async () => {
    const p = await sizes(t, [2, 50]);
    const other = await addProduct(t, { stock: 5 });
    const orderId = randomUUID();
    expect(
      await reserve(orderId, [
        { productId: other.id, quantity: 1 },
        { productId: p.id, variantId: v(p.id, 2), quantity: 1 },
        { productId: p.id, variantId: v(p.id, 1), quantity: 3 },
      ]),
    ).toMatchObject({
      ok: false,
      code: 'OUT_OF_STOCK',
      productId: p.id,
      variantId: v(p.id, 1),
      requested: 3,
      available: 2,
    });
    expect([await stocks(p.id), await stocks(other.id)]).toEqual([[2, 50], [5]]);
    expect(await reservationOf(orderId)).toBeNull();
  });

  it('a removed variant is NOT_FOUND with its variantId, and never reserved', async () => {
    const p = await sizes(t, [4, 4]);
    expect(await t.app.variantsRepository.removeVariant({ productId: p.id, n: 1 })).toMatchObject({
      kind: 'ok',
    });
    const orderId = randomUUID();
    expect(await reserve(orderId, [{ productId: p.id, variantId: v(p.id, 1), quantity: 1 }])).toMatchObject({
      ok: false,
      code: 'NOT_FOUND',
      productId: p.id,
      variantId: v(p.id, 1),
    });
    expect(await reservationOf(orderId)).toBeNull();
    // The product now has one variant, which an item without variantId means.
    expect(await reserve(randomUUID(), [{ productId: p.id, quantity: 1 }])).toMatchObject({
      ok: true,
      lines: [{ variantId: v(p.id, 2), variantTitle: 'M' }],
    });
    expect(await stocks(p.id)).toEqual([3]);
  });

  it('concurrent reserves of the last unit of one variant: exactly one gets it, the other variant is untouched', async () => {
    const p = await sizes(t, [1, 5]);
    const replies = await Promise.all(
      Array.from({ length: 30 }, () =>
        reserve(randomUUID(), [{ productId: p.id, variantId: v(p.id, 1), quantity: 1 }]),
      ),
    );
    expect(replies.filter((r) => r.ok)).toHaveLength(1);
    for (const r of replies.filter((x) => !x.ok))
      expect(r).toMatchObject({ code: 'OUT_OF_STOCK', variantId: v(p.id, 1), requested: 1, available: 0 });
    expect(await stocks(p.id)).toEqual([0, 5]);
    expect(await onHand(p.id)).toEqual([1, 5]);
  }, 60_000);

  it('mixed concurrent reserves and releases of two variants: per variant, stock never below 0 and stock + held constant', async () => {
    const START: [number, number] = [12, 7];
    const p = await sizes(t, START);
    const seen: { stocks: number[]; onHand: number[] }[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const ledger = await ledgerOf(t, p.id);
        const values = [...ledger.byVariant.values()];
        seen.push({ stocks: values.map((x) => x.stock), onHand: values.map((x) => x.stock + x.held) });
        expect(ledger.productStock).toBe(ledger.variantStockSum);
        await sleep(10);
      }
    })();
    const orders = Array.from({ length: 40 }, (_, i) => ({
      orderId: randomUUID(),
      items: [
        { productId: p.id, variantId: v(p.id, 1 + (i % 2)), quantity: 1 + (i % 3) },
        ...(i % 4 === 0 ? [{ productId: p.id, variantId: v(p.id, 2 - (i % 2)), quantity: 1 }] : []),
      ],
    }));
    const replies = await Promise.all(
      orders.map(async (o, i) => {
        const reply = await reserve(o.orderId, o.items);
        if (reply.ok && i % 3 === 0) await release(o.orderId);
        return reply;
      }),
    );
    watching = false;
    await watcher;
    expect(replies.some((r) => r.ok)).toBe(true);
    expect(replies.some((r) => !r.ok && r.code === 'OUT_OF_STOCK')).toBe(true);
    for (const s of seen) {
      expect(Math.min(...s.stocks)).toBeGreaterThanOrEqual(0);
      expect(s.onHand).toEqual(START);
    }
    expect(await onHand(p.id)).toEqual(START);
    // Everything still reserved comes back exactly.
    await Promise.all(orders.map((o) => release(o.orderId)));
    expect(await stocks(p.id)).toEqual(START);
  }, 120_000);
});

describe('crash safety per variant', () => {
  it('a reserve that died between the writes of two variants of one product is undone exactly once by recovery', async () => {
    const p = await sizes(t, [10, 10]);
    const orderId = randomUUID();
    const items = [
      { productId: p.id, variantId: v(p.id, 1), quantity: 3 },
      { productId: p.id, variantId: v(p.id, 2), quantity: 4 },
    ];
    // What a process killed between the two takes leaves: the PENDING record and variant 1 taken.
    await t.app.reservationsRepository.insertReservation(orderId, 'PENDING', items);
    expect(await t.app.reservationsRepository.takeStock(v(p.id, 1), 3, orderId)).toMatchObject({
      kind: 'ok',
    });
    expect(await stocks(p.id)).toEqual([7, 10]);
    expect(await onHand(p.id)).toEqual([10, 10]);

    expect(await t.app.reservations.recoverStale(60_000)).toMatchObject({ released: 0, orphanHolds: 0 });
    expect((await t.app.reservations.recoverStale(0)).released).toBeGreaterThanOrEqual(1);
    expect(await reservationOf(orderId)).toMatchObject({ status: 'RELEASED' });
    expect(await stocks(p.id)).toEqual([10, 10]);
    await t.app.reservations.recoverStale(0);
    expect(await stocks(p.id)).toEqual([10, 10]);
    expect(await reserve(orderId, items)).toMatchObject({ ok: false, code: 'INVALID_REQUEST' });
    expect(await stocks(p.id)).toEqual([10, 10]);
  });

  it('taking one variant twice for an order takes once; its other variant is a hold of its own', async () => {
    const p = await sizes(t, [6, 6]);
    const orderId = randomUUID();
    await t.app.reservationsRepository.insertReservation(orderId, 'PENDING', [
      { productId: p.id, variantId: v(p.id, 1), quantity: 2 },
      { productId: p.id, variantId: v(p.id, 2), quantity: 1 },
    ]);
    const repo = t.app.reservationsRepository;
    for (let i = 0; i < 2; i += 1) {
      expect(await repo.takeStock(v(p.id, 1), 2, orderId)).toMatchObject({ kind: 'ok' });
      expect(await repo.takeStock(v(p.id, 2), 1, orderId)).toMatchObject({ kind: 'ok' });
    }
    expect(await stocks(p.id)).toEqual([4, 5]);
    expect([await repo.heldBy(v(p.id, 1), orderId), await repo.heldBy(v(p.id, 2), orderId)]).toEqual([2, 1]);
    expect(await repo.returnStock(v(p.id, 2), orderId)).toEqual({ units: 1, stock: 6 });
    expect(await repo.returnStock(v(p.id, 2), orderId)).toEqual({ units: 0, stock: 6 });
    expect(await stocks(p.id)).toEqual([4, 6]);
    expect(await repo.heldBy(v(p.id, 1), orderId)).toBe(2);
    // Ids in any other form name no variant: nothing taken, given back or settled through them.
    for (const other of [v(p.id, 1).toUpperCase(), `${p.id}-01`, `${p.id}-0`, ` ${v(p.id, 1)}`]) {
      expect(await repo.takeStock(other, 1, randomUUID())).toEqual({ kind: 'not-found' });
      expect(await repo.returnStock(other, orderId)).toEqual({ units: 0, stock: null });
      await repo.settleStock(other, orderId);
      expect(await repo.heldBy(other, orderId)).toBe(0);
    }
    expect(await stocks(p.id)).toEqual([4, 6]);
    expect(await repo.heldBy(v(p.id, 1), orderId)).toBe(2);
  });

  it('a release that died after giving back one variant gives back only the other when retried', async () => {
    const p = await sizes(t, [10, 10]);
    const orderId = randomUUID();
    expect(
      await reserve(orderId, [
        { productId: p.id, variantId: v(p.id, 1), quantity: 2 },
        { productId: p.id, variantId: v(p.id, 2), quantity: 5 },
      ]),
    ).toMatchObject({ ok: true });
    await t.app.reservationsRepository.returnStock(v(p.id, 1), orderId); // the first give-back, then a crash
    expect(await stocks(p.id)).toEqual([10, 5]);
    expect(await release(orderId)).toEqual({ ok: true, released: true });
    expect(await stocks(p.id)).toEqual([10, 10]);
    expect(await release(orderId)).toEqual({ ok: true, released: false });
    expect(await stocks(p.id)).toEqual([10, 10]);
  });

  it('a reserve whose variant ran out while taking gives back the variant it took and ends RELEASED', async () => {
    const p = await sizes(t, [5, 5]);
    const orderId = randomUUID();
    // The precheck saw stock; the second variant is sold out before the take (another order's hold).
    const items = [
      { productId: p.id, variantId: v(p.id, 1), quantity: 2 },
      { productId: p.id, variantId: v(p.id, 2), quantity: 5 },
    ];
    await t.app.reservationsRepository.insertReservation(orderId, 'PENDING', items);
    const rival = randomUUID();
    await t.app.reservationsRepository.insertReservation(rival, 'RESERVED', []);
    await t.app.reservationsRepository.takeStock(v(p.id, 2), 1, rival);
    // What reserve runs after its PENDING insert (a private step, reached here to time the race).
    const steps = t.app.reservations as unknown as {
      takeAll: (orderId: string, items: Required<Item>[]) => Promise<unknown>;
    };
    const reply = await steps.takeAll(orderId, items);
    expect(reply).toMatchObject({ ok: false, code: 'OUT_OF_STOCK', variantId: v(p.id, 2), available: 4 });
    expect(await stocks(p.id)).toEqual([5, 4]);
    expect(await reservationOf(orderId)).toMatchObject({ status: 'RELEASED' });
    expect((await ledgerOf(t, p.id)).holds).toEqual([{ orderId: rival, variant: 2, quantity: 1 }]);
  });

  it('orders.paid sells both variants: their holds are dropped, their stock stays taken', async () => {
    const p = await sizes(t, [9, 9], [700, 800]);
    const orderId = randomUUID();
    expect(
      await reserve(orderId, [
        { productId: p.id, variantId: v(p.id, 1), quantity: 4 },
        { productId: p.id, variantId: v(p.id, 2), quantity: 1 },
      ]),
    ).toMatchObject({ ok: true });
    const js = jetstream(t.nc);
    const line = (n: number, quantity: number, amount: number) => ({
      productId: p.id,
      variantId: v(p.id, n),
      sku: p.variants[n - 1]!.sku,
      name: p.name,
      quantity,
      unitPrice: { amount, currency: 'EUR' },
      lineTotal: { amount: amount * quantity, currency: 'EUR' },
    });
    const event = {
      eventId: runId('evt'),
      orderId,
      orderNumber: 'SO-2',
      userId: 'u-1',
      paymentId: runId('pay'),
      total: { amount: 3600, currency: 'EUR' },
      items: [line(1, 4, 700), line(2, 1, 800)],
      paidAt: new Date().toISOString(),
    };
    await publishEvent(js, t.names.events.ordersPaid, event.eventId, event);
    await waitFor(async () => (await reservationOf(orderId))?.status === 'SOLD');
    expect((await ledgerOf(t, p.id)).holds).toEqual([]);
    expect(await stocks(p.id)).toEqual([5, 8]);
    expect(await release(orderId)).toEqual({ ok: true, released: false });
    expect(await stocks(p.id)).toEqual([5, 8]);
  });

  it('a record from before variants (items without variantId) releases variant 1 of its product', async () => {
    const p = await addVariantProduct(
      t,
      [{ name: 'Size', values: ['S', 'M'] }],
      [
        { values: ['S'], stock: 10 },
        { values: ['M'], stock: 10 },
      ],
    );
    const orderId = randomUUID();
    const now = new Date();
    await t.store.collection('reservations').insertOne({
      _id: orderId,
      orderId,
      status: 'RESERVED',
      items: [{ productId: p.id, quantity: 3 }],
      lines: [
        { productId: p.id, sku: 'OLD', name: 'Old', quantity: 3, unitPrice: { amount: 1, currency: 'EUR' } },
      ],
      createdAt: now,
      updatedAt: now,
    } as never);
    await t.app.reservationsRepository.takeStock(v(p.id, 1), 3, orderId);
    expect(await reservationOf(orderId)).toMatchObject({
      items: [{ productId: p.id, variantId: v(p.id, 1), quantity: 3 }],
      lines: [{ variantId: v(p.id, 1), variantTitle: '', sku: 'OLD' }],
    });
    expect(await release(orderId)).toEqual({ ok: true, released: true });
    expect(await stocks(p.id)).toEqual([10, 10]);
  });
});
