import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '@shop/config';
import { createTokenVerifier, ROUTER_SECRET_HEADER, type Viewer } from '@shop/auth';
import {
  connectNats,
  endpoint,
  natsNames,
  ReleaseRequest,
  ReserveRequest,
  serveEndpoints,
  type NatsConnection,
  type PaymentEvent,
  type ReserveReply,
} from '@shop/messaging';
import { createLogger } from '@shop/server';
import {
  createMysqlDatabase,
  createTestIssuer,
  endpoints,
  gql,
  memoryLog,
  natsPrefix,
  deleteStreams,
} from '@shop/testing';
import { createApp, type AppOverrides } from '../src/app';
import { configSchema } from '../src/config';

export const ROUTER_SECRET = 'test-router-secret-0123456789';

/**
 * A product of the fakeProducts catalogue. Without `variants` it is a product without options: one
 * variant, number 1, with the entry's sku, price and stock (so changing those changes the variant).
 */
export interface CatalogueEntry {
  sku: string;
  name: string;
  price: { amount: number; currency: string };
  stock: number;
  variants?: FakeVariant[];
}
/** A variant of a fakeProducts product: `<productId>-<n>`. */
export interface FakeVariant {
  n: number;
  sku: string;
  title: string;
  price: { amount: number; currency: string };
  stock: number;
}

/** The variants of a catalogue entry (one, number 1, for an entry without variants). */
export const variantsOf = (entry: CatalogueEntry): FakeVariant[] =>
  entry.variants ?? [
    {
      n: 1,
      sku: entry.sku,
      title: '',
      get price() {
        return entry.price;
      },
      get stock() {
        return entry.stock;
      },
      set stock(units: number) {
        entry.stock = units;
      },
    },
  ];
export type FakeProducts = ReturnType<typeof fakeProducts>;

/**
 * A products responder on NATS with an in-memory catalogue: reserve is all-or-nothing and idempotent
 * per order; release comes as a command or as an orders.cancelled event, and (like the real one) a
 * release that arrives first makes a late reserve of that order take nothing.
 */
export interface FakeProductsOptions {
  reserveDelayMs?: number;
  /** How the reply names a reserved product (a broken products that answers another form of the id). */
  answerId?: (productId: string) => string;
}

export function fakeProducts(nc: NatsConnection, prefix: string, opts: FakeProductsOptions = {}) {
  const names = natsNames(prefix);
  const catalogue = new Map<string, CatalogueEntry>();
  const reservations = new Map<string, { productId: string; variantId: string; quantity: number }[]>();
  const variant = (productId: string, variantId: string) => {
    const entry = catalogue.get(productId);
    return entry && variantsOf(entry).find((v) => `${productId}-${v.n}` === variantId);
  };
  const calls = { reserve: 0, release: 0 };
  const released = new Set<string>();
  const release = (orderId: string) => {
    calls.release += 1;
    released.add(orderId);
    const items = reservations.get(orderId);
    if (!items) return false;
    for (const item of items) variant(item.productId, item.variantId)!.stock += item.quantity;
    reservations.delete(orderId);
    return true;
  };
  const cancelled = nc.subscribe(names.events.ordersCancelled, {
    callback: (_err, msg) => {
      const event = msg.json<{ orderId: string }>();
      release(event.orderId);
    },
  });
  const service = serveEndpoints(
    nc,
    names.services.products,
    [
      endpoint({
        name: 'reserve',
        subject: names.commands.productsReserve,
        schema: ReserveRequest,
        handler: async (req): Promise<ReserveReply> => {
          calls.reserve += 1;
          if (opts.reserveDelayMs) await sleep(opts.reserveDelayMs);
          if (released.has(req.orderId)) {
            return {
              ok: false,
              code: 'NOT_FOUND',
              message: 'the order was released',
              productId: req.items[0]!.productId,
            };
          }
          // Each line's variant: the one named, or the product's only one (else VARIANT_REQUIRED).
          const resolved: { productId: string; variantId: string; quantity: number }[] = [];
          for (const item of req.items) {
            const product = catalogue.get(item.productId);
            if (!product)
              return { ok: false, code: 'NOT_FOUND', message: 'no such product', productId: item.productId };
            const all = variantsOf(product);
            if (item.variantId === undefined && all.length > 1)
              return {
                ok: false,
                code: 'VARIANT_REQUIRED',
                message: 'choose a variant',
                productId: item.productId,
              };
            const variantId = item.variantId ?? `${item.productId}-${all[0]!.n}`;
            if (!variant(item.productId, variantId))
              return {
                ok: false,
                code: 'NOT_FOUND',
                message: 'no such variant',
                productId: item.productId,
                variantId,
              };
            resolved.push({ productId: item.productId, variantId, quantity: item.quantity });
          }
          const lines = () =>
            (reservations.get(req.orderId) ?? resolved).map((i) => {
              const p = catalogue.get(i.productId)!;
              const v = variant(i.productId, i.variantId)!;
              return {
                productId: opts.answerId ? opts.answerId(i.productId) : i.productId,
                variantId: opts.answerId ? `${opts.answerId(i.productId)}-${v.n}` : i.variantId,
                sku: v.sku,
                name: p.name,
                variantTitle: v.title,
                quantity: i.quantity,
                unitPrice: v.price,
              };
            });
          if (reservations.has(req.orderId)) return { ok: true, lines: lines() };
          for (const item of resolved) {
            const v = variant(item.productId, item.variantId)!;
            if (v.stock < item.quantity) {
              return {
                ok: false,
                code: 'OUT_OF_STOCK',
                message: 'out of stock',
                productId: item.productId,
                variantId: item.variantId,
                requested: item.quantity,
                available: v.stock,
              };
            }
          }
          for (const item of resolved) variant(item.productId, item.variantId)!.stock -= item.quantity;
          reservations.set(req.orderId, resolved);
          return { ok: true, lines: lines() };
        },
      }),
      endpoint({
        name: 'release',
        subject: names.commands.productsRelease,
        schema: ReleaseRequest,
        handler: async (req) => ({ ok: true, released: release(req.orderId) }),
      }),
    ],
    { info: () => undefined, warn: () => undefined, error: () => undefined },
  );
  return {
    catalogue,
    reservations,
    calls,
    stop: async () => {
      cancelled.unsubscribe();
      await service.stop();
    },
  };
}

