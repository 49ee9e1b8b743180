import type { Viewer } from '@shop/auth';
import { waitFor } from '@shop/testing';
import type { AppOverrides } from '../src/index';
import { bootPayments, dumpRedis, leaks, type CardFields, type Harness, type PayResult } from './helpers';

type BootOptions = Parameters<typeof bootPayments>[2];

/**
 * One test file's run: boots its payments harness (bootPayments) before its tests and closes it
 * after them. `payWith` tokenises a card at the test PSP (as the browser does) and pays with the
 * token (or pays with a token given), answers without GraphQL errors and remembers every card
 * number and CVC it tokenised, so the file's last tests can check the whole run (every event once,
 * no card data in Redis or the log).
 */
export function paymentsRun(label: string, overrides: AppOverrides = {}, options: BootOptions = {}) {
  let booted: Harness | undefined;
  beforeAll(async () => {
    booted = await bootPayments(label, overrides, options);
  });
  afterAll(async () => {
    await booted?.close();
  });
  const harness = (): Harness => {
    if (!booted) throw new Error(`the ${label} harness is not booted (use it inside tests)`);
    return booted;
  };
  const numbers = new Set<string>();
  const cvcs = new Set<string>(['739']);

  return {
    harness,

    async payWith(
      viewer: Viewer | null,
      orderId: string,
      c: CardFields | string,
      key: string,
    ): Promise<PayResult> {
      let token: string;
      if (typeof c === 'string') token = c;
      else {
        numbers.add(c.number.replace(/[\s-]/g, ''));
        cvcs.add(c.cvc);
        token = await harness().psp.tokenize(c);
      }
      const res = await harness().pay(viewer, { orderId, paymentMethodToken: token, idempotencyKey: key });
      expect(res.errors).toBeUndefined();
      return res.data!.payOrder;
    },

    /**
     * Once the outbox has drained: every payment recorded in the run has exactly one event, on
     * payments.succeeded or payments.failed by its status. Returns the events.
     */
    async expectEachEventOnce() {
      const h = harness();
      await waitFor(async () => (await h.app.repository.outboxLength()) === 0);
      const events = await h.streamEvents();
      expect(events.length).toBeGreaterThan(0);
      const ids = events.map((e) => e.event.paymentId);
      expect(new Set(ids).size).toBe(ids.length);
      for (const e of events) {
        expect(e.subject).toBe(
          e.event.status === 'SUCCEEDED' ? h.names.events.paymentsSucceeded : h.names.events.paymentsFailed,
        );
      }
      return events;
    },

    /** Remembers card data tokenised elsewhere in the file (for expectNoSecrets). */
    sent(c: CardFields) {
      numbers.add(c.number.replace(/[\s-]/g, ''));
      cvcs.add(c.cvc);
    },

    /** No Redis key or log line of the run holds a card number or CVC it used, or the holder's name. */
    async expectNoSecrets() {
      const h = harness();
      const redis = await dumpRedis(h.redisPrefix);
      expect(redis.length).toBeGreaterThan(10);
      expect(redis.some((line) => line.includes('4242'))).toBe(true); // last4 is there, so the scan sees data
      expect(leaks(redis, [...numbers], [...cvcs])).toEqual([]);
      expect(redis.filter((line) => /\bcvc\b|holder|Ada Lovelace/i.test(line))).toEqual([]);
      expect(h.log.lines.length).toBeGreaterThan(10);
      expect(leaks(h.log.lines, [...numbers], [...cvcs])).toEqual([]);
      expect(h.log.lines.filter((line) => /Ada Lovelace/.test(line))).toEqual([]);
    },
  };
}
