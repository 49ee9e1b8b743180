/**
 * Refunds: an admin's refundOrder (id variants, repeated, concurrent bursts) on whatever order a pick
 * names. The money invariant (net charges = totals of PAID orders) and the stock invariant (a refund
 * does not restock) are read from the stores after the run; here each answer is judged.
 */
import { learn, pickOrder, type IdForm, type Model, type Status } from '../model';
import type { Result, World } from '../world';
import { Step } from './base';

/** Judges one refundOrder answer against what the model knows of the order. */
function judge(w: World, target: ReturnType<typeof pickOrder>, res: Result | null) {
  if (!res) return;
  const t = res.__typename;
  const status = (res as { status?: Status }).status;
  if (!target.issued || !target.order) {
    w.expect(t === 'OrderNotFoundError', `refundOrder with an id that names no order answered ${t}`);
    return;
  }
  const order = target.order;
  if (order.status !== 'PENDING_PAYMENT' && order.status !== 'CANCELLED')
    w.expect(
      t === 'Order' && status === 'REFUNDED',
      `refundOrder of a ${order.status} order answered ${t} ${status ?? ''}`,
    );
  else if (order.status === 'CANCELLED')
    w.expect(
      t === 'OrderNotRefundableError',
      `refundOrder of a cancelled order answered ${t} ${status ?? ''}`,
    );
  // PENDING_PAYMENT in the model may be PAID already (the payment event is on its way): either answer.
  else
    w.expect(
      t === 'Order' || t === 'OrderNotRefundableError',
      `refundOrder of a pending order answered ${t}`,
    );
  learn(order, status);
}

/** The admin refunds one order, sent `times` times at once (a double click, a retrying client). */
export class RefundOrder extends Step {
  constructor(
    readonly pick: number,
    readonly forms: IdForm[],
  ) {
    super();
  }

  label() {
    return `refundOrder(admin, order#${this.pick} as ${this.forms.join('+')})`;
  }

  async act(m: Model, w: World) {
    // The admin is no user of the model: `own` does not matter for an admin.
    const targets = this.forms.map((form) => pickOrder(m, -1, this.pick, form));
    this.resolved = `${targets[0]!.order?.number ?? 'no order'} as ${targets.map((t) => t.idSent).join(', ')}`;
    const answers = await Promise.all(
      targets.map((target) => w.mutate('refundOrder', { id: target.idSent }, w.adminAuth)),
    );
    // Judge against the status before the burst: every answer of one burst sees the same order.
    const before = targets[0]!.order?.status;
    for (const [i, target] of targets.entries()) {
      if (target.order && before) target.order.status = before;
      judge(w, target, answers[i] ?? null);
    }
    const after = answers.find((a) => (a as { status?: Status } | null)?.status === 'REFUNDED');
    if (targets[0]!.order && after) targets[0]!.order.status = 'REFUNDED';
  }
}
