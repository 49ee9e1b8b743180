/**
 * The shoppers' side of the fault run (faults.test.ts): placing and paying orders through the
 * gateway with bounded retries, and the faults injected meanwhile.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { SUBGRAPH_NAMES } from '@shop/config';
import { runId } from '@shop/testing';
import { bearer, data } from '../client';
import { TEST_CARDS, testCard, tokenize } from '../psp';
import {
  CreateProductDocument,
  LoginDocument,
  PayOrderDocument,
  PlaceOrderDocument,
  RegisterDocument,
} from '../__generated__/graphql';
import { call, OutcomeStats } from './call';
import type { Cluster } from './cluster';

export const SHOPPERS = 24;
export const MAX_ORDERS_PER_SHOPPER = 5;
export const ORDER_TTL_SECONDS = 5;
export const DOWN_MS = 2_000;
/**
 * The cards the shoppers type into the PSP's fields, each with a CVC of its own (4 digits for
 * American Express): the secrets scan looks for every number and CVC in every log and store.
 */
export const CARDS = [
  { number: TEST_CARDS.visa, cvc: '913' },
  { number: TEST_CARDS.mastercard, cvc: '482' },
  { number: TEST_CARDS.amex, cvc: '7316' },
] as const;
export const PRODUCTS = [
  { name: 'Fault kettle', price: 2_450, stock: 400 },
  { name: 'Fault mug', price: 650, stock: 400 },
  { name: 'Fault teapot', price: 3_990, stock: 400 },
  { name: 'Fault tray', price: 1_200, stock: 400 },
];

export interface Shopper {
  email: string;
  password: string;
  name: string;
  token: string;
}

export interface ClientOrder {
  shopper: Shopper;
  idempotencyKey: string;
  id?: string;
  number?: string;
  total: number;
  items: { productId: string; quantity: number }[];
  paid: boolean;
  notPayable: boolean;
  unpaidOnPurpose: boolean;
}

/** Who placed and paid what during the run, and what the clients were shown. */
export class CheckoutLoad {
  adminAuth: Record<string, string> = {};
  readonly products: { id: string; sku: string; price: number; stock: number }[] = [];
  readonly shoppers: Shopper[] = [];
  readonly placed: ClientOrder[] = [];
  readonly tokens = new Set<string>();
  /** The payment method tokens the PSP issued to the shoppers' browsers. */
  readonly paymentTokens = new Set<string>();
  /** Wrong data a client was shown (a mismatch with what it asked for, or an impossible result). */
  readonly wrongData: string[] = [];
  readonly stats = new OutcomeStats();
  faultsDone = false;

  constructor(private readonly cluster: Cluster) {}

  /** The admin's token, the products and the registered shoppers. */
  async setUp() {
    const login = await data(this.cluster.url, LoginDocument, { input: this.cluster.admin });
    if (login.login.__typename !== 'AuthPayload') throw new Error('admin login failed');
    this.tokens.add(login.login.token);
    this.adminAuth = bearer(login.login.token);
    for (const [i, p] of PRODUCTS.entries()) {
      const sku = `${runId('FLT')}-${i}`;
      const created = await data(
        this.cluster.url,
        CreateProductDocument,
        {
          input: {
            sku,
            name: p.name,
            description: 'fault test',
            price: { amount: p.price, currency: 'EUR' },
            stock: p.stock,
            category: 'kitchen',
          },
        },
        this.adminAuth,
      );
      if (created.createProduct.__typename !== 'Product')
        throw new Error(JSON.stringify(created.createProduct));
      this.products.push({ id: created.createProduct.id, sku, price: p.price, stock: p.stock });
    }
    await Promise.all(
      Array.from({ length: SHOPPERS }, async (_, i) => {
        const email = `fault-${this.cluster.label}-${i}@example.com`;
        const password = `pw-${runId('s')}-horse`;
        const registered = await data(this.cluster.url, RegisterDocument, {
          input: { email, password, name: `Shopper ${i}`, ...(i % 2 ? { phone: '+4915112345678' } : {}) },
        });
        if (registered.register.__typename !== 'AuthPayload') throw new Error('register failed');
        this.tokens.add(registered.register.token);
        this.shoppers.push({ email, password, name: `Shopper ${i}`, token: registered.register.token });
      }),
    );
  }

