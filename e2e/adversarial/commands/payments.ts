/**
 * Payments: payOrder with id variants and other users' orders, each test card, and repeated and
 * crossed idempotency keys; bursts of payOrder for one order (case variants, one key or one each);
 * payOrder and cancelOrder at the same time.
 */
import {
  freshKey,
  mayHaveExpired,
  pickOrder,
  wasPaid,
  type IdForm,
  type Model,
  type PayKeyM,
  type Status,
  type Target,
} from '../model';
import { show, type CardKind, type Result, type World } from '../world';
import { actorLabel, actorOf, Step } from './base';

export const PAY_KEYS = ['fresh', 'replay', 'reuse', 'crossed'] as const;
export type PayKey = (typeof PAY_KEYS)[number];

const CHARGED = ['PaymentSucceeded', 'CardDeclinedError'];
/** orders did not answer in time: nothing charged, retry is safe (a loaded machine may see it). */
const UNAVAILABLE = 'OrderServiceUnavailableError';
const EXPECTED: Record<CardKind, string> = {
  ok: 'PaymentSucceeded',
  declined: 'CardDeclinedError',
  down: 'PaymentProviderUnavailableError',
};

interface Payment {
  user: number;
  target: Target;
  card: CardKind;
  key: string;
  /** The token sent: a fresh one from the PSP, or the first one when the key is replayed. */
  token: string;
  prev?: PayKeyM;
}

const paymentOf = (res: Result | null) =>
  (res as { payment?: { id: string; amount?: { amount: number } } } | null)?.payment;

function pay(m: Model, w: World, p: Payment) {
  return w.mutate(
    'payOrder',
    { input: { orderId: p.target.idSent, paymentMethodToken: p.token, idempotencyKey: p.key } },
    m.users[p.user]!.auth,
  );
}

function payment(
  m: Model,
  user: number,
  target: Target,
  card: CardKind,
  key: string,
  token: string,
): Payment {
  return { user, target, card, key, token, prev: m.payKeys.find((k) => k.user === user && k.key === key) };
}

/** Records a successful charge in the model: at most one per order, never on a cancelled one. */
function charged(w: World, target: Target, res: Result) {
  const order = target.order;
  const id = paymentOf(res)?.id;
  if (!order || !id) return;
  const amount = paymentOf(res)?.amount?.amount;
  w.expect(amount === order.total, `${order.number} charged ${amount}, total ${order.total}`);
  if (order.paidBy && order.paidBy !== id)
    w.note(`${order.number} charged a second time (${order.paidBy}, ${id})`);
  if (order.status === 'CANCELLED') w.note(`${order.number} was charged after it was cancelled`);
  // A replayed key answers the charge it made, also after the order shipped or was refunded.
  if (!wasPaid(order.status)) order.status = 'PAID';
  order.paidBy = id;
}

/** Checks one payOrder answer against the model (what the key did before, the order's state, the card). */
function judge(m: Model, w: World, p: Payment, res: Result | null) {
  if (!res) return;
  const t = res.__typename ?? '';
  const { target } = p;
  const prevCharged = p.prev && CHARGED.includes(p.prev.outcome ?? '');
  if (p.prev && prevCharged) {
    if (p.prev.idSent === target.idSent && p.prev.token === p.token)
      w.expect(
        t === p.prev.outcome && paymentOf(res)?.id === p.prev.paymentId,
        `a replayed payment key answered ${t} ${paymentOf(res)?.id ?? ''}, first ${p.prev.outcome} ${p.prev.paymentId}`,
      );
    else
      w.expect(
        t === 'PaymentIdempotencyKeyReusedError',
        `a payment key reused for another request answered ${t}`,
      );
  } else if (!target.issued || !target.own || !target.order) {
    w.expect(
      t === 'PaymentOrderNotFoundError',
      `payOrder with an id that names none of theirs answered ${t}`,
    );
  } else {
    const order = target.order;
    order.attempted = true;
    if (order.status !== 'PENDING_PAYMENT')
      w.expect(t === 'OrderNotPayableError', `payOrder of a ${order.status} order answered ${t}`);
    else if (!mayHaveExpired(m, order))
      w.expect(
        t === EXPECTED[p.card] || t === UNAVAILABLE,
        `payOrder of a pending order with the ${p.card} card answered ${t}`,
      );
    const status = (res as { status?: Status }).status;
    if (t === 'OrderNotPayableError' && status === 'CANCELLED') {
      w.expect(!wasPaid(order.status), `${order.number} ${order.status}, payOrder says CANCELLED`);
      order.status = 'CANCELLED';
    }
  }
  if (t === 'PaymentSucceeded') {
    w.expect(target.issued && target.own, `charged through ${show(target.idSent)}`);
    charged(w, target, res);
  }
  if (t === 'CardDeclinedError')
    w.expect(target.issued && target.own, `a charge was tried through ${show(target.idSent)}`);
  if (!p.prev)
    m.payKeys.push({
      key: p.key,
      user: p.user,
      idSent: target.idSent,
      card: p.card,
      token: p.token,
      outcome: t,
      paymentId: paymentOf(res)?.id,
    });
  else if (!prevCharged)
    Object.assign(p.prev, {
      idSent: target.idSent,
      card: p.card,
      token: p.token,
      outcome: t,
      paymentId: paymentOf(res)?.id,
    });
}

