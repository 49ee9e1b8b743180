/**
 * The attack property: for each generated sequence, a fresh environment, the admin's products and two
 * shoppers, the sequence through the gateway (fc.asyncModelRun), a final read-back for every user,
 * then the invariants from the stores. fc.assert reports a failure with its seed, path and the shrunk
 * sequence (each step's toString); the figures of the whole run go to .run/test-logs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { steps } from './commands';
import { PASSWORD } from './commands/accounts';
import { ReadBack } from './commands/stock';
import { audit } from './invariants';
import type { Model, ProductM } from './model';
import { MAX_INT, show, World } from './world';

export interface AttackOptions {
  runs: number;
  seed: number;
  maxCommands: number;
  /** fast-check stops starting runs (or shrinking) after this long. */
  timeLimitMs: number;
  /** A failure's path: replays that run (and its shrinking) from `seed`. */
  replay?: string;
  /** The `replayPath` fast-check prints after the counterexample (with `replay`). */
  replayPath?: string;
  /** Orders' TTL in the environments: short, so expiry happens within a sequence. */
  ttlSeconds: number;
}

export interface Figures {
  seed: number;
  /** Sequences run to the end (shrinking attempts included). */
  sequences: number;
  steps: Record<string, number>;
  requests: number;
  /** Answers per operation and result type (or request error code). */
  answers: Record<string, Record<string, number>>;
  violations: number;
  elapsedMs: number;
}

/**
 * The products of every run, with known start stock: one cheap; one at products' price limit
 * (MAX_PRICE_AMOUNT, 10,000.00: ten units reach orders' MAX_ORDER_TOTAL, a hundred pass it); one as
 * close to 2^31-1 in price and stock as products accepts (each refused candidate must be a typed error).
 */
const PRODUCTS = [
  { name: 'Pencil', candidates: [[1_999, 10]] },
  { name: 'Gold bar', candidates: [[1_000_000, 200]] },
  {
    name: 'Island',
    candidates: [
      [MAX_INT, MAX_INT],
      [1_000_001, 3],
      [1_000_000, 1_000_001],
      [1_000_000, 1_000_000],
    ],
  },
];

async function setup(w: World, ttlSeconds: number): Promise<Model> {
  const m: Model = {
    admin: w.env.admin,
    users: [],
    products: [],
    orders: [],
    placeKeys: [],
    payKeys: [],
    carts: [],
    codes: [],
    methods: [],
    checkoutKeys: [],
    filler: [],
    filled: false,
    ttlMs: ttlSeconds * 1000,
    maxAgeSeconds: Math.max(2 * ttlSeconds, ttlSeconds + 120),
    expired: false,
    failedLogins: 0,
    next: 1,
  };
  for (const [i, p] of PRODUCTS.entries()) {
    let product: ProductM | undefined;
    for (const [price, stock] of p.candidates as [number, number][]) {
      const input = {
        sku: `ADV-${i}-${price}-${stock}`,
        name: p.name,
        price: { amount: price, currency: 'EUR' },
        stock,
        category: 'toys',
      };
      const res = await w.mutate('createProduct', { input }, w.adminAuth);
      if (res?.__typename === 'Product') {
        product = { id: (res as { id: string }).id, name: p.name, price, start: stock, adjustments: 0 };
        break;
      }
      w.expect(
        res?.__typename?.endsWith('Error') ?? false,
        `createProduct at ${price} × ${stock} answered ${res?.__typename}`,
      );
    }
    if (!product) throw new Error(`setup: ${p.name} could not be created`);
    m.products.push(product);
  }
  for (const name of ['a', 'b']) {
    const email = `shopper-${name}@example.com`;
    const res = await w.mutate('register', { input: { email, password: PASSWORD, name: `Shopper ${name}` } });
    const payload = res as { token?: string; user?: { id: string } } | null;
    if (!payload?.token || !payload.user) throw new Error(`setup: register ${email} answered ${show(res)}`);
    // A second session of the same customer: another token from a login.
    const login = await w.mutate('login', { input: { email, password: PASSWORD } });
    const second = (login as { token?: string } | null)?.token;
    if (!second) throw new Error(`setup: login ${email} answered ${show(login)}`);
    const auth = { authorization: `Bearer ${payload.token}` };
    m.users.push({
      email,
      password: PASSWORD,
      auth,
      auth2: { authorization: `Bearer ${second}` },
      id: payload.user.id,
      addresses: [],
    });
  }
  await catalogue(w, m);
  await shippingMethods(w, m);
  w.flush('setup');
  return m;
}

/**
 * The seeded catalogue: its two cheapest products with stock join the model's products (their stock
 * is tracked like the others'); the rest fill carts up to MAX_CART_LINES. Only products without
 * options (one variant): the commands add and order by product id alone. Read as the admin, who
 * sees the stock counts (shoppers see availability only).
 */
