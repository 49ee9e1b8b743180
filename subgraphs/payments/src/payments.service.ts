import { canAccess, type Viewer } from '@shop/auth';
import { isOrderId, isPaymentId, type PayableReply } from '@shop/messaging';
import type { Logger } from '@shop/server';
import type { ActionsRepository } from './actions.repository';
import { CHARGE_LOCK_MS } from './config';
import {
  effectiveStatus,
  type PaymentModel,
  type PayOrderResult,
  type RefundModel,
  type RefundOutcome,
} from './models';
import { receiveWebhook, settleExpiredActions, type WebhookAnswer } from './payments.actions';
import { payOrder, type PayOrderInput } from './payments.paying';
import type { PaymentsRepository } from './payments.repository';
import {
  refund,
  refundKey,
  refundsOf,
  retryPendingRefunds,
  type RefundPaymentInput,
} from './payments.refunds';
import type { PaymentProvider, WebhookHeaders } from './providers/provider';
import type { RefundsRepository } from './refunds.repository';

export { refundKey };
export type { PayOrderInput, RefundPaymentInput };

/**
 * The orders subgraph as payments needs it (over NATS: `ordersClient` in messaging.ts). `payable`
 * throws ServiceUnavailableError when orders does not answer.
 */
export interface OrdersClient {
  /** Whether this user may pay the order, and for how much. */
  payable(orderId: string, userId: string): Promise<PayableReply>;
}

export interface PaymentsServiceDeps {
  repository: PaymentsRepository;
  refunds: RefundsRepository;
  actions: ActionsRepository;
  provider: PaymentProvider;
  orders: OrdersClient;
  log: Logger;
  idempotencyTtlSeconds: number;
  /** How long an in-progress key (and an order's charge lock) is held at most (CHARGE_LOCK_MS). */
  lockMs?: number;
  /** How long orders.payable may take (ORDERS_TIMEOUT_MS; the client enforces it). */
  ordersTimeoutMs?: number;
  /** How long the provider may take before the charge is aborted (PROVIDER_TIMEOUT_MS). */
  providerTimeoutMs?: number;
  /** How often a request waiting on another one's key looks again. */
  pollMs?: number;
}

/** The dependencies with their defaults: what the paying and refund rules work with. */
export type PaymentsDeps = Required<PaymentsServiceDeps>;

/**
 * The rules of payments, who may see what included. Paying lives in payments.paying.ts (the order
 * of its steps is documented on payOrder there), refunds in payments.refunds.ts; the reads are here.
 */
export class PaymentsService {
  private readonly deps: PaymentsDeps;

  constructor(deps: PaymentsServiceDeps) {
    this.deps = {
      ...deps,
      lockMs: deps.lockMs ?? CHARGE_LOCK_MS,
      pollMs: deps.pollMs ?? 25,
      ordersTimeoutMs: deps.ordersTimeoutMs ?? 3_000,
      providerTimeoutMs: deps.providerTimeoutMs ?? 10_000,
    };
  }

  // ---- paying (payments.paying.ts) ---------------------------------------------------------------

  payOrder(viewer: Viewer | null, input: PayOrderInput): Promise<PayOrderResult> {
    return payOrder(this.deps, viewer, input);
  }

  // ---- authentication and webhooks (payments.actions.ts) ------------------------------------------

  /** A provider's webhook (raw body and headers): verified, handled once per event id. */
  receiveWebhook(rawBody: Buffer, headers: WebhookHeaders): Promise<WebhookAnswer> {
    return receiveWebhook(this.deps, rawBody, headers);
  }

  /** The job: payments awaiting authentication whose action expired, looked up and settled. */
  settleExpiredActions(nowMs?: number): Promise<number> {
    return settleExpiredActions(this.deps, nowMs);
  }

  // ---- refunds (payments.refunds.ts) -------------------------------------------------------------

  /**
   * Gives back `amount` of a payment, at most once per (payment, reason) and never more than what
   * is left of it; a processor that is down throws ProviderUnavailableError, a refusal is an outcome.
   */
  refund(input: RefundPaymentInput): Promise<RefundOutcome> {
    return refund(this.deps, input);
  }

  /** The refunds payments owes by itself that are not recorded yet, retried; answers how many are left. */
  retryPendingRefunds(): Promise<number> {
    return retryPendingRefunds(this.deps);
  }

  /** The refunds of payments the viewer already may see (resolved through paymentsFor). */
  refundsOf(paymentIds: readonly string[]): Promise<RefundModel[][]> {
    return refundsOf(this.deps, paymentIds);
  }

  // ---- reading: owner or admin ------------------------------------------------------------------

  /** Payments as entities, by id: null where missing or not the viewer's (unless an admin). */
  async paymentsFor(viewer: Viewer | null, ids: readonly string[]): Promise<(PaymentModel | null)[]> {
    // Only the issued form names a payment; other ids are null without a Redis call.
    const canonical = ids.filter(isPaymentId);
    const found = new Map<string, PaymentModel | null>();
    if (canonical.length > 0) {
      const payments = await this.deps.repository.paymentsByIds(canonical);
      canonical.forEach((id, i) => found.set(id, payments[i] ?? null));
    }
    return ids.map((id) => {
      const p = found.get(id);
      return p && canAccess(viewer, p.userId) ? p : null;
    });
  }

  /**
   * The payment shown on each order: its success, else its latest failure, else null; only the
   * viewer's own payments count (an admin sees every one).
   */
  async paymentsOfOrders(
    viewer: Viewer | null,
    orderIds: readonly string[],
  ): Promise<(PaymentModel | null)[]> {
    // A variant of an order id has no payments (they are keyed on the issued form); no Redis call.
    const canonical = orderIds.filter(isOrderId);
    const found = new Map<string, PaymentModel[]>();
    if (canonical.length > 0) {
      const perOrder = await this.deps.repository.paymentsByOrders(canonical);
      canonical.forEach((id, i) => found.set(id, perOrder[i] ?? []));
    }
    return orderIds.map((id) => {
      const visible = (found.get(id) ?? []).filter((p) => canAccess(viewer, p.userId));
      // The charge that stands (not fully refunded), else a refunded one, else the latest failure.
      return (
        visible.find((p) => p.status === 'SUCCEEDED' && effectiveStatus(p) !== 'REFUNDED') ??
        visible.find((p) => p.status === 'SUCCEEDED') ??
        visible.at(-1) ??
        null
      );
    });
  }
}
