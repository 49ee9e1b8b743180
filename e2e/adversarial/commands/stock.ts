/**
 * Stock and reads: adjustStock as the admin (id variants, deltas to 0, below 0, to 2^31-1 and past
 * it), then the catalogue; and a read-back of a user's orders, the catalogue and every product's
 * stock, which must always answer data and show nothing the clients were not told.
 */
import { isIssued, learn, variant, wasPaid, type IdForm, type Model, type Status } from '../model';
import { MAX_INT, show, type World } from '../world';
import { Step, userOf } from './base';
import { checkHistory } from './fulfilment';

/** products' MAX_STOCK default: most units of a product on hand (stock plus holds). */
const STOCK_LIMIT = 1_000_000;

export const DELTAS = [
  'plusOne',
  'minusOne',
  'plusSeven',
  'toZero',
  'belowZero',
  'toLimit',
  'pastLimit',
  'toMax',
  'pastMax',
  'maxInt',
  'minInt',
] as const;
export type Delta = (typeof DELTAS)[number];

function deltaOf(kind: Delta, stock: number): number {
  const deltas: Record<Delta, number> = {
    plusOne: 1,
    minusOne: -1,
    plusSeven: 7,
    toZero: -stock,
    belowZero: -(stock + 1),
    toLimit: STOCK_LIMIT - stock,
    pastLimit: STOCK_LIMIT - stock + 1,
    toMax: MAX_INT - stock,
    pastMax: MAX_INT - stock + 1,
    maxInt: MAX_INT,
    minInt: -(2 ** 31),
  };
  return deltas[kind];
}

/**
 * True when units of the product may come back between reading its stock and adjusting it: a pending
 * order holding some may expire (or be cancelled by its TTL) in between, so a delta just below zero
 * may then be taken.
 */
const mayGiveBack = (m: Model, product: number) =>
  m.orders.some(
    (o) => o.status === 'PENDING_PAYMENT' && o.lines.some((l) => l.product === product && l.quantity > 0),
  );

/** Every product's stock as the admin sees it: a number from 0 to 2^31-1. */
async function stockOf(m: Model, w: World, product: number): Promise<number | undefined> {
  const data = await w.call('product', { id: m.products[product]!.id }, w.adminAuth);
  const stock = (data?.product as { stock?: number } | null | undefined)?.stock;
  w.expect(stock !== undefined && stock >= 0 && stock <= MAX_INT, `p${product + 1} stock reads ${stock}`);
  return stock;
}

export class AdjustStock extends Step {
  constructor(
    readonly product: number,
    readonly form: IdForm,
    readonly delta: Delta,
  ) {
    super();
  }

  label() {
    return `adjustStock(p#${this.product}${this.form === 'canonical' ? '' : ` ${this.form}`}, ${this.delta})`;
  }

  async act(m: Model, w: World) {
    const index = this.product % m.products.length;
    const product = m.products[index]!;
    const before = await stockOf(m, w, index);
    if (before === undefined) return;
    const delta = deltaOf(this.delta, before);
    const id = variant(product.id, this.form);
    const issued = isIssued(product.id, id);
    this.resolved = `p${index + 1} as ${show(id)}, stock ${before} ${delta >= 0 ? '+' : ''}${delta}`;
    if (delta > MAX_INT || delta < -(2 ** 31)) {
      await w.call('adjustStock', { id, delta }, w.adminAuth, { expectData: false });
    } else {
      const res = await w.mutate('adjustStock', { id, delta }, w.adminAuth);
      const t = res?.__typename;
      const after = before + delta;
      // A delta no product could take may be refused before the id is looked up.
      const hopeless = Math.abs(delta) > STOCK_LIMIT && t === 'StockLimitError';
      if (!issued)
        w.expect(t === 'ProductNotFoundError' || hopeless, `adjustStock of ${show(id)} answered ${t}`);
      else if (after > MAX_INT || (after < 0 && !mayGiveBack(m, index)))
        w.expect(t !== 'Product', `adjustStock to ${after} answered Product`);
      if (t === 'Product') {
        const stock = (res as { stock?: number }).stock ?? -1;
        // Expiry may give units back meanwhile: never fewer than asked.
        w.expect(stock >= after && stock <= MAX_INT, `adjustStock to ${after} left ${stock}`);
        if (issued) product.adjustments += delta;
      }
    }
    await w.call('catalogue', {});
  }
}

/** A user's orders, the catalogue and every product's stock. */
export class ReadBack extends Step {
  constructor(readonly user: number) {
    super();
  }

  label() {
    return `readBack(#${this.user})`;
  }

  async act(m: Model, w: World) {
    const { index, user, name } = userOf(m, this.user);
    this.resolved = name;
    const data = await w.call('myOrders', {}, user.auth);
    type Node = {
      id: string;
      number: string;
      status: Status;
      statusHistory?: { status: string; at: string }[];
    };
    const me = data?.me as { orders?: { edges: { node: Node }[] } } | undefined;
    for (const { node } of me?.orders?.edges ?? []) {
      checkHistory(w, node.number, node.statusHistory, node.status);
      const known = m.orders.find((o) => o.id === node.id);
      if (!known) {
        w.note(`${node.number} (${node.status}) is stored but no placeOrder answered it`);
        continue;
      }
      w.expect(known.owner === index, `${node.number} listed for ${name}, placed by u${known.owner + 1}`);
      // PAID follows the payment through events: a paid order may still read PENDING_PAYMENT.
      if (wasPaid(known.status))
        w.expect(node.status !== 'CANCELLED', `${node.number} was paid, reads CANCELLED`);
      if (known.status === 'CANCELLED')
        w.expect(node.status === 'CANCELLED', `${node.number} was cancelled, reads ${node.status}`);
      learn(known, node.status);
    }
    // The admin's list of the same customer's orders names the same orders; a customer may not read it.
    const listed = await w.call('adminOrders', { filter: { userId: user.id } }, w.adminAuth);
    const edges = (listed?.orders as { edges: { node: { id: string; user: { id: string } } }[] } | undefined)
      ?.edges;
    if (edges && me?.orders) {
      const mine = new Set(me.orders.edges.map((e) => e.node.id));
      const theirs = new Set(edges.map((e) => e.node.id));
      w.expect(
        mine.size === theirs.size &&
          [...mine].every((id) => theirs.has(id)) &&
          edges.every((e) => e.node.user.id === user.id),
        `Query.orders(userId: ${name}) lists ${theirs.size} orders, ${name}'s own list ${mine.size}`,
      );
    }
    await w.call('adminOrders', { filter: { userId: user.id } }, user.auth, { refusal: 'FORBIDDEN' });
    await w.call('catalogue', {});
    for (let i = 0; i < m.products.length; i++) await stockOf(m, w, i);
  }
}