/** Boots the orders app on a fresh MariaDB database and NATS prefix. */
export async function bootOrders(
  overrides: AppOverrides = {},
  env: Record<string, string> = {},
  opts: { prefix?: string } = {},
) {
  const database = await createMysqlDatabase('orders');
  const prefix = opts.prefix ?? natsPrefix('ord');
  const issuer = await createTestIssuer();
  const logs = memoryLog();
  const log = createLogger({ name: 'orders-test', level: 'debug' }, logs.stream);
  const config = loadConfig(configSchema, {
    PORT: '0',
    MYSQL_URL: database.url,
    NATS_URL: endpoints.nats,
    NATS_PREFIX: prefix,
    ROUTER_SECRET,
    RESERVE_TIMEOUT_MS: '1500',
    OUTBOX_POLL_MS: '100',
    EXPIRY_INTERVAL_MS: '200',
    ...env,
  });
  const app = await createApp(config, {
    log,
    verifyToken: createTokenVerifier({ jwks: issuer.jwks }),
    ...overrides,
  });
  const { url } = await app.start();
  const nc = await connectNats(endpoints.nats, 'orders-test');

  const as = async (viewer: Viewer | null) => {
    const headers: Record<string, string> = { [ROUTER_SECRET_HEADER]: ROUTER_SECRET };
    if (viewer) headers.authorization = await issuer.bearer(viewer);
    return <T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>) =>
      gql<T>(url, query, variables, headers);
  };

  return {
    app,
    url,
    prefix,
    names: natsNames(prefix),
    database,
    issuer,
    logs,
    nc,
    as,
    async stop() {
      await app.stop();
      await deleteStreams(nc, natsNames(prefix));
      await nc.close();
      await database.drop();
    },
  };
}
export type Harness = Awaited<ReturnType<typeof bootOrders>>;

/**
 * bootOrders with a fakeProducts responder on its prefix, stocked with `catalogue`; stop() stops
 * both.
 */
export async function bootWithFakeProducts(
  catalogue: Record<string, CatalogueEntry>,
  overrides: AppOverrides = {},
  env: Record<string, string> = {},
  opts: FakeProductsOptions = {},
) {
  const h = await bootOrders(overrides, env);
  const products = fakeProducts(h.nc, h.prefix, opts);
  for (const [id, entry] of Object.entries(catalogue)) products.catalogue.set(id, entry);
  return {
    ...h,
    products,
    async stop() {
      await products.stop();
      await h.stop();
    },
  };
}
export type FakeHarness = Awaited<ReturnType<typeof bootWithFakeProducts>>;

