/**
 * Issue 18, buying variants through the gateway: a product with options is added per variant (the
 * product alone is refused), two variants of it are two cart lines priced and named per variant,
 * the merge keeps them, checkout makes two items with the variants' SKUs and titles and holds each
 * variant's own stock (admins see the counts, shoppers do not), and the confirmation email names
 * "Name — title".
 */
import { randomUUID } from 'node:crypto';
import { mailpit, waitFor } from '@shop/testing';
import { createTestEnvironment, type TestEnvironment } from '../environment';
import { BERLIN, CARD, expectNoInternalErrors, MONEY, openStores, Q, shopClient, tokenize } from './support';

let env: TestEnvironment;
let shop: ReturnType<typeof shopClient>;
let stores: Awaited<ReturnType<typeof openStores>>;

beforeAll(async () => {
  env = await createTestEnvironment();
  shop = shopClient(env);
  stores = await openStores(env);
}, 120_000);

afterAll(async () => {
  expectNoInternalErrors(shop?.responses ?? []);
  await stores?.close();
  await env?.stop();
});

type Money = { amount: number; currency: string };
type Variant = {
  id: string;
  sku: string;
  title: string;
  price: Money;
  inStock: boolean;
  stock: number | null;
};
type Product = { id: string; name: string; variants: Variant[] };

const VARIANTS = `id sku title price ${MONEY} inStock stock`;
const CATALOGUE = `query($n: Int!, $after: String) { products(first: $n, after: $after) {
  edges { node { id name variants { ${VARIANTS} } } } pageInfo { hasNextPage endCursor } } }`;
const PRODUCT = `query($id: ID!) { product(id: $id) { id name variants { ${VARIANTS} } } }`;
const LINES = `query($id: ID) { cart(id: $id) {
  id quantity subtotal ${MONEY}
  lines { product { id } variant { id title sku } variantTitle productName quantity unitPrice ${MONEY} status }
} }`;
const CHECKOUT = `mutation($i: CheckoutInput!) { checkout(input: $i) {
  __typename
  ... on Order { id number status subtotal ${MONEY} total ${MONEY}
    items { product { id } variant { id title } sku productName variantTitle quantity unitPrice ${MONEY} } }
  ... on Error { message }
} }`;

type CartLines = {
  id: string;
  quantity: number;
  subtotal: Money;
  lines: {
    product: { id: string };
    variant: { id: string; title: string; sku: string };
    variantTitle: string;
    productName: string;
    quantity: number;
    unitPrice: Money;
    status: string;
  }[];
};

