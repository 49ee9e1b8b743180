import { Redis } from 'ioredis';
import { endpoints, waitFor } from '@shop/testing';
import type { PaymentModel } from '../src/models';
import { signPspWebhook } from '../src/providers/psp-provider';
import { PSP_WEBHOOK_SECRET, type Harness } from './helpers';

/**
 * Tools of the strong-customer-authentication and webhook tests: what Redis holds for a payment
 * (its hash, the outbox entries written for it, the order's guard and pending-action marks), and
 * webhooks posted to payments as the PSP would sign them (or not).
 */
export function scaTools(harness: () => Harness) {
  let client: Redis | undefined;
  const redis = () => (client ??= new Redis(endpoints.redis));
  const key = (suffix: string) => `${harness().redisPrefix}${suffix}`;

  const tools = {
    close: async () => {
      await client?.quit();
    },

    /** The payment as stored. */
    async payment(id: string): Promise<PaymentModel> {
      const [p] = await harness().app.repository.paymentsByIds([id]);
      if (!p) throw new Error(`no payment ${id}`);
      return p;
    },

    /** Outbox entries (status) written for a payment, read from the Redis stream (the relay is off). */
    async outboxOf(paymentId: string): Promise<string[]> {
      const entries = (await redis().xrange(key('outbox'), '-', '+')) as [string, string[]][];
      return entries
        .map(([, fields]) => {
          const f: Record<string, string> = {};
          for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
          return f;
        })
        .filter((f) => f.paymentId === paymentId)
        .map((f) => f.status!);
    },

    /** The order's guard (its SUCCEEDED payment id), pending-action pointer, and the job's list. */
    async marks(orderId: string) {
      return {
        paid: await redis().get(key(`order:${orderId}:paid`)),
        action: await redis().get(key(`order:${orderId}:action`)),
        pending: await redis().zrange(key('actions:pending'), 0, -1),
      };
    },

    /** Waits until the payment is no longer REQUIRES_ACTION; answers it. */
    async settled(id: string, timeoutMs = 10_000): Promise<PaymentModel> {
      return waitFor(
        async () => {
          const p = await tools.payment(id);
          return p.status === 'REQUIRES_ACTION' ? null : p;
        },
        { timeoutMs },
      );
    },

    /** A webhook body of the PSP's shape for a charge (as GET /v1/charges/:id answers it). */
    body(eventId: string, type: 'charge.succeeded' | 'charge.failed', charge: unknown): string {
      return JSON.stringify({ id: eventId, type, created: Math.floor(Date.now() / 1000), data: { charge } });
    },

    /** The PSP's signature of a body (another secret or time when asked). */
    sign: (body: string, secret = PSP_WEBHOOK_SECRET, atMs = Date.now()) =>
      signPspWebhook(body, secret, Math.floor(atMs / 1000)),

    /** POSTs a webhook to payments; answers the status and the JSON body. */
    async post(body: string | Buffer, signature?: string): Promise<{ status: number; json: unknown }> {
      const res = await fetch(harness().webhookUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(signature === undefined ? {} : { 'psp-signature': signature }),
        },
        body: typeof body === 'string' ? body : new Uint8Array(body),
      });
      const text = await res.text();
      let json: unknown = text;
      try {
        json = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: res.status, json };
    },
  };
  return tools;
}
