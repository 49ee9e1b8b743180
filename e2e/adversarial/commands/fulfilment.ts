/**
 * After payment: fulfillOrder by the admin (the order id in 1–3 forms at once; carriers as listed, in
 * lower case and unknown; tracking numbers valid, another one for an order already fulfilled, too
 * short, too long, markup, full-width digits), then maybe markOrderDelivered or refundOrder; the same
 * by a customer (the owner or not) is FORBIDDEN. markOrderDelivered on whatever order a pick names.
 * Every order answered must show a status history that is a path of the state machine ending in its
 * status.
 */
import { learn, variant, wasPaid, type IdForm, type Model, type OrderM, type Status } from '../model';
import { show, type Result, type World } from '../world';
import { Step, userOf } from './base';
import { Verdict } from './verdict';

export const CARRIER_KINDS = ['DHL', 'UPS', 'lower', 'unknown'] as const;
export type CarrierKind = (typeof CARRIER_KINDS)[number];
export const TRACKING_KINDS = ['same', 'other', 'short', 'long', 'markup', 'fullWidth'] as const;
export type TrackingKind = (typeof TRACKING_KINDS)[number];

const PATHS = [
  'PENDING_PAYMENT',
  'PENDING_PAYMENT,CANCELLED',
  'PENDING_PAYMENT,PAID',
  'PENDING_PAYMENT,PAID,FULFILLED',
  'PENDING_PAYMENT,PAID,FULFILLED,DELIVERED',
];
const LEGAL = new Set([...PATHS, ...PATHS.slice(2).map((p) => `${p},REFUNDED`)]);

/** An order's status history as answered: a path of the state machine, ending in its status, in time order. */
export function checkHistory(
  w: World,
  where: string,
  history: { status: string; at: string }[] | undefined,
  status: string,
) {
  if (!history) return;
  const path = history.map((h) => h.status).join(',');
  w.expect(
    LEGAL.has(path) && history.at(-1)?.status === status,
    `${where} is ${status} with the history ${path}`,
  );
  const times = history.map((h) => Date.parse(h.at));
  w.expect(
    times.every((t, i) => !Number.isNaN(t) && (i === 0 || t >= times[i - 1]!)),
    `${where}: history out of time order ${show(history.map((h) => h.at))}`,
  );
}

/** Mostly an order that can be shipped or delivered (newest first), else whatever the pick names. */
function orderFor(m: Model, pick: number, statuses: Status[]): OrderM | undefined {
  const fitting = m.orders.filter((o) => statuses.includes(o.status));
  if (fitting.length > 0 && pick < 12)
    return fitting[fitting.length - 1 - (pick % Math.min(3, fitting.length))];
  return m.orders.length === 0 ? undefined : m.orders[pick % m.orders.length];
}

interface Answer {
  id?: string;
  status?: Status;
  statusHistory?: { status: string; at: string }[];
  fulfilment?: { carrier: string; trackingNumber: string; trackingUrl: string } | null;
}

const trackingOf = (kind: TrackingKind, order: OrderM) => {
  const own = order.fulfilment?.trackingNumber ?? `JJD${order.number.replace(/\D/g, '')}01`;
  const values: Record<TrackingKind, string> = {
    same: own,
    other: `${own}9`,
    short: 'AB1',
    long: 'A'.repeat(41),
    markup: '<b>1234</b>',
    fullWidth: '１２３４５６',
  };
  return values[kind];
};
const carrierOf = (kind: CarrierKind, order: OrderM) =>
  kind === 'lower' ? 'dhl' : kind === 'unknown' ? 'CARRIER_PIGEON' : (order.fulfilment?.carrier ?? kind);