it('a variant is what is bought: cart lines, merge, checkout, holds per variant, the confirmation names the variant', async () => {
  // A product with at least two variants in stock, from the demo catalogue.
  // Paged (the gateway's cost limit allows a few dozen products with their variants per request),
  // read by the admin, who sees the counts: two variants with a few units each.
  const admin = await shop.admin();
  const all: Product[] = [];
  for (let after: string | null = null, more = true; more;) {
    const page: {
      products: { edges: { node: Product }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
    } = await shop.ok(CATALOGUE, { n: 20, after }, admin);
    all.push(...page.products.edges.map((e) => e.node));
    ({ hasNextPage: more, endCursor: after } = page.products.pageInfo);
  }
  const plenty = (p: Product) => p.variants.filter((v) => (v.stock ?? 0) >= 5);
  const shirt = all.find((p) => plenty(p).length >= 2)!;
  expect(shirt).toBeDefined();
  const [a, b] = plenty(shirt) as [Variant, Variant];
  expect(a.title).not.toBe('');
  // Shoppers see availability, not the count.
  const seen = (await shop.ok<{ product: Product }>(PRODUCT, { id: shirt.id })).product;
  expect(seen.variants.map((v) => [v.id, v.inStock, v.stock])).toEqual(
    shirt.variants.map((v) => [v.id, v.stock! > 0, null]),
  );
  const before = (await shop.ok<{ product: Product }>(PRODUCT, { id: shirt.id }, admin)).product;
  const stockOf = (p: Product, id: string) => p.variants.find((v) => v.id === id)!.stock!;

  // 1. The product alone names no variant: refused with a clear typed error, no cart made.
  const refused = await shop.ok<{ addToCart: { __typename: string; field?: string; message: string } }>(
    Q.addToCart,
    { i: { productId: shirt.id, quantity: 1 } },
  );
  expect(refused.addToCart).toMatchObject({ __typename: 'InvalidInputError', field: 'variantId' });
  expect(refused.addToCart.message).toContain(shirt.name);
  // A variant of the product in another form, or another product's, names nothing.
  const other = all.find((p) => p.id !== shirt.id)!;
  for (const variantId of [a.id.toUpperCase(), other.variants[0]!.id, `${shirt.id}-0`, `${shirt.id}-01`]) {
    const res = await shop.ok<{ addToCart: { __typename: string; productId?: string } }>(Q.addToCart, {
      i: { productId: shirt.id, variantId, quantity: 1 },
    });
    expect(res.addToCart).toMatchObject({ __typename: 'UnknownProductError', productId: shirt.id });
  }

  // 2. Two variants: two lines, each priced and named as its variant (resolved by products).
  const first = await shop.ok<{ addToCart: { __typename: string; id: string } }>(Q.addToCart, {
    i: { productId: shirt.id, variantId: a.id, quantity: 2 },
  });
  expect(first.addToCart.__typename).toBe('Cart');
  const anonymousCartId = first.addToCart.id;
  await shop.ok(Q.addToCart, {
    i: { cartId: anonymousCartId, productId: shirt.id, variantId: b.id, quantity: 1 },
  });
  const cart = (await shop.ok<{ cart: CartLines }>(LINES, { id: anonymousCartId })).cart;
  expect(cart.lines).toEqual([
    {
      product: { id: shirt.id },
      variant: { id: a.id, title: a.title, sku: a.sku },
      variantTitle: a.title,
      productName: shirt.name,
      quantity: 2,
      unitPrice: a.price,
      status: 'AVAILABLE',
    },
    {
      product: { id: shirt.id },
      variant: { id: b.id, title: b.title, sku: b.sku },
      variantTitle: b.title,
      productName: shirt.name,
      quantity: 1,
      unitPrice: b.price,
      status: 'AVAILABLE',
    },
  ]);
  expect(cart.subtotal.amount).toBe(2 * a.price.amount + b.price.amount);

  // 3. Log in, merge: the customer's cart holds the same two variant lines.
  const ada = await shop.customer('variants');
  await shop.ok(Q.addToCart, { i: { productId: shirt.id, variantId: a.id, quantity: 1 } }, ada.headers);
  const merged = await shop.ok<{ mergeCart: { __typename: string; id: string } }>(
    Q.mergeCart,
    { id: anonymousCartId },
    ada.headers,
  );
  expect(merged.mergeCart.__typename).toBe('Cart');
  const mine = (await shop.ok<{ cart: CartLines }>(LINES, {}, ada.headers)).cart;
  expect(mine.lines.map((l) => [l.variant.id, l.quantity])).toEqual([
    [a.id, 3],
    [b.id, 1],
  ]);

  // 4. Checkout: two items of one product, each with its variant's SKU and title; each variant held.
  const checkout = await shop.ok<{
    checkout: {
      __typename: string;
      id: string;
      number: string;
      total: Money;
      items: {
        product: { id: string };
        variant: { id: string; title: string };
        sku: string;
        productName: string;
        variantTitle: string;
        quantity: number;
        unitPrice: Money;
      }[];
    };
  }>(
    CHECKOUT,
    {
      i: {
        cartId: mine.id,
        shippingAddress: BERLIN,
        shippingMethodId: 'standard-eu',
        idempotencyKey: randomUUID(),
      },
    },
    ada.headers,
  );
  expect(checkout.checkout.__typename).toBe('Order');
  const order = checkout.checkout;
  expect(order.items).toEqual([
    {
      product: { id: shirt.id },
      variant: { id: a.id, title: a.title },
      sku: a.sku,
      productName: shirt.name,
      variantTitle: a.title,
      quantity: 3,
      unitPrice: a.price,
    },
    {
      product: { id: shirt.id },
      variant: { id: b.id, title: b.title },
      sku: b.sku,
      productName: shirt.name,
      variantTitle: b.title,
      quantity: 1,
      unitPrice: b.price,
    },
  ]);
  const rows = await stores.rows<{ variant_id: string; sku: string; variant_title: string }>(
    'SELECT variant_id, sku, variant_title FROM order_items WHERE order_id = ? ORDER BY position',
    [order.id],
  );
  expect(rows.map((r) => [r.variant_id, r.sku, r.variant_title])).toEqual([
    [a.id, a.sku, a.title],
    [b.id, b.sku, b.title],
  ]);
  const held = (await shop.ok<{ product: Product }>(PRODUCT, { id: shirt.id }, admin)).product;
  expect([stockOf(held, a.id), stockOf(held, b.id)]).toEqual([
    stockOf(before, a.id) - 3,
    stockOf(before, b.id) - 1,
  ]);

  // 5. Pay: the confirmation lists "Name — title" per variant.
  const paid = await shop.ok<{ payOrder: { __typename: string } }>(
    Q.pay,
    {
      i: {
        orderId: order.id,
        idempotencyKey: randomUUID(),
        paymentMethodToken: await tokenize(env.pspUrl, CARD),
      },
    },
    ada.headers,
  );
  expect(paid.payOrder.__typename).toBe('PaymentSucceeded');
  const confirmation = await waitFor(async () => {
    const found = await mailpit.messagesTo(ada.email);
    const hit = found.find((m) => m.Subject.includes(order.number));
    return hit ? mailpit.message(hit.ID) : null;
  });
  expect(confirmation.Text).toContain(`3 x ${shirt.name} — ${a.title} (`);
  expect(confirmation.Text).toContain(`1 x ${shirt.name} — ${b.title} (`);
});
