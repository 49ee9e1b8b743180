/**
 * The rows of the authorization matrix (authz.test.ts): per personal field, the query, where it is
 * sent (the gateway or the subgraph that owns it), how to read the value, and the outcome expected
 * for each viewer.
 */
export type Viewer = 'anonymous' | 'other customer' | 'owner' | 'admin' | 'owner, no router secret';
export type Outcome = 'data' | 'self' | 'null' | 'FORBIDDEN' | 'UNAUTHENTICATED' | 'HTTP 403';
export type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Account {
  id: string;
  email: string;
  token: string;
}

export interface Fixture {
  owner: Account & { phone: string };
  other: Account;
  admin: Account;
  orderId: string;
  paymentId: string;
  notificationIds: string[];
  /** The owner's address book entry, their cart, and an order checked out to that address. */
  addressId: string;
  cartId: string;
  checkoutOrderId: string;
}

export type Target = 'gateway' | 'users' | 'orders' | 'payments' | 'notifications';

export interface Row {
  field: string;
  target: Target;
  query: string;
  variables: (f: Fixture) => Record<string, unknown>;
  /** The personal value in the response (null/undefined when absent). */
  pick: (data: Data) => unknown;
  /** What the owner (and an admin) must read. */
  owner: (f: Fixture) => unknown;
  /** For `self` cells: what the caller's own record looks like. */
  self?: (account: Account) => unknown;
  expect: Partial<Record<Viewer, Outcome>>;
}

export const ENTITIES = (type: string, selection: string) =>
  `query($r: [_Any!]!) { _entities(representations: $r) { ... on ${type} { ${selection} } } }`;
const first = (data: Data) => (data._entities as Data[] | undefined)?.[0];
const ids = (list: { id: string }[] | undefined) => list?.map((n) => n.id).sort();
const edgeIds = (conn: Data | undefined) => conn?.edges?.map((e: Data) => e.node.id);

const HIDDEN = { anonymous: 'null', 'other customer': 'null', owner: 'data', admin: 'data' } as const;
const ORDER_FIELD = {
  anonymous: 'UNAUTHENTICATED',
  'other customer': 'null',
  owner: 'data',
  admin: 'data',
} as const;
const REFUSED = {
  anonymous: 'UNAUTHENTICATED',
  'other customer': 'FORBIDDEN',
  owner: 'data',
  admin: 'data',
} as const;
const NO_SECRET = { 'owner, no router secret': 'HTTP 403' } as const;
/** Administrators' reads (the order list, the customer search). */
const ADMIN_ONLY = {
  anonymous: 'UNAUTHENTICATED',
  'other customer': 'FORBIDDEN',
  owner: 'FORBIDDEN',
  admin: 'data',
} as const;
/** A customer's cart: its owner only (an admin does not read carts). */
const CART_OWNER = { anonymous: 'null', 'other customer': 'null', owner: 'data', admin: 'null' } as const;
const LINE1 = 'Invalidenstraße 117';

