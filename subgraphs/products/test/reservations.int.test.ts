import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, publishEvent, ReleaseReply, request, ReserveReply } from '@shop/messaging';
import { runId, waitFor, deleteStreams } from '@shop/testing';
import type { Booted } from './helpers';

const { bootProducts } = await import('./helpers');
const { addProduct } = await import('./variants.helpers');
const { ReservationBusyError } = await import('../src/reservations.service');

let t: Booted;
const stockOf = async (id: string) => (await t.app.repository.findById(id))?.stock;
/** The only variant of a product without options. */
const only = (productId: string) => `${productId}-1`;
const reserve = (orderId: string, items: { productId: string; variantId?: string; quantity: number }[]) =>
  request(t.nc, t.names.commands.productsReserve, { orderId, items }, ReserveReply, 120_000);
const release = (orderId: string) =>
  request(t.nc, t.names.commands.productsRelease, { orderId }, ReleaseReply, 120_000);

beforeAll(async () => {
  t = await bootProducts('prodres');
});
afterAll(async () => {
  await t.cleanup();
});

describe('products.reserve / products.release over NATS', () => {
  it('200 concurrent reservations of 1 unit against stock 50: exactly 50 succeed, stock ends at 0', async () => {
    const product = await addProduct(t, { stock: 50 });
    let lowest = 50;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const s = (await stockOf(product.id)) ?? 0;
        lowest = Math.min(lowest, s);
        await sleep(20);
      }
    })();
    const replies = await Promise.all(
      Array.from({ length: 200 }, () => reserve(randomUUID(), [{ productId: product.id, quantity: 1 }])),
    );
    watching = false;
    await watcher;

    const ok = replies.filter((r) => r.ok);
    const refused = replies.filter((r) => !r.ok);
    expect(ok).toHaveLength(50);
    expect(refused).toHaveLength(150);
    expect(refused.every((r) => !r.ok && r.code === 'OUT_OF_STOCK' && r.available === 0)).toBe(true);
    expect(await stockOf(product.id)).toBe(0);
    expect(lowest).toBeGreaterThanOrEqual(0);
    expect(await t.store.collection('reservations').countDocuments({ status: 'RESERVED' })).toBe(50);
  }, 150_000);

  it('returns priced lines; a repeated reserve returns the same lines without taking stock again', async () => {
    const a = await addProduct(t, { stock: 10, amount: 1999 });
    const b = await addProduct(t, { stock: 5, amount: 500 });
    const orderId = randomUUID();
    const first = await reserve(orderId, [
      { productId: a.id, quantity: 2 },
      { productId: b.id, quantity: 1 },
      { productId: a.id, quantity: 1 },
    ]);
    expect(first).toEqual({
      ok: true,
      lines: [
        {
          productId: a.id,
          variantId: only(a.id),
          sku: a.sku,
          name: a.name,
          variantTitle: '',
          quantity: 3,
          unitPrice: { amount: 1999, currency: 'EUR' },
        },
        {
          productId: b.id,
          variantId: only(b.id),
          sku: b.sku,
          name: b.name,
          variantTitle: '',
          quantity: 1,
          unitPrice: { amount: 500, currency: 'EUR' },
        },
      ],
    });
    const repeats = await Promise.all(
      [1, 2, 3, 4, 5].map(() => reserve(orderId, [{ productId: a.id, quantity: 3 }])),
    );
    for (const r of repeats) expect(r).toEqual(first);
    expect(await stockOf(a.id)).toBe(7);
    expect(await stockOf(b.id)).toBe(4);

    const releases = await Promise.all([1, 2, 3, 4].map(() => release(orderId)));
    expect(releases.filter((r) => r.ok && r.released)).toHaveLength(1);
    expect(releases.every((r) => r.ok)).toBe(true);
    expect(await stockOf(a.id)).toBe(10);
    expect(await stockOf(b.id)).toBe(5);

    // A released order cannot reserve again under the same id.
    const again = await reserve(orderId, [{ productId: a.id, quantity: 1 }]);
    expect(again).toMatchObject({ ok: false, code: 'INVALID_REQUEST' });
    expect(await stockOf(a.id)).toBe(10);
  });

  it('a multi-item order whose last item is short leaves every stock unchanged', async () => {
    const a = await addProduct(t, { stock: 5 });
    const b = await addProduct(t, { stock: 5 });
    const c = await addProduct(t, { stock: 1 });
    const orderId = randomUUID();
    const reply = await reserve(orderId, [
      { productId: a.id, quantity: 2 },
      { productId: b.id, quantity: 3 },
      { productId: c.id, quantity: 2 },
    ]);
    expect(reply).toMatchObject({
      ok: false,
      code: 'OUT_OF_STOCK',
      productId: c.id,
      requested: 2,
      available: 1,
    });
    expect([await stockOf(a.id), await stockOf(b.id), await stockOf(c.id)]).toEqual([5, 5, 1]);
    expect(await t.app.reservationsRepository.findReservation(orderId)).toBeNull();
    // A failed reservation leaves nothing behind: the same order may try again once stock is back.
    await t.app.variantsRepository.adjustStock({ productId: c.id, n: null }, 1, 1000);
    expect(await reserve(orderId, [{ productId: c.id, quantity: 2 }])).toMatchObject({ ok: true });
    expect(await stockOf(c.id)).toBe(0);
  });

  it('an unknown or malformed product id is NOT_FOUND and takes nothing', async () => {
    const a = await addProduct(t, { stock: 5 });
    for (const missing of ['0123456789abcdef01234567', 'not-an-object-id']) {
      const reply = await reserve(randomUUID(), [
        { productId: a.id, quantity: 1 },
        { productId: missing, quantity: 1 },
      ]);
      expect(reply).toMatchObject({ ok: false, code: 'NOT_FOUND', productId: missing });
    }
    expect(await stockOf(a.id)).toBe(5);
  });

  it('two app instances on one database never overdraw a product (the lock is shared through MongoDB)', async () => {
    const { createApp } = await import('../src');
    const { createLogger } = await import('@shop/server');
    const { memoryLog } = await import('@shop/testing');
    const second = await createApp(
      { ...t.app.config, NATS_PREFIX: `${t.app.config.NATS_PREFIX}b` },
      {
        log: createLogger({ name: 'second' }, memoryLog().stream),
      },
    );
    try {
      const product = await addProduct(t, { stock: 20 });
      const replies = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          (i % 2 ? second : t.app).reservations.reserve({
            orderId: randomUUID(),
            items: [{ productId: product.id, quantity: 1 }],
          }),
        ),
      );
      expect(replies.filter((r) => r.ok)).toHaveLength(20);
      expect(await stockOf(product.id)).toBe(0);
    } finally {
      await second.stop();
      await deleteStreams(t.nc, second.names);
    }
  }, 60_000);

  it('an invalid request is refused with INVALID_REQUEST', async () => {
    const reply = await request(
      t.nc,
      t.names.commands.productsReserve,
      { orderId: 'x', items: [] },
      ReserveReply,
    );
    expect(reply).toMatchObject({ ok: false, code: 'INVALID_REQUEST' });
  });

  it('a release for an order that never reserved takes nothing, and a late reserve for it is refused', async () => {
    const a = await addProduct(t, { stock: 3 });
    const orderId = randomUUID();
    expect(await release(orderId)).toEqual({ ok: true, released: false });
    expect(await reserve(orderId, [{ productId: a.id, quantity: 1 }])).toMatchObject({
      ok: false,
      code: 'INVALID_REQUEST',
    });
    expect(await stockOf(a.id)).toBe(3);
  });

  it('an orders.cancelled event releases the order’s reservation once, even when delivered twice', async () => {
    const a = await addProduct(t, { stock: 8 });
    const orderId = randomUUID();
    expect(await reserve(orderId, [{ productId: a.id, quantity: 3 }])).toMatchObject({ ok: true });
    expect(await stockOf(a.id)).toBe(5);
    const js = jetstream(t.nc);
    const event = {
      eventId: runId('evt'),
      orderId,
      userId: 'u-1',
      reason: 'EXPIRED',
      items: [{ productId: a.id, quantity: 3 }],
      cancelledAt: new Date().toISOString(),
    };
    await publishEvent(js, t.names.events.ordersCancelled, event.eventId, event);
    // A second event for the same order (another id, so the stream keeps it) must not give stock twice.
    await publishEvent(js, t.names.events.ordersCancelled, runId('evt'), { ...event, eventId: runId('evt') });
    await waitFor(
      async () => (await t.app.reservationsRepository.findReservation(orderId))?.status === 'RELEASED',
    );
    await waitFor(
      () =>
        t.logs.lines.filter((l) => l.includes('reservation released') && l.includes(orderId)).length === 2,
    );
    expect(await stockOf(a.id)).toBe(8);
  });
});

