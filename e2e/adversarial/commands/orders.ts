/**
 * Orders: placeOrder (id variants of products, boundary quantities, repeated and crossed idempotency
 * keys), bursts of the same and of case-variant placements, cancelOrder (id variants, other users'
 * orders), and expiry (waiting out the TTL).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  freshKey,
  isIssued,
  learn,
  mayHaveExpired,
  pendingOf,
  pickOrder,
  surelyAvailable,
  variant,
  wasPaid,
  type IdForm,
  type Model,
  type PlaceKeyM,
  type Status,
} from '../model';
import { MAX_INT, show, type Result, type World } from '../world';
import { actorLabel, actorOf, Step, userOf } from './base';

/** orders' MAX_UNPAID_ORDERS default. */
export const MAX_UNPAID_ORDERS = 5;

export const QUANTITIES = [
  'zero',
  'minusOne',
  'one',
  'two',
  'ten',
  'eleven',
  'rest',
  'restPlusOne',
  'hundred',
  'hundredOne',
  'maxInt',
  'overInt',
] as const;
export type Quantity = (typeof QUANTITIES)[number];
export const PLACE_KEYS = [
  'fresh',
  'replay',
  'reuse',
  'crossed',
  'upper',
  'long128',
  'long129',
  'empty',
] as const;
export type PlaceKey = (typeof PLACE_KEYS)[number];

export interface Line {
  product: number;
  form: IdForm;
  quantity: Quantity;
}
/** A line as sent: the product's index, the id written and the quantity. */
export interface SentLine {
  product: number;
  productId: string;
  quantity: number;
}

function quantityOf(kind: Quantity, m: Model, product: number): number {
  const rest = Math.max(1, surelyAvailable(m, product));
  const values: Record<Quantity, number> = {
    zero: 0,
    minusOne: -1,
    one: 1,
    two: 2,
    ten: 10,
    eleven: 11,
    rest,
    restPlusOne: rest + 1,
    hundred: 100,
    hundredOne: 101,
    maxInt: MAX_INT,
    overInt: MAX_INT + 1,
  };
  return values[kind];
}

export function sendLines(m: Model, lines: Line[]): SentLine[] {
  return lines.map((l) => {
    const product = l.product % m.products.length;
    return {
      product,
      productId: variant(m.products[product]!.id, l.form),
      quantity: quantityOf(l.quantity, m, product),
    };
  });
}

const linesText = (m: Model, sent: SentLine[]) =>
  sent
    .map(
      (l) =>
        `${l.quantity}×p${l.product + 1}${isIssued(m.products[l.product]!.id, l.productId) ? '' : show(l.productId)}`,
    )
    .join(' ');

/** What a placement is judged against: who, what, with which key, and what that key did before. */
interface Placement {
  user: number;
  sent: SentLine[];
  key: string;
  keyValid: boolean;
  /** This user's earlier use of the same key. */
  prev?: PlaceKeyM;
  /** A key that may collide with an earlier one under a case-insensitive comparison. */
  caseVariant: boolean;
  /** Sent at once with others for the same stock: no answer is certain. */
  contended?: boolean;
  startedAt: number;
}

const signature = (sent: SentLine[]) => JSON.stringify(sent.map((l) => [l.productId, l.quantity]));

export function placement(
  m: Model,
  user: number,
  sent: SentLine[],
  key: string,
  keyValid = true,
  caseVariant = false,
): Placement {
  const prev = m.placeKeys.find((k) => k.user === user && k.key === key);
  return { user, sent, key, keyValid, prev, caseVariant, startedAt: Date.now() };
}

export async function send(m: Model, w: World, p: Placement): Promise<Result | null> {
  const items = p.sent.map((l) => ({ productId: l.productId, quantity: l.quantity }));
  const input = { idempotencyKey: p.key, items };
  if (p.sent.some((l) => l.quantity > MAX_INT)) {
    await w.call('placeOrder', { input }, m.users[p.user]!.auth, { expectData: false });
    return null;
  }
  return w.mutate('placeOrder', { input }, m.users[p.user]!.auth);
}