export const rows: Row[] = [
  // through the gateway
  {
    field: 'Query.me { email phone }',
    target: 'gateway',
    query: '{ me { email phone } }',
    variables: () => ({}),
    pick: (d) => d.me,
    owner: (f) => ({ email: f.owner.email, phone: f.owner.phone }),
    self: (a) => ({ email: a.email, phone: null }),
    expect: { anonymous: 'null', 'other customer': 'self', owner: 'data', admin: 'self' },
  },
  {
    field: 'Query.order',
    target: 'gateway',
    query: 'query($id: ID!) { order(id: $id) { id number } }',
    variables: (f) => ({ id: f.orderId }),
    pick: (d) => d.order?.id,
    owner: (f) => f.orderId,
    expect: ORDER_FIELD,
  },
  {
    field: 'Order.user { email phone }',
    target: 'gateway',
    query: 'query($id: ID!) { order(id: $id) { user { email phone } } }',
    variables: (f) => ({ id: f.orderId }),
    pick: (d) => d.order?.user,
    owner: (f) => ({ email: f.owner.email, phone: f.owner.phone }),
    expect: ORDER_FIELD,
  },
  {
    field: 'User.orders (Order.user.orders)',
    target: 'gateway',
    query: 'query($id: ID!) { order(id: $id) { user { orders { edges { node { id } } } } } }',
    variables: (f) => ({ id: f.orderId }),
    pick: (d) => edgeIds(d.order?.user?.orders),
    owner: (f) => [f.checkoutOrderId, f.orderId],
    expect: ORDER_FIELD,
  },
  {
    field: 'Order.payment',
    target: 'gateway',
    query: 'query($id: ID!) { order(id: $id) { payment { id status card { last4 } } } }',
    variables: (f) => ({ id: f.orderId }),
    pick: (d) => d.order?.payment?.id,
    owner: (f) => f.paymentId,
    expect: ORDER_FIELD,
  },
  {
    field: 'Order.notifications',
    target: 'gateway',
    query: 'query($id: ID!) { order(id: $id) { notifications { id recipient } } }',
    variables: (f) => ({ id: f.orderId }),
    pick: (d) => ids(d.order?.notifications),
    owner: (f) => f.notificationIds,
    expect: ORDER_FIELD,
  },
  {
    field: 'User.notifications (Order.user.notifications)',
    target: 'gateway',
    query: 'query($id: ID!) { order(id: $id) { user { notifications { edges { node { id } } } } } }',
    variables: (f) => ({ id: f.orderId }),
    pick: (d) => edgeIds(d.order?.user?.notifications)?.sort(),
    owner: (f) => f.notificationIds,
    expect: ORDER_FIELD,
  },
  {
    field: 'Order.shippingAddress',
    target: 'gateway',
    query: 'query($id: ID!) { order(id: $id) { shippingAddress { line1 } } }',
    variables: (f) => ({ id: f.checkoutOrderId }),
    pick: (d) => d.order?.shippingAddress?.line1,
    owner: () => LINE1,
    expect: ORDER_FIELD,
  },
  {
    field: 'User.addresses (Order.user.addresses)',
    target: 'gateway',
    query: 'query($id: ID!) { order(id: $id) { user { addresses { edges { node { id } } } } } }',
    variables: (f) => ({ id: f.orderId }),
    pick: (d) => edgeIds(d.order?.user?.addresses),
    owner: (f) => [f.addressId],
    expect: ORDER_FIELD,
  },
  {
    field: 'Query.cart',
    target: 'gateway',
    query: 'query($id: ID) { cart(id: $id) { id lines { quantity } } }',
    variables: (f) => ({ id: f.cartId }),
    pick: (d) => d.cart?.id,
    owner: (f) => f.cartId,
    expect: CART_OWNER,
  },
  {
    field: 'Query.customers',
    target: 'gateway',
    query: 'query($s: String) { customers(search: $s) { edges { node { id } } } }',
    variables: (f) => ({ s: f.owner.email }),
    pick: (d) => edgeIds(d.customers),
    owner: (f) => [f.owner.id],
    expect: ADMIN_ONLY,
  },
  {
    field: 'Query.orders (every order)',
    target: 'gateway',
    query: 'query($u: ID) { orders(filter: { userId: $u }) { edges { node { id } } } }',
    variables: (f) => ({ u: f.owner.id }),
    pick: (d) => edgeIds(d.orders)?.sort(),
    owner: (f) => [f.orderId, f.checkoutOrderId].sort(),
    expect: ADMIN_ONLY,
  },
  // straight to the subgraphs, as if the router had been bypassed with its secret
  {
    field: 'User.addresses via _entities',
    target: 'users',
    query: ENTITIES('User', 'addresses { edges { node { id } } }'),
    variables: (f) => ({ r: [{ __typename: 'User', id: f.owner.id }] }),
    pick: (d) => edgeIds(first(d)?.addresses),
    owner: (f) => [f.addressId],
    expect: { ...REFUSED, ...NO_SECRET },
  },
  {
    field: 'User.defaultShippingAddress via _entities',
    target: 'users',
    query: ENTITIES('User', 'defaultShippingAddress { id }'),
    variables: (f) => ({ r: [{ __typename: 'User', id: f.owner.id }] }),
    pick: (d) => first(d)?.defaultShippingAddress?.id,
    owner: (f) => f.addressId,
    expect: { ...HIDDEN, ...NO_SECRET },
  },
  {
    field: 'Query.cart (orders subgraph)',
    target: 'orders',
    query: 'query($id: ID) { cart(id: $id) { id } }',
    variables: (f) => ({ id: f.cartId }),
    pick: (d) => d.cart?.id,
    owner: (f) => f.cartId,
    expect: { ...CART_OWNER, ...NO_SECRET },
  },
  {
    field: 'Order.shippingAddress via _entities',
    target: 'orders',
    query: ENTITIES('Order', 'shippingAddress { line1 }'),
    variables: (f) => ({ r: [{ __typename: 'Order', id: f.checkoutOrderId }] }),
    pick: (d) => first(d)?.shippingAddress?.line1,
    owner: () => LINE1,
    expect: { ...HIDDEN, ...NO_SECRET },
  },
  {
    field: 'User.email, User.phone via _entities',
    target: 'users',
    query: ENTITIES('User', 'id email phone'),
    variables: (f) => ({ r: [{ __typename: 'User', id: f.owner.id }] }),
    pick: (d) => {
      const user = first(d);
      return user && (user.email !== null || user.phone !== null)
        ? { email: user.email, phone: user.phone }
        : null;
    },
    owner: (f) => ({ email: f.owner.email, phone: f.owner.phone }),
    expect: { ...HIDDEN, ...NO_SECRET },
  },
  {
    field: 'Query.me (users subgraph)',
    target: 'users',
    query: '{ me { email phone } }',
    variables: () => ({}),
    pick: (d) => d.me,
    owner: (f) => ({ email: f.owner.email, phone: f.owner.phone }),
    self: (a) => ({ email: a.email, phone: null }),
    expect: { anonymous: 'null', 'other customer': 'self', owner: 'data', admin: 'self', ...NO_SECRET },
  },
  {
    field: 'Query.order (orders subgraph)',
    target: 'orders',
    query: 'query($id: ID!) { order(id: $id) { id } }',
    variables: (f) => ({ id: f.orderId }),
    pick: (d) => d.order?.id,
    owner: (f) => f.orderId,
    expect: { ...ORDER_FIELD, ...NO_SECRET },
  },
  {
    field: 'Order via _entities',
    target: 'orders',
    query: ENTITIES('Order', 'id number'),
    variables: (f) => ({ r: [{ __typename: 'Order', id: f.orderId }] }),
    pick: (d) => first(d)?.id,
    owner: (f) => f.orderId,
    expect: { ...HIDDEN, ...NO_SECRET },
  },
  {
    field: 'User.orders via _entities',
    target: 'orders',
    query: ENTITIES('User', 'orders { edges { node { id } } }'),
    variables: (f) => ({ r: [{ __typename: 'User', id: f.owner.id }] }),
    pick: (d) => edgeIds(first(d)?.orders),
    owner: (f) => [f.checkoutOrderId, f.orderId],
    expect: { ...REFUSED, ...NO_SECRET },
  },
  {
    field: 'Order.payment via _entities',
    target: 'payments',
    query: ENTITIES('Order', 'payment { id status }'),
    variables: (f) => ({ r: [{ __typename: 'Order', id: f.orderId }] }),
    pick: (d) => first(d)?.payment?.id,
    owner: (f) => f.paymentId,
    expect: { ...HIDDEN, ...NO_SECRET },
  },
  {
    field: 'Payment via _entities',
    target: 'payments',
    query: ENTITIES('Payment', 'id status card { last4 }'),
    variables: (f) => ({ r: [{ __typename: 'Payment', id: f.paymentId }] }),
    pick: (d) => first(d)?.id,
    owner: (f) => f.paymentId,
    expect: { ...HIDDEN, ...NO_SECRET },
  },
  {
    field: 'User.notifications via _entities',
    target: 'notifications',
    query: ENTITIES('User', 'notifications { edges { node { id } } }'),
    variables: (f) => ({ r: [{ __typename: 'User', id: f.owner.id }] }),
    pick: (d) => edgeIds(first(d)?.notifications)?.sort(),
    owner: (f) => f.notificationIds,
    expect: { ...REFUSED, ...NO_SECRET },
  },
  {
    field: 'Order.notifications via _entities',
    target: 'notifications',
    query: ENTITIES('Order', 'notifications { id }'),
    variables: (f) => ({ r: [{ __typename: 'Order', id: f.orderId }] }),
    pick: (d) => ids(first(d)?.notifications),
    owner: (f) => f.notificationIds,
    expect: { ...REFUSED, ...NO_SECRET },
  },
  {
    field: 'Notification via _entities',
    target: 'notifications',
    query: ENTITIES('Notification', 'id recipient'),
    variables: (f) => ({ r: f.notificationIds.map((id) => ({ __typename: 'Notification', id })) }),
    pick: (d) => ids(d._entities as { id: string }[] | undefined),
    owner: (f) => f.notificationIds,
    expect: { ...REFUSED, ...NO_SECRET },
  },
];