/** Judges one fulfillOrder answer of the admin against what the model knows of the order. */
function judgeFulfil(
  w: World,
  order: OrderM,
  issued: boolean,
  valid: boolean,
  same: boolean,
  res: Result | null,
  racing = false,
) {
  if (!res) return;
  const v = new Verdict([]);
  if (racing) v.refuse('OrderStatusError', false);
  if (!valid) v.refuse('InvalidInputError');
  if (!issued) v.refuse('OrderNotFoundError');
  if (order.status === 'PAID')
    v.refuse('OrderStatusError', false); // PAID in orders follows the charge's event
  else if (order.status === 'FULFILLED') v.refuseIf(!same, 'OrderStatusError');
  else if (order.status === 'PENDING_PAYMENT') v.refuse('OrderStatusError', !order.attempted);
  else v.refuse('OrderStatusError');
  v.judge(w, res.__typename, 'Order', `fulfillOrder of a ${order.status} order`);
}

export class Fulfil extends Step {
  constructor(
    readonly actor: 'admin' | 'owner' | 'other',
    readonly pick: number,
    readonly forms: IdForm[],
    readonly carrier: CarrierKind,
    readonly tracking: TrackingKind,
    readonly then: 'nothing' | 'deliver' | 'refund' | 'raceRefund',
  ) {
    super();
  }

  label() {
    const then = this.then === 'nothing' ? '' : `, then ${this.then}`;
    return `fulfillOrder(${this.actor}, order#${this.pick} as ${this.forms.join('+')}, ${this.carrier} ${this.tracking}${then})`;
  }

  async act(m: Model, w: World) {
    const order = orderFor(m, this.pick, ['PAID', 'FULFILLED']);
    if (!order) return;
    const carrier = carrierOf(this.carrier, order);
    const trackingNumber = trackingOf(this.tracking, order);
    const valid =
      this.carrier !== 'lower' && this.carrier !== 'unknown' && ['same', 'other'].includes(this.tracking);
    const same = order.fulfilment?.carrier === carrier && order.fulfilment.trackingNumber === trackingNumber;
    const ids = this.forms.map((f) => variant(order.id, f));
    this.resolved = `${order.number} (${order.status}) as ${ids.map((i) => show(i)).join(', ')}, ${carrier} ${show(trackingNumber)}`;
    if (this.actor !== 'admin') {
      const { user } = userOf(m, order.owner + (this.actor === 'owner' ? 0 : 1));
      await w.call('fulfillOrder', { input: { orderId: order.id, carrier, trackingNumber } }, user.auth, {
        refusal: 'FORBIDDEN',
      });
      if (this.then === 'deliver')
        await w.call('markOrderDelivered', { id: order.id }, user.auth, { refusal: 'FORBIDDEN' });
      return;
    }
    if (this.then === 'raceRefund') return raceRefund(w, order, carrier, trackingNumber, valid);
    const results = await Promise.all(
      ids.map((orderId) =>
        w.mutate('fulfillOrder', { input: { orderId, carrier, trackingNumber } }, w.adminAuth),
      ),
    );
    results.forEach((r, i) => judgeFulfil(w, order, ids[i] === order.id, valid, same, r));
    const shipped = results.filter((r) => r?.__typename === 'Order').map((r) => r as Answer);
    for (const a of shipped) {
      w.expect(
        a.id === order.id && a.status === 'FULFILLED',
        `fulfillOrder answered ${show(a.id)} ${a.status}`,
      );
      w.expect(
        a.fulfilment?.carrier === carrier &&
          a.fulfilment.trackingNumber === trackingNumber &&
          a.fulfilment.trackingUrl.startsWith('https://'),
        `${order.number} fulfilled shows ${show(a.fulfilment)}`,
      );
      checkHistory(w, order.number, a.statusHistory, a.status ?? '');
    }
    for (const r of results) learn(order, (r as Answer | null)?.status);
    if (shipped.length > 0) order.fulfilment = { carrier, trackingNumber };
    if (this.then === 'deliver') await deliver(m, w, order, this.forms[0]!);
    if (this.then === 'refund') {
      const res = await w.mutate('refundOrder', { id: order.id }, w.adminAuth);
      const status = (res as { status?: Status } | null)?.status;
      // A PAID order in the model may still read PENDING_PAYMENT in orders (the charge's event): loose.
      const sure = wasPaid(order.status) && order.status !== 'PAID';
      if (res && sure)
        w.expect(
          res.__typename === 'Order' && status === 'REFUNDED',
          `refundOrder of a ${order.status} order answered ${res.__typename} ${status ?? ''}`,
        );
      else if (res && order.status === 'PAID')
        w.expect(
          status === 'REFUNDED' || res.__typename === 'OrderNotRefundableError',
          `refundOrder of a PAID order answered ${res.__typename}`,
        );
      learn(order, status);
    }
  }
}