/** Places an order of `items` for `user` (a fresh customer by default) and expects it placed. */
export async function placeFor(
  h: Harness,
  items: { productId: string; variantId?: string; quantity: number }[],
  user: Viewer = customer(),
) {
  const res = await (await h.as(user))<Placed>(PLACE, { input: { idempotencyKey: randomUUID(), items } });
  expect(res.data?.placeOrder.__typename).toBe('Order');
  return { user, order: res.data!.placeOrder as OrderView };
}

/** A payment event for `order`, of its total: what payments publishes on payments.succeeded/failed. */
export function paymentEvent(
  order: Pick<OrderView, 'id' | 'total'>,
  userId: string,
  status: 'SUCCEEDED' | 'FAILED' = 'SUCCEEDED',
): PaymentEvent {
  const paymentId = randomUUID();
  return {
    eventId: paymentId,
    paymentId,
    orderId: order.id,
    userId,
    amount: order.total,
    status,
    failureReason: status === 'FAILED' ? 'card declined' : null,
    occurredAt: new Date().toISOString(),
  };
}

/** A viewer with a fresh id in the issued form (a lower-case UUID, as users issues them). */
export const customer = (label = 'c'): Viewer => {
  const id = randomUUID();
  return { id, role: 'CUSTOMER', email: `${label}-${id}@example.test` };
};
export const admin = (): Viewer => ({ id: randomUUID(), role: 'ADMIN', email: 'admin@example.test' });

/**
 * A product id in the issued form (24 lower-case hex digits, like a MongoDB ObjectId) for a
 * readable label: the same label gives the same id.
 */
export const pid = (label: string) => createHash('sha256').update(label).digest('hex').slice(0, 24);

export const ORDER_FIELDS = `
  id number status createdAt expiresAt paidAt cancelledAt
  user { id }
  total { amount currency }
  items {
    product { id } variant { id } sku productName variantTitle quantity
    unitPrice { amount currency } lineTotal { amount currency }
  }
`;

export const PLACE = `mutation Place($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    __typename
    ... on Order { ${ORDER_FIELDS} }
    ... on Error { message }
    ... on InvalidInputError { field }
    ... on UnknownProductError { productId variantId }
    ... on InsufficientStockError { productId variantId requested available }
    ... on IdempotencyKeyReusedError { orderId }
    ... on OrderTotalLimitError { maxTotal { amount currency } }
    ... on TooManyUnpaidOrdersError { max }
  }
}`;

export const CANCEL = `mutation Cancel($id: ID!) {
  cancelOrder(id: $id) {
    __typename
    ... on Order { id status cancelledAt }
    ... on Error { message }
    ... on OrderNotCancellableError { status }
    ... on OrderNotFoundError { orderId }
    ... on OrderPaymentInProgressError { retryAfter }
  }
}`;

/** Every message currently in a stream (optionally only one subject), decoded as JSON. */
export async function streamMessages<T = Record<string, unknown>>(
  nc: NatsConnection,
  stream: string,
  subject?: string,
) {
  const { jetstreamManager } = await import('@shop/messaging');
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream);
  const out: { subject: string; seq: number; data: T }[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq += 1) {
    const msg = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (!msg || (subject && msg.subject !== subject)) continue;
    out.push({ subject: msg.subject, seq, data: msg.json<T>() });
  }
  return out;
}

/** An order as ORDER_FIELDS selects it. */
export interface OrderView {
  id: string;
  number: string;
  status: string;
  createdAt: string;
  expiresAt: string;
  paidAt: string | null;
  cancelledAt: string | null;
  user: { id: string };
  total: { amount: number; currency: string };
  items: {
    product: { id: string };
    variant: { id: string };
    sku: string;
    productName: string;
    variantTitle: string;
    quantity: number;
    unitPrice: { amount: number; currency: string };
    lineTotal: { amount: number; currency: string };
  }[];
}

/** What PLACE returns: an order or an error type, told apart by __typename. */
export type Placed = { placeOrder: { __typename: string } & Partial<OrderView> & Record<string, unknown> };