const describe = (m: Model, name: string, target: Target) =>
  `${name}, ${target.order?.number ?? 'no order'}${target.order && !target.own ? ' (not theirs)' : ''} as ${show(target.idSent)}`;

export class PayOrder extends Step {
  constructor(
    readonly shift: number,
    readonly pick: number,
    readonly form: IdForm,
    readonly card: CardKind,
    readonly keyMode: PayKey,
    readonly keyPick: number,
  ) {
    super();
  }

  label() {
    const form = this.form === 'canonical' ? '' : ` ${this.form}`;
    return `payOrder(${actorLabel(this.shift)}, order#${this.pick}${form}, ${this.card} card, key ${this.keyMode}#${this.keyPick})`;
  }

  async act(m: Model, w: World) {
    const { index, name } = actorOf(m, this.pick, this.shift);
    const own = m.payKeys.filter((k) => k.user === index);
    const others = m.payKeys.filter((k) => k.user !== index);
    let target = pickOrder(m, index, this.pick, this.form);
    let card = this.card;
    let key = freshKey(m, 'pay');
    let token: string | undefined;
    if (this.keyMode === 'replay' && own.length > 0) {
      const prev = own[this.keyPick % own.length]!;
      key = prev.key;
      card = prev.card;
      token = prev.token;
      const order = m.orders.find(
        (o) =>
          o.id.toLowerCase() ===
          prev.idSent
            .trim()
            .replace(/[{}]|urn:uuid:/g, '')
            .toLowerCase(),
      );
      target = { order, idSent: prev.idSent, issued: order?.id === prev.idSent, own: order?.owner === index };
    } else if (this.keyMode === 'reuse' && own.length > 0) key = own[this.keyPick % own.length]!.key;
    else if (this.keyMode === 'crossed' && others.length > 0) key = others[this.keyPick % others.length]!.key;
    this.resolved = `${describe(m, name, target)}, ${card} card, key ${key}`;
    const p = payment(m, index, target, card, key, token ?? (await w.token(card)));
    judge(m, w, p, await pay(m, w, p));
  }
}

/** Several payOrder calls for one order at once: id variants, each with its own key or all with one. */
export class PayBurst extends Step {
  constructor(
    readonly shift: number,
    readonly pick: number,
    readonly forms: IdForm[],
    readonly card: CardKind,
    readonly sameKey: boolean,
  ) {
    super();
  }

  label() {
    return `payBurst(${actorLabel(this.shift)}, order#${this.pick} as ${this.forms.join('+')}, ${this.card} card, ${this.sameKey ? 'one key' : 'a key each'})`;
  }