  /** Places an order, retrying with the same idempotency key on errors (bounded). */
  async placeOne(shopper: Shopper, n: number): Promise<ClientOrder | null> {
    const product = this.products[n % this.products.length]!;
    const items = [{ productId: product.id, quantity: 1 + (n % 3) }];
    const expectedTotal = items.reduce(
      (sum, i) => sum + i.quantity * this.products.find((p) => p.id === i.productId)!.price,
      0,
    );
    const order: ClientOrder = {
      shopper,
      idempotencyKey: randomUUID(),
      total: expectedTotal,
      items,
      paid: false,
      notPayable: false,
      unpaidOnPurpose: n % 4 === 3,
    };
    this.placed.push(order);
    for (let attempt = 1; attempt <= 10; attempt++) {
      const outcome = await call(
        this.cluster.url,
        PlaceOrderDocument,
        { input: { idempotencyKey: order.idempotencyKey, items } },
        bearer(shopper.token),
      );
      this.stats.add(outcome, 'placeOrder');
      if (outcome.kind === 'data') {
        const result = outcome.data.placeOrder;
        if (result.__typename === 'Order') {
          const quantities = result.items.map((i) => [i.product.id, i.quantity]);
          // A retry replays the order its lost first attempt placed, as it is now: expired, if the
          // retries took longer than the order's time to live.
          const expiredReplay =
            attempt > 1 &&
            result.status === 'CANCELLED' &&
            Date.parse(String(result.expiresAt)) <= Date.now();
          if (
            result.total.amount !== expectedTotal ||
            (result.status !== 'PENDING_PAYMENT' && !expiredReplay) ||
            JSON.stringify(quantities) !== JSON.stringify(items.map((i) => [i.productId, i.quantity]))
          ) {
            this.wrongData.push(`placeOrder ${order.idempotencyKey} answered ${JSON.stringify(result)}`);
          }
          order.id = result.id;
          order.number = result.number;
          return order;
        }
        if (result.__typename !== 'ProductsUnavailableError') {
          this.wrongData.push(`placeOrder ${order.idempotencyKey} answered ${result.__typename}`);
          return null;
        }
      }
      await sleep(Math.min(400 * attempt, 2_000));
    }
    return null;
  }

  /** Pays an order, retrying with the same idempotency key on errors (bounded). */
  async payOne(order: ClientOrder, n: number) {
    const key = randomUUID();
    const card = CARDS[n % CARDS.length]!;
    // The browser's part: the card goes to the PSP only. One token per key: a retry with the key
    // sends the same input (an unanswered or unavailable attempt leaves the token usable).
    let token: string | undefined;
    for (let attempt = 1; attempt <= 5 && !token; attempt++) {
      token = await tokenize(
        this.cluster.pspUrl,
        testCard(card.number, { cvc: card.cvc, holderName: order.shopper.name }),
      ).catch(() => undefined);
      if (!token) await sleep(500 * attempt);
    }
    if (!token) {
      this.wrongData.push(`the PSP issued no token for ${order.id}`);
      return;
    }
    this.paymentTokens.add(token);
    for (let attempt = 1; attempt <= 10; attempt++) {
      const outcome = await call(
        this.cluster.url,
        PayOrderDocument,
        {
          input: {
            orderId: order.id!,
            idempotencyKey: key,
            paymentMethodToken: token,
          },
        },
        bearer(order.shopper.token),
      );
      this.stats.add(outcome, 'payOrder');
      if (outcome.kind === 'data') {
        const result = outcome.data.payOrder;
        if (result.__typename === 'PaymentSucceeded') {
          if (
            result.payment.amount.amount !== order.total ||
            result.payment.card.last4 !== card.number.slice(-4)
          ) {
            this.wrongData.push(`payOrder ${order.id} answered ${JSON.stringify(result)}`);
          }
          order.paid = true;
          return;
        }
        if (result.__typename === 'OrderNotPayableError') {
          order.notPayable = true; // expired while we retried
          return;
        }
        if (
          result.__typename !== 'OrderServiceUnavailableError' &&
          result.__typename !== 'PaymentProviderUnavailableError'
        ) {
          this.wrongData.push(`payOrder ${order.id} answered ${result.__typename}`);
          return;
        }
      }
      await sleep(Math.min(400 * attempt, 2_000));
    }
  }

  async shop(shopper: Shopper, index: number) {
    for (let n = 0; n < MAX_ORDERS_PER_SHOPPER && !this.faultsDone; n++) {
      const order = await this.placeOne(shopper, index + n);
      if (order && !order.unpaidOnPurpose) await this.payOne(order, index + n);
      await sleep(200 + (index % 7) * 50);
    }
  }
}

export const progress = (cluster: Cluster, step: string) =>
  appendFileSync(`${cluster.logDir}/progress.txt`, `${new Date().toISOString()} ${step}\n`);

/**
 * First every subgraph in turn is frozen (SIGSTOP for DOWN_MS, then SIGCONT), then every subgraph
 * in turn is killed (SIGKILL, down DOWN_MS, then started again). Restarts are not awaited one by
 * one (a cold `node --import tsx` start takes 5-50 s on a busy machine), so later kills hit while
 * earlier services are still starting; at the end every process must become ready again.
 */
export async function injectFaults(cluster: Cluster) {
  await sleep(1_000);
  for (const name of SUBGRAPH_NAMES) {
    progress(cluster, `freeze ${name}`);
    await cluster.freezeFor(name, DOWN_MS);
    progress(cluster, `thawed ${name}`);
    await sleep(800);
  }
  const restarts: Promise<void>[] = [];
  for (const name of SUBGRAPH_NAMES) {
    progress(cluster, `kill ${name}`);
    await cluster.kill(name);
    cluster.faults.push({ name, kind: 'kill', at: Date.now(), ms: DOWN_MS });
    await sleep(DOWN_MS);
    restarts.push(cluster.start(name).then(() => progress(cluster, `back ${name}`)));
    await sleep(1_000);
  }
  await Promise.all(restarts);
  await cluster.waitReady('router');
}
