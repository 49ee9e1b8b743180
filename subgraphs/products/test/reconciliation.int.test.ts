/**
 * Reconciliation (issue 16): the recovery sweep also finds holds without a live reservation (what
 * finding 2 left behind: holds whose reservation is RELEASED, or whose order never existed) and
 * gives them back exactly once. The orphans are planted straight into the store through the test's
 * own connection, and every outcome is read back from it.
 */
import { randomUUID } from 'node:crypto';
import { deleteStreams, memoryLog, waitFor } from '@shop/testing';
import mongoose from 'mongoose';
import type { Booted } from './helpers';

const { bootProducts } = await import('./helpers');
const { addProduct, sizes } = await import('./variants.helpers');

let t: Booted;
beforeAll(async () => {
  // The background sweep stays out of the way: these tests run it themselves and count what it did.
  t = await bootProducts('prodrec', {}, { recoveryEveryMs: 3_600_000 });
});
afterAll(async () => {
  await t.cleanup();
});

const products = () => t.store.collection('products');
const reservations = () => t.store.collection('reservations');
const oid = (id: string) => new mongoose.Types.ObjectId(id);
/** The product's stock, each variant's, and the holds, as stored (the product's is their sum). */
const stored = async (id: string) => {
  const doc = await products().findOne({ _id: oid(id) } as never);
  const variants = (doc?.variants ?? []) as { n: number; stock: number }[];
  expect(doc?.stock).toBe(variants.reduce((sum, v) => sum + v.stock, 0));
  return {
    stock: doc?.stock as number,
    holds: (doc?.holds ?? []) as { orderId: string; variant?: number; quantity: number }[],
  };
};
const variantStocks = async (id: string) =>
  (((await products().findOne({ _id: oid(id) } as never))?.variants ?? []) as { stock: number }[]).map(
    (v) => v.stock,
  );

/**
 * What a lost update leaves: units gone from a variant's stock (and the product's), recorded as
 * held by an order. `variant` null: a hold written before variants (no variant: variant 1).
 */
async function plantHold(productId: string, orderId: string, quantity: number, variant: number | null = 1) {
  const index = (variant ?? 1) - 1;
  await products().updateOne(
    { _id: oid(productId) } as never,
    {
      $inc: { stock: -quantity, [`variants.${index}.stock`]: -quantity },
      $push: { holds: variant === null ? { orderId, quantity } : { orderId, variant, quantity } },
    } as never,
  );
}
async function plantReservation(
  orderId: string,
  status: string,
  items: { productId: string; variantId?: string; quantity: number }[],
) {
  const now = new Date();
  await reservations().insertOne({
    _id: orderId,
    orderId,
    status,
    items,
    lines: [],
    createdAt: now,
    updatedAt: now,
  } as never);
}