  async act(m: Model, w: World) {
    const { index, name } = actorOf(m, this.pick, this.shift);
    const shared = freshKey(m, 'payburst');
    // One key, one input: the same token with it (a double click); a key each, a token each.
    const sharedToken = await w.token(this.card);
    const payments: Payment[] = [];
    for (const form of this.forms)
      payments.push(
        payment(
          m,
          index,
          pickOrder(m, index, this.pick, form),
          this.card,
          this.sameKey ? shared : freshKey(m, 'payburst'),
          this.sameKey ? sharedToken : await w.token(this.card),
        ),
      );
    const order = payments[0]!.target.order;
    this.resolved = `${name}, ${order?.number ?? 'no order'}${payments[0]!.target.own ? '' : ' (not theirs)'}`;
    const pendingBefore = order?.status === 'PENDING_PAYMENT';
    const results = await Promise.all(payments.map((p) => pay(m, w, p)));
    // Judged when the answers are in: an order that cannot have expired by then had not when they ran.
    const wasPending = pendingBefore && order !== undefined && !mayHaveExpired(m, order);
    const successes = new Set<string>();
    results.forEach((res, i) => {
      const p = payments[i]!;
      if (CHARGED.includes(res?.__typename ?? ''))
        w.expect(p.target.issued && p.target.own, `a charge was tried through ${show(p.target.idSent)}`);
      if (res?.__typename === 'PaymentSucceeded') successes.add(paymentOf(res)!.id);
    });
    w.expect(successes.size <= 1, `${successes.size} successful charges for one order at once`);
    const canonical = payments.some((p) => p.target.issued && p.target.own);
    // One key for several forms: whichever takes it first decides, and a variant releases it only
    // after the others were told it is in use, so the issued one may lose.
    const contested = this.sameKey && new Set(payments.map((p) => p.target.idSent)).size > 1;
    const unanswered = results.some((r) => r?.__typename === UNAVAILABLE);
    if (wasPending && canonical && !contested && !unanswered && this.card === 'ok')
      w.expect(successes.size === 1, `${successes.size} charges of a pending order in a burst`);
    const won = results.findIndex((r) => r?.__typename === 'PaymentSucceeded');
    if (won >= 0) charged(w, payments[won]!.target, results[won]!);
    if (order && canonical) order.attempted = true;
    // What each key now answers: a charge attempt keeps it; else an answer that released it.
    const charge = (i: number) => (CHARGED.includes(results[i]?.__typename ?? '') ? 1 : 0);
    const ranked = payments.map((p, i) => ({ p, i })).sort((a, b) => charge(b.i) - charge(a.i));
    for (const { p, i } of ranked) {
      const t = results[i]?.__typename;
      if (
        t === 'PaymentIdempotencyKeyReusedError' ||
        m.payKeys.some((k) => k.user === index && k.key === p.key)
      )
        continue;
      m.payKeys.push({
        key: p.key,
        user: index,
        idSent: p.target.idSent,
        card: this.card,
        token: p.token,
        outcome: t,
        paymentId: paymentOf(results[i] ?? null)?.id,
      });
    }
  }
}

/** payOrder and cancelOrder of one order at the same time (a double click on two buttons). */
export class PayAndCancel extends Step {
  constructor(
    readonly shift: number,
    readonly pick: number,
    readonly form: IdForm,
    readonly card: CardKind,
  ) {
    super();
  }

  label() {
    return `payAndCancel(${actorLabel(this.shift)}, order#${this.pick}${this.form === 'canonical' ? '' : ` pay as ${this.form}`}, ${this.card} card)`;
  }

  async act(m: Model, w: World) {
    const { index, user, name } = actorOf(m, this.pick, this.shift);
    const target = pickOrder(m, index, this.pick, this.form);
    const order = target.order;
    this.resolved = describe(m, name, target);
    if (!order) return;
    const pendingBefore = order.status === 'PENDING_PAYMENT';
    const p = payment(m, index, target, this.card, freshKey(m, 'paycancel'), await w.token(this.card));
    const [paid, cancelled] = await Promise.all([
      pay(m, w, p),
      w.mutate('cancelOrder', { id: order.id }, user.auth),
    ]);
    const wasPending = pendingBefore && !mayHaveExpired(m, order);
    const didPay = paid?.__typename === 'PaymentSucceeded';
    const didCancel =
      cancelled?.__typename === 'Order' && (cancelled as { status?: string }).status === 'CANCELLED';
    w.expect(!(didPay && didCancel), `${order.number} was charged and cancelled at once`);
    if (!target.own) w.expect(!didCancel, `cancelled someone else's order ${order.number}`);
    if (wasPending && target.own && target.issued && this.card === 'ok' && paid?.__typename !== UNAVAILABLE)
      w.expect(
        didPay !== didCancel,
        `pay and cancel of a pending order: paid ${didPay}, cancelled ${didCancel}`,
      );
    if (didPay) w.expect(target.issued && target.own, `charged through ${show(target.idSent)}`);
    if (didPay) charged(w, target, paid!);
    if (didCancel && !didPay) order.status = 'CANCELLED';
    if (target.issued && target.own) order.attempted = true;
    m.payKeys.push({
      key: p.key,
      user: index,
      idSent: target.idSent,
      card: this.card,
      token: p.token,
      outcome: paid?.__typename,
      paymentId: paymentOf(paid)?.id,
    });
  }
}