async function catalogue(w: World, m: Model) {
  const data = await w.call('catalogue', {}, w.adminAuth);
  const nodes = (
    (
      data?.products as
        | {
            edges: {
              node: { id: string; stock: number; price: { amount: number }; variants: { id: string }[] };
            }[];
          }
        | undefined
    )?.edges ?? []
  )
    .map((e) => e.node)
    .filter((p) => p.variants.length === 1 && !m.products.some((known) => known.id === p.id));
  const seeded = nodes.filter((p) => p.stock >= 10).sort((a, b) => a.price.amount - b.price.amount);
  for (const p of seeded.slice(0, 2))
    m.products.push({
      id: p.id,
      name: `seeded ${p.id.slice(-4)}`,
      price: p.price.amount,
      start: p.stock,
      adjustments: 0,
    });
  m.filler = nodes
    .filter((p) => !m.products.some((known) => known.id === p.id))
    .map((p) => ({ id: p.id, price: p.price.amount }));
}

/** The shipping methods of every country the shop ships to, as Query.shippingMethods answers them. */
async function shippingMethods(w: World, m: Model) {
  const data = await w.call('shippingMethods', {});
  type M = {
    id: string;
    price: { amount: number; currency: string };
    freeAbove: { amount: number } | null;
    countries: string[];
  };
  const answers = (data ?? {}) as Record<string, M[]>;
  for (const [country, list] of Object.entries(answers)) {
    if (country === 'lower' || country === 'none') {
      w.expect(
        list.length === 0,
        `shippingMethods(${country === 'lower' ? '"de"' : '"CH"'}) answered ${show(list.map((x) => x.id))}`,
      );
      continue;
    }
    const prices = list.map((x) => x.price.amount);
    w.expect(
      prices.every((p, i) => i === 0 || p >= prices[i - 1]!),
      `shippingMethods(${country}) is not cheapest first`,
    );
    for (const x of list) {
      w.expect(
        x.countries.includes(country.toUpperCase()),
        `${x.id} listed for ${country} reaches ${show(x.countries)}`,
      );
      if (!m.methods.some((known) => known.id === x.id))
        m.methods.push({
          id: x.id,
          price: x.price.amount,
          freeAbove: x.freeAbove?.amount ?? null,
          countries: x.countries,
        });
    }
  }
  if (!m.methods.some((x) => x.countries.includes('DE')))
    throw new Error(`setup: no shipping method reaches DE: ${show(data)}`);
}

export async function attack(options: AttackOptions): Promise<Figures> {
  const started = Date.now();
  const figures: Figures = {
    seed: options.seed,
    sequences: 0,
    steps: {},
    requests: 0,
    answers: {},
    violations: 0,
    elapsedMs: 0,
  };
  const tally = (w: World) => {
    figures.sequences++;
    for (const step of w.executed) figures.steps[step] = (figures.steps[step] ?? 0) + 1;
    for (const r of w.responses) {
      figures.requests++;
      const answer = r.typename ?? (r.errorCodes.join(',') || 'no data');
      const byOp = (figures.answers[r.op] ??= {});
      byOp[answer] = (byOp[answer] ?? 0) + 1;
    }
  };

  const property = fc.asyncProperty(
    fc.commands([steps], {
      maxCommands: options.maxCommands,
      size: 'max',
      ...(options.replayPath ? { replayPath: options.replayPath } : {}),
    }),
    async (sequence) => {
      const w = await World.boot(options.ttlSeconds);
      try {
        const model = await setup(w, options.ttlSeconds);
        await fc.asyncModelRun(() => ({ model, real: w }), sequence);
        for (let i = 0; i < model.users.length; i++) await new ReadBack(i).run(model, w);
        const { violations } = await audit(w.env, model);
        if (violations.length > 0) {
          figures.violations += violations.length;
          throw new Error(`invariants broken in the stores:\n  ${violations.join('\n  ')}\n${w.traced()}`);
        }
      } catch (error) {
        figures.violations += w.violations.length;
        throw error;
      } finally {
        tally(w);
        await w.stop();
      }
    },
  );

  try {
    await fc.assert(property, {
      seed: options.seed,
      numRuns: options.runs,
      ...(options.replay ? { path: options.replay } : {}),
      plugins: [fc.interruptAfterTimeLimit(options.timeLimitMs)],
    });
  } finally {
    figures.elapsedMs = Date.now() - started;
    mkdirSync('.run/test-logs', { recursive: true });
    writeFileSync(
      `.run/test-logs/adversarial-${options.seed}-${options.runs}.json`,
      JSON.stringify(figures, null, 2),
    );
  }
  return figures;
}