describe('reconciliation: holds without a live reservation are given back, once', () => {
  it('an orphan hold (no reservation at all) comes back to stock once; a second sweep changes nothing', async () => {
    const p = await addProduct(t, { stock: 40 });
    const orderId = randomUUID();
    await plantHold(p.id, orderId, 7);
    expect(await stored(p.id)).toEqual({ stock: 33, holds: [{ orderId, variant: 1, quantity: 7 }] });

    const first = await t.app.reservations.recoverStale();
    expect(first).toMatchObject({ orphanHolds: 1, orphanUnits: 7, soldHolds: 0 });
    expect(await stored(p.id)).toEqual({ stock: 40, holds: [] });

    const second = await t.app.reservations.recoverStale();
    expect(second).toMatchObject({ orphanHolds: 0, orphanUnits: 0, soldHolds: 0 });
    expect(await stored(p.id)).toEqual({ stock: 40, holds: [] });
    expect(
      t.logs.lines.filter((l) => l.includes('orphan hold given back to stock') && l.includes(orderId)),
    ).toHaveLength(1);
  });

  it('what finding 2 left: a RELEASED reservation whose items name a misspelt product id still holds units; the sweep gives them back', async () => {
    const p = await addProduct(t, { stock: 200 });
    const orderId = randomUUID();
    // The reserve ran with the upper-case id and the lost update left the hold; orders then released.
    await plantReservation(orderId, 'RESERVED', [{ productId: p.id.toUpperCase(), quantity: 40 }]);
    await plantHold(p.id, orderId, 40, null);
    expect(await t.app.reservations.release(orderId)).toEqual({ ok: true, released: true });
    // The release names the misspelt id, which names nothing: the hold is still there (the leak)...
    expect(await stored(p.id)).toEqual({ stock: 160, holds: [{ orderId, quantity: 40 }] });
    expect((await t.app.reservationsRepository.findReservation(orderId))?.status).toBe('RELEASED');
    // ...until the sweep reconciles it.
    expect(await t.app.reservations.recoverStale()).toMatchObject({ orphanHolds: 1, orphanUnits: 40 });
    expect(await stored(p.id)).toEqual({ stock: 200, holds: [] });
    expect(await t.app.reservations.recoverStale()).toMatchObject({ orphanHolds: 0, orphanUnits: 0 });
    expect(await stored(p.id)).toEqual({ stock: 200, holds: [] });
  });

  it('live holds stay; a SOLD reservation’s hold is dropped without returning its units', async () => {
    const p = await addProduct(t, { stock: 30 });
    const reserved = randomUUID();
    const pending = randomUUID();
    const sold = randomUUID();
    expect(
      await t.app.reservations.reserve({ orderId: reserved, items: [{ productId: p.id, quantity: 2 }] }),
    ).toMatchObject({ ok: true });
    await plantReservation(pending, 'PENDING', [{ productId: p.id, quantity: 3 }]);
    await plantHold(p.id, pending, 3);
    await plantReservation(sold, 'SOLD', [{ productId: p.id, quantity: 4 }]);
    await plantHold(p.id, sold, 4);
    expect((await stored(p.id)).stock).toBe(21);

    expect(await t.app.reservations.recoverStale()).toEqual({
      released: 0,
      orphanHolds: 0,
      orphanUnits: 0,
      soldHolds: 1,
    });
    expect(await stored(p.id)).toEqual({
      stock: 21,
      holds: [
        { orderId: reserved, variant: 1, quantity: 2 },
        { orderId: pending, variant: 1, quantity: 3 },
      ],
    });
    expect(await t.app.reservations.recoverStale()).toMatchObject({ orphanHolds: 0, soldHolds: 0 });
    expect((await stored(p.id)).stock).toBe(21);
  });

  it('many orphans on several products, swept by two processes at once: each comes back exactly once', async () => {
    const { createApp } = await import('../src');
    const { createLogger } = await import('@shop/server');
    const second = await createApp(
      { ...t.app.config, NATS_PREFIX: `${t.app.config.NATS_PREFIX}r` },
      { log: createLogger({ name: 'second' }, memoryLog().stream), recoveryEveryMs: 3_600_000 },
    );
    try {
      const a = await addProduct(t, { stock: 100 });
      const b = await addProduct(t, { stock: 100 });
      const planted: number[] = [];
      for (let i = 0; i < 12; i += 1) {
        const orderId = randomUUID();
        if (i % 3 === 0) await plantReservation(orderId, 'RELEASED', []);
        await plantHold(i % 2 ? a.id : b.id, orderId, i + 1);
        planted.push(i + 1);
      }
      const reports = await Promise.all([
        t.app.reservations.recoverStale(),
        second.reservations.recoverStale(),
        t.app.reservations.recoverStale(),
      ]);
      expect(reports.reduce((n, r) => n + r.orphanHolds, 0)).toBe(12);
      expect(reports.reduce((n, r) => n + r.orphanUnits, 0)).toBe(planted.reduce((x, y) => x + y, 0));
      expect(await stored(a.id)).toEqual({ stock: 100, holds: [] });
      expect(await stored(b.id)).toEqual({ stock: 100, holds: [] });
    } finally {
      await second.stop();
      await deleteStreams(t.nc, second.names);
    }
  }, 60_000);

  it('the sweep runs on its own (every()) and logs what it reconciled with counts', async () => {
    const { createApp } = await import('../src');
    const { createLogger } = await import('@shop/server');
    const logs = memoryLog();
    const p = await addProduct(t, { stock: 12 });
    const orderId = randomUUID();
    await plantHold(p.id, orderId, 5);
    const background = await createApp(
      { ...t.app.config, PORT: 0, NATS_PREFIX: `${t.app.config.NATS_PREFIX}s` },
      { log: createLogger({ name: 'background' }, logs.stream), recoveryEveryMs: 100 },
    );
    try {
      await background.start();
      await waitFor(() => logs.lines.some((l) => l.includes('reconciled holds without a live reservation')));
      const line = JSON.parse(logs.lines.find((l) => l.includes('reconciled holds'))!) as Record<
        string,
        unknown
      >;
      expect(line).toMatchObject({ orphanHolds: 1, orphanUnits: 5, soldHolds: 0 });
      expect(await stored(p.id)).toEqual({ stock: 12, holds: [] });
    } finally {
      await background.stop();
      await deleteStreams(t.nc, background.names);
    }
  }, 30_000);
});