describe('crash safety: every stock change is recorded with the order that made it', () => {
  const holds = (productId: string, orderId: string) =>
    t.app.reservationsRepository.heldBy(only(productId), orderId);

  it('taking twice for one order takes once, and giving back twice gives back once', async () => {
    const a = await addProduct(t, { stock: 6 });
    const orderId = randomUUID();
    // As a reserve does: the record first (the recovery sweep gives back holds that have none).
    await t.app.reservationsRepository.insertReservation(orderId, 'PENDING', [
      { productId: a.id, variantId: only(a.id), quantity: 2 },
    ]);
    const take = () => t.app.reservationsRepository.takeStock(only(a.id), 2, orderId);
    expect(await take()).toMatchObject({ kind: 'ok' });
    expect(await take()).toMatchObject({ kind: 'ok' });
    expect(await stockOf(a.id)).toBe(4);
    expect(await holds(a.id, orderId)).toBe(2);
    const giveBack = () => t.app.reservationsRepository.returnStock(only(a.id), orderId);
    expect(await giveBack()).toEqual({ units: 2, stock: 6 });
    expect(await giveBack()).toEqual({ units: 0, stock: 6 });
    expect(await stockOf(a.id)).toBe(6);
    expect(await holds(a.id, orderId)).toBe(0);
  });

  it('a reserve that died after taking some stock is released by recovery, exactly once', async () => {
    const a = await addProduct(t, { stock: 10 });
    const b = await addProduct(t, { stock: 10 });
    const orderId = randomUUID();
    // What a process killed half-way through leaves: the PENDING record and the first item taken.
    const items = [
      { productId: a.id, variantId: only(a.id), quantity: 3 },
      { productId: b.id, variantId: only(b.id), quantity: 4 },
    ];
    await t.app.reservationsRepository.insertReservation(orderId, 'PENDING', items);
    await t.app.reservationsRepository.takeStock(only(a.id), 3, orderId);
    expect(await stockOf(a.id)).toBe(7);

    // Not stale yet: left alone (its hold is live too).
    expect(await t.app.reservations.recoverStale(60_000)).toMatchObject({ released: 0, orphanHolds: 0 });
    expect((await t.app.reservations.recoverStale(0)).released).toBeGreaterThanOrEqual(1);
    expect(await t.app.reservationsRepository.findReservation(orderId)).toMatchObject({ status: 'RELEASED' });
    expect([await stockOf(a.id), await stockOf(b.id)]).toEqual([10, 10]);
    await t.app.reservations.recoverStale(0);
    expect([await stockOf(a.id), await stockOf(b.id)]).toEqual([10, 10]);
    // The order's retry, arriving after recovery, takes nothing.
    expect(await reserve(orderId, items)).toMatchObject({ ok: false, code: 'INVALID_REQUEST' });
    expect([await stockOf(a.id), await stockOf(b.id)]).toEqual([10, 10]);
  });

  it('while a reservation is PENDING, another reserve for the order is refused and a release waits', async () => {
    const a = await addProduct(t, { stock: 10 });
    const orderId = randomUUID();
    const items = [{ productId: a.id, variantId: only(a.id), quantity: 3 }];
    // What a reserve in progress (or one that died a moment ago) looks like.
    await t.app.reservationsRepository.insertReservation(orderId, 'PENDING', items);
    await t.app.reservationsRepository.takeStock(only(a.id), 3, orderId);
    expect(await reserve(orderId, items)).toMatchObject({ ok: false, code: 'INVALID_REQUEST' });
    expect(await stockOf(a.id)).toBe(7);
    await expect(t.app.reservations.release(orderId)).rejects.toBeInstanceOf(ReservationBusyError);
    expect(await stockOf(a.id)).toBe(7);
    // Once it is stale, its reserver is gone: the release gives back what is held.
    expect((await t.app.reservations.recoverStale(0)).released).toBeGreaterThanOrEqual(1);
    expect(await stockOf(a.id)).toBe(10);
    expect(await t.app.reservations.release(orderId)).toEqual({ ok: true, released: false });
  });

  it('a release that died after giving back part of the stock gives back only the rest when retried', async () => {
    const a = await addProduct(t, { stock: 10 });
    const b = await addProduct(t, { stock: 10 });
    const orderId = randomUUID();
    expect(
      await reserve(orderId, [
        { productId: a.id, quantity: 2 },
        { productId: b.id, quantity: 5 },
      ]),
    ).toMatchObject({ ok: true });
    await t.app.reservationsRepository.returnStock(only(a.id), orderId); // the first give-back of a release, then a crash
    expect([await stockOf(a.id), await stockOf(b.id)]).toEqual([10, 5]);
    expect(await release(orderId)).toEqual({ ok: true, released: true });
    expect([await stockOf(a.id), await stockOf(b.id)]).toEqual([10, 10]);
    expect(await release(orderId)).toEqual({ ok: true, released: false });
    expect([await stockOf(a.id), await stockOf(b.id)]).toEqual([10, 10]);
  });

  it('an orders.paid event sells the reservation: holds are dropped, stock stays taken, a later release gives nothing', async () => {
    const a = await addProduct(t, { stock: 9, amount: 700 });
    const orderId = randomUUID();
    expect(await reserve(orderId, [{ productId: a.id, quantity: 4 }])).toMatchObject({ ok: true });
    expect(await holds(a.id, orderId)).toBe(4);
    const js = jetstream(t.nc);
    const event = {
      eventId: runId('evt'),
      orderId,
      orderNumber: 'SO-1',
      userId: 'u-1',
      paymentId: runId('pay'),
      total: { amount: 2800, currency: 'EUR' },
      items: [
        {
          productId: a.id,
          sku: 'X',
          name: 'X',
          quantity: 4,
          unitPrice: { amount: 700, currency: 'EUR' },
          lineTotal: { amount: 2800, currency: 'EUR' },
        },
      ],
      paidAt: new Date().toISOString(),
    };
    await publishEvent(js, t.names.events.ordersPaid, event.eventId, event);
    await publishEvent(js, t.names.events.ordersPaid, runId('evt'), { ...event, eventId: runId('evt') });
    await waitFor(
      async () => (await t.app.reservationsRepository.findReservation(orderId))?.status === 'SOLD',
    );
    await waitFor(
      () => t.logs.lines.filter((l) => l.includes('reservation sold') && l.includes(orderId)).length === 2,
    );
    expect(await holds(a.id, orderId)).toBe(0);
    expect(await stockOf(a.id)).toBe(5);
    expect(await release(orderId)).toEqual({ ok: true, released: false });
    expect(await stockOf(a.id)).toBe(5);
    // A reserve repeated after the sale still answers with the lines it got.
    expect(await reserve(orderId, [{ productId: a.id, quantity: 4 }])).toMatchObject({ ok: true });
    expect(await stockOf(a.id)).toBe(5);
  });

  it('reservations written before they were keyed by order id are re-keyed at start-up', async () => {
    const orderId = runId('legacy');
    const raw = t.store.collection('reservations');
    await raw.insertOne({ orderId, status: 'RELEASED', items: [], lines: [] } as never);
    expect(await t.app.reservationsRepository.findReservation(orderId)).toBeNull();
    await t.app.reservationsRepository.init();
    await t.app.reservationsRepository.init();
    expect(await t.app.reservationsRepository.findReservation(orderId)).toMatchObject({ status: 'RELEASED' });
    expect(await raw.countDocuments({ orderId } as never)).toBe(1);
  });
});