/** Checks one placeOrder answer against the model and records what it placed. */
export function judge(m: Model, w: World, p: Placement, res: Result | null) {
  if (!res) return;
  const t = res.__typename;
  const products = m.products;
  const issued = p.sent.every((l) => isIssued(products[l.product]!.id, l.productId));
  const positive = p.sent.every((l) => l.quantity > 0);
  const perProduct = new Map<number, number>();
  for (const l of p.sent) perProduct.set(l.product, (perProduct.get(l.product) ?? 0) + l.quantity);
  const total = [...perProduct].reduce((s, [i, q]) => s + q * products[i]!.price, 0);
  const sig = signature(p.sent);

  if (!issued) w.expect(t !== 'Order', 'an order was placed with a product id that is not the issued one');
  if (!positive) w.expect(t !== 'Order', 'an order was placed with a quantity below 1');
  if (!p.keyValid) w.expect(t === 'InvalidInputError', `an invalid idempotency key answered ${t}`);
  if (t === 'InsufficientStockError') {
    const short = res as { available?: number };
    w.expect((short.available ?? 0) >= 0, `InsufficientStockError says ${short.available} available`);
  }
  // MAX_LINE_QUANTITY (100) units of a product at most, whatever is on hand.
  const fits = [...perProduct].every(([i, q]) => q >= 1 && q <= 100 && q <= surelyAvailable(m, i));
  if (
    issued &&
    positive &&
    p.keyValid &&
    fits &&
    total <= 100_000 &&
    !p.prev &&
    !p.caseVariant &&
    !p.contended &&
    pendingOf(m, p.user) < 3
  )
    // ProductsUnavailableError: products did not answer in time; nothing ordered, retry is safe.
    w.expect(
      t === 'Order' || t === 'ProductsUnavailableError',
      `a plain order of ${total} cents with stock on hand answered ${t}`,
    );

  const order =
    t === 'Order'
      ? (res as unknown as { id: string; number: string; status: Status; total: { amount: number } })
      : undefined;
  if (p.prev?.orderId) {
    if (p.prev.items === sig)
      w.expect(
        order?.id === p.prev.orderId,
        `a replayed key answered ${order?.id ?? t}, not ${p.prev.orderId}`,
      );
    else w.expect(t !== 'Order', 'a key reused with other items placed an order');
  }
  if (order) {
    w.expect(order.total.amount === total, `order total ${order.total.amount}, items come to ${total}`);
    w.expect(order.total.amount <= MAX_INT, `order total ${order.total.amount} beyond 2^31-1`);
    const known = m.orders.find((o) => o.id === order.id);
    if (known && !p.prev && !p.caseVariant) w.note(`a fresh key answered the existing order ${known.number}`);
    if (!known)
      m.orders.push({
        id: order.id,
        number: order.number,
        owner: p.user,
        total: order.total.amount,
        lines: [...perProduct].map(([product, quantity]) => ({ product, quantity })),
        placedAt: p.startedAt,
        status: order.status,
        attempted: false,
      });
  }
  if (!p.keyValid) return;
  if (!p.prev) m.placeKeys.push({ key: p.key, user: p.user, items: sig, orderId: order?.id, sent: p.sent });
  else if (!p.prev.orderId && order) p.prev.orderId = order.id;
}

export class PlaceOrder extends Step {
  constructor(
    readonly user: number,
    readonly lines: Line[],
    readonly keyMode: PlaceKey,
    readonly keyPick: number,
  ) {
    super();
  }

  label() {
    const lines = this.lines.map(
      (l) => `${l.quantity}×p#${l.product}${l.form === 'canonical' ? '' : `(${l.form})`}`,
    );
    return `placeOrder(#${this.user}, ${lines.join(' + ')}, key ${this.keyMode}#${this.keyPick})`;
  }

  async act(m: Model, w: World) {
    const { index, name } = userOf(m, this.user);
    const own = m.placeKeys.filter((k) => k.user === index);
    const others = m.placeKeys.filter((k) => k.user !== index);
    const pickFrom = (keys: PlaceKeyM[]) => keys[this.keyPick % keys.length];
    let sent = sendLines(m, this.lines);
    let key = freshKey(m, 'place');
    let caseVariant = false;
    if (this.keyMode === 'replay' && own.length > 0) {
      const prev = pickFrom(own)!;
      key = prev.key;
      sent = prev.sent;
    } else if (this.keyMode === 'reuse' && own.length > 0) key = pickFrom(own)!.key;
    else if (this.keyMode === 'crossed' && others.length > 0) key = pickFrom(others)!.key;
    else if (this.keyMode === 'upper' && own.length > 0) {
      key = pickFrom(own)!.key.toUpperCase();
      caseVariant = true;
    } else if (this.keyMode === 'long128') key = `${'k'.repeat(127)}${index}`;
    else if (this.keyMode === 'long129') key = 'k'.repeat(129);
    else if (this.keyMode === 'empty') key = '';
    const keyValid = key.length >= 1 && key.length <= 128;
    this.resolved = `${name}: ${linesText(m, sent)}, key ${key.length > 20 ? `${key.length} chars` : key}`;
    const p = placement(m, index, sent, key, keyValid, caseVariant);
    judge(m, w, p, await send(m, w, p));
  }
}

/** The same placement n times at once (one key), or n case variants of one product id at once. */
export class PlaceBurst extends Step {
  constructor(
    readonly user: number,
    readonly product: number,
    readonly n: number,
    readonly mode: 'sameKey' | 'variants' | 'manyKeys',
  ) {
    super();
  }

  label() {
    return `placeBurst(#${this.user}, p#${this.product}, ${this.n} at once, ${this.mode})`;
  }