describe('reconciliation per variant (issue 18)', () => {
  it('orphan holds of one order on two variants of a product come back to their own variant, once each', async () => {
    const p = await sizes(t, [20, 30]);
    const orderId = randomUUID();
    await plantHold(p.id, orderId, 3, 1);
    await plantHold(p.id, orderId, 5, 2);
    expect(await variantStocks(p.id)).toEqual([17, 25]);
    expect(await t.app.reservations.recoverStale()).toMatchObject({ orphanHolds: 2, orphanUnits: 8 });
    expect(await variantStocks(p.id)).toEqual([20, 30]);
    expect(await stored(p.id)).toEqual({ stock: 50, holds: [] });
    expect(await t.app.reservations.recoverStale()).toMatchObject({ orphanHolds: 0, orphanUnits: 0 });
    expect(await variantStocks(p.id)).toEqual([20, 30]);
    const logged = t.logs.lines.filter((l) => l.includes('orphan hold given back') && l.includes(orderId));
    expect(logged.map((l) => (JSON.parse(l) as { variantId: string }).variantId).sort()).toEqual([
      `${p.id}-1`,
      `${p.id}-2`,
    ]);
  });

  it('a SOLD order’s holds on two variants are dropped without units; a live hold on the same variant stays', async () => {
    const p = await sizes(t, [10, 10]);
    const sold = randomUUID();
    await plantReservation(sold, 'SOLD', [
      { productId: p.id, variantId: `${p.id}-1`, quantity: 2 },
      { productId: p.id, variantId: `${p.id}-2`, quantity: 1 },
    ]);
    await plantHold(p.id, sold, 2, 1);
    await plantHold(p.id, sold, 1, 2);
    const live = randomUUID();
    expect(
      await t.app.reservations.reserve({
        orderId: live,
        items: [{ productId: p.id, variantId: `${p.id}-2`, quantity: 4 }],
      }),
    ).toMatchObject({ ok: true });
    expect(await variantStocks(p.id)).toEqual([8, 5]);
    expect(await t.app.reservations.recoverStale()).toMatchObject({ orphanHolds: 0, soldHolds: 2 });
    expect(await stored(p.id)).toEqual({ stock: 13, holds: [{ orderId: live, variant: 2, quantity: 4 }] });
    expect(await variantStocks(p.id)).toEqual([8, 5]);
  });

  it('orphans on the variants of several products, swept by two processes at once: each comes back exactly once', async () => {
    const { createApp } = await import('../src');
    const { createLogger } = await import('@shop/server');
    const second = await createApp(
      { ...t.app.config, NATS_PREFIX: `${t.app.config.NATS_PREFIX}v` },
      { log: createLogger({ name: 'second' }, memoryLog().stream), recoveryEveryMs: 3_600_000 },
    );
    try {
      const a = await sizes(t, [100, 100]);
      const b = await sizes(t, [100, 100]);
      let units = 0;
      for (let i = 0; i < 12; i += 1) {
        const orderId = randomUUID();
        if (i % 3 === 0) await plantReservation(orderId, 'RELEASED', []);
        await plantHold(i % 2 ? a.id : b.id, orderId, i + 1, 1 + (i % 4 < 2 ? 0 : 1));
        units += i + 1;
      }
      const reports = await Promise.all([
        t.app.reservations.recoverStale(),
        second.reservations.recoverStale(),
        t.app.reservations.recoverStale(),
      ]);
      expect(reports.reduce((n, r) => n + r.orphanHolds, 0)).toBe(12);
      expect(reports.reduce((n, r) => n + r.orphanUnits, 0)).toBe(units);
      expect([await variantStocks(a.id), await variantStocks(b.id)]).toEqual([
        [100, 100],
        [100, 100],
      ]);
      expect((await stored(a.id)).holds).toEqual([]);
      expect((await stored(b.id)).holds).toEqual([]);
    } finally {
      await second.stop();
      await deleteStreams(t.nc, second.names);
    }
  }, 60_000);
});