/**
 * fulfillOrder and refundOrder of one order at once: whichever comes first, the order ends REFUNDED
 * when it could be refunded (a refund may follow a fulfilment; a refunded order is not fulfilled).
 */
async function raceRefund(w: World, order: OrderM, carrier: string, trackingNumber: string, valid: boolean) {
  const before = order.status;
  const [shipped, refunded] = await Promise.all([
    w.mutate('fulfillOrder', { input: { orderId: order.id, carrier, trackingNumber } }, w.adminAuth),
    w.mutate('refundOrder', { id: order.id }, w.adminAuth),
  ]);
  const f = shipped as Answer | null;
  const r = refunded as Answer | null;
  // Whatever the model knew, the refund may come first: OrderStatusError (REFUNDED) is always allowed.
  judgeFulfil(w, order, true, valid, order.fulfilment?.trackingNumber === trackingNumber, shipped, true);
  if (wasPaid(before) && before !== 'PAID')
    w.expect(
      refunded?.__typename === 'Order' && r?.status === 'REFUNDED',
      `refundOrder of a ${before} order racing a fulfilment answered ${refunded?.__typename}`,
    );
  if (shipped?.__typename === 'Order') {
    w.expect(f?.status === 'FULFILLED', `fulfillOrder racing a refund answered ${f?.status}`);
    checkHistory(w, order.number, f?.statusHistory, f?.status ?? '');
    order.fulfilment = { carrier, trackingNumber };
  }
  learn(order, f?.status);
  learn(order, r?.status);
  const data = await w.call('order', { id: order.id }, w.adminAuth);
  const now = (data?.order as { status?: Status } | null | undefined)?.status;
  if (r?.status === 'REFUNDED')
    w.expect(now === 'REFUNDED', `${order.number} refunded while being fulfilled reads ${now}`);
  learn(order, now);
}

/** markOrderDelivered by the admin, judged against the model's status of the order. */
async function deliver(m: Model, w: World, order: OrderM, form: IdForm) {
  const id = variant(order.id, form);
  const res = await w.mutate('markOrderDelivered', { id }, w.adminAuth);
  if (!res) return;
  const v = new Verdict([]);
  if (id !== order.id) v.refuse('OrderNotFoundError');
  if (order.status !== 'FULFILLED' && order.status !== 'DELIVERED') v.refuse('OrderStatusError');
  v.judge(w, res.__typename, 'Order', `markOrderDelivered of a ${order.status} order`);
  const a = res as Answer;
  if (res.__typename === 'Order') {
    w.expect(a.status === 'DELIVERED', `markOrderDelivered answered ${a.status}`);
    checkHistory(w, order.number, a.statusHistory, a.status ?? '');
  }
  learn(order, a.status);
}

export class MarkDelivered extends Step {
  constructor(
    readonly admin: boolean,
    readonly pick: number,
    readonly form: IdForm,
  ) {
    super();
  }

  label() {
    return `markOrderDelivered(${this.admin ? 'admin' : 'owner'}, order#${this.pick}${this.form === 'canonical' ? '' : ` ${this.form}`})`;
  }

  async act(m: Model, w: World) {
    const order = orderFor(m, this.pick, ['FULFILLED', 'DELIVERED']);
    if (!order) return;
    this.resolved = `${order.number} (${order.status})`;
    if (!this.admin) {
      await w.call('markOrderDelivered', { id: order.id }, m.users[order.owner]!.auth, {
        refusal: 'FORBIDDEN',
      });
      return;
    }
    await deliver(m, w, order, this.form);
  }
}