  async act(m: Model, w: World) {
    const { index, name } = userOf(m, this.user);
    const forms: IdForm[] = ['canonical', 'upper', 'firstUpper', 'spaces', 'braces'];
    this.resolved = `${name}, p${(this.product % m.products.length) + 1}`;
    if (this.mode === 'sameKey') {
      const p = placement(
        m,
        index,
        sendLines(m, [{ product: this.product, form: 'canonical', quantity: 'one' }]),
        freshKey(m, 'burst'),
      );
      const results = await Promise.all(Array.from({ length: this.n }, () => send(m, w, p)));
      const ids = new Set(
        results.filter((r) => r?.__typename === 'Order').map((r) => (r as { id: string }).id),
      );
      w.expect(ids.size <= 1, `one key placed ${ids.size} orders`);
      judge(m, w, p, results.find((r) => r?.__typename === 'Order') ?? results[0] ?? null);
      return;
    }
    // variants: one placement per id form; manyKeys: n plain ones, each with its own key, against
    // the cap of unpaid orders per user (and each other for the stock).
    const many = this.mode === 'manyKeys';
    const placements = (many ? Array<IdForm>(this.n).fill('canonical') : forms.slice(0, this.n)).map(
      (form) => ({
        ...placement(
          m,
          index,
          sendLines(m, [{ product: this.product, form, quantity: 'one' }]),
          freshKey(m, 'burst'),
        ),
        contended: many,
      }),
    );
    const results = await Promise.all(placements.map((p) => send(m, w, p)));
    placements.forEach((p, i) => judge(m, w, p, results[i] ?? null));
    if (!many) return;
    const placed = new Set(
      results.filter((r) => r?.__typename === 'Order').map((r) => (r as { id: string }).id),
    );
    const live = m.orders.filter(
      (o) =>
        o.owner === index && o.status === 'PENDING_PAYMENT' && (placed.has(o.id) || !mayHaveExpired(m, o)),
    );
    w.expect(
      live.length <= MAX_UNPAID_ORDERS,
      `${name} has ${live.length} unpaid orders at once (at most ${MAX_UNPAID_ORDERS})`,
    );
  }
}

export class CancelOrder extends Step {
  constructor(
    readonly shift: number,
    readonly pick: number,
    readonly form: IdForm,
  ) {
    super();
  }

  label() {
    return `cancelOrder(${actorLabel(this.shift)}, order#${this.pick}${this.form === 'canonical' ? '' : ` ${this.form}`})`;
  }

  async act(m: Model, w: World) {
    const { index, user, name } = actorOf(m, this.pick, this.shift);
    const target = pickOrder(m, index, this.pick, this.form);
    this.resolved = `${name}, ${target.order?.number ?? 'no order'}${target.own ? '' : ' (not theirs)'} as ${show(target.idSent)}`;
    const res = await w.mutate('cancelOrder', { id: target.idSent }, user.auth);
    if (!res) return;
    const t = res.__typename;
    if (!target.issued || !target.own || !target.order) {
      w.expect(t === 'OrderNotFoundError', `cancelOrder with an id that names none of theirs answered ${t}`);
      return;
    }
    const order = target.order;
    const status = (res as { status?: Status }).status;
    if (wasPaid(order.status))
      w.expect(
        t === 'OrderNotCancellableError',
        `a ${order.status} order's cancel answered ${t} ${status ?? ''}`,
      );
    if (order.status === 'PENDING_PAYMENT' && !order.attempted && !mayHaveExpired(m, order))
      w.expect(
        t === 'Order' && status === 'CANCELLED',
        `a pending order's cancel answered ${t} ${status ?? ''}`,
      );
    learn(order, status);
  }
}

/** Waits out the TTL once per sequence: every pending order nobody tried to pay must then be CANCELLED. */
export class Expire extends Step {
  override check(m: Readonly<Model>) {
    return !m.expired;
  }

  label() {
    return 'expire(wait out the TTL)';
  }

  async act(m: Model, w: World) {
    m.expired = true;
    const waitingSince = Date.now();
    await sleep(m.ttlMs + 500);
    for (const order of m.orders.filter((o) => o.status === 'PENDING_PAYMENT')) {
      const mustExpire = !order.attempted && order.placedAt < waitingSince;
      // The expiry loop runs every 250 ms; a loaded machine gets a few seconds more.
      const deadline = Date.now() + (mustExpire ? 8_000 : 0);
      let status: Status | undefined;
      do {
        const data = await w.call('order', { id: order.id }, m.users[order.owner]!.auth);
        status = (data?.order as { status?: Status } | null | undefined)?.status;
        if (status !== 'PENDING_PAYMENT' || Date.now() > deadline) break;
        await sleep(250);
      } while (mustExpire);
      if (mustExpire) w.expect(status === 'CANCELLED', `${order.number} unpaid past its TTL is ${status}`);
      learn(order, status);
    }
  }
}
