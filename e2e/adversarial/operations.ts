/**
 * The raw GraphQL the attack suite sends through the gateway, one operation per name. Results select
 * `__typename` and what the model judges; every union member the model tells apart is named.
 */

const CART = `id customer { id } quantity discountCode subtotal { amount } discount { amount }
  lines { product { id } quantity }`;

const CART_RESULT = `__typename ... on Cart { ${CART} } ... on CartNotFoundError { cartId }
  ... on CartLineLimitError { maxLines maxQuantity } ... on UnknownProductError { productId }
  ... on InvalidInputError { field } ... on Error { message }`;

const ORDER = `id number status subtotal { amount } shipping { amount } discount { amount }
  total { amount currency } vat { amount } vatRateBasisPoints discountCode
  shippingAddress { name company line1 line2 postalCode city region country phone }
  shippingMethod { id name } items { product { id } quantity unitPrice { amount } lineTotal { amount } }
  statusHistory { status at }`;

const HISTORY = `id status statusHistory { status at } fulfilment { carrier trackingNumber trackingUrl }`;

export const OPS = {
  register: `mutation Register($input: RegisterInput!) { register(input: $input) { __typename
    ... on AuthPayload { token user { id } } ... on Error { message } } }`,
  login: `mutation Login($input: LoginInput!) { login(input: $input) { __typename
    ... on AuthPayload { token user { id } } ... on Error { message } } }`,
  placeOrder: `mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { __typename
    ... on Order { id number status total { amount } items { quantity product { id } } }
    ... on InsufficientStockError { productId requested available } ... on Error { message } } }`,
  payOrder: `mutation Pay($input: PayOrderInput!) { payOrder(input: $input) { __typename
    ... on PaymentSucceeded { payment { id status amount { amount } order { id status } } }
    ... on CardDeclinedError { reason payment { id status } }
    ... on OrderNotPayableError { status } ... on Error { message } } }`,
  cancelOrder: `mutation Cancel($id: ID!) { cancelOrder(id: $id) { __typename
    ... on Order { id status } ... on OrderNotCancellableError { status } ... on Error { message } } }`,
  refundOrder: `mutation Refund($id: ID!) { refundOrder(id: $id) { __typename
    ... on Order { id status } ... on OrderNotRefundableError { status } ... on Error { message } } }`,
  adjustStock: `mutation Adjust($id: ID!, $delta: Int!) { adjustStock(id: $id, delta: $delta) { __typename
    ... on Product { id stock } ... on Error { message } } }`,
  createProduct: `mutation Create($input: CreateProductInput!) { createProduct(input: $input) { __typename
    ... on Product { id stock price { amount } } ... on Error { message } } }`,
  product: `query Product($id: ID!) { product(id: $id) { id stock } }`,
  order: `query Order($id: ID!) { order(id: $id) { id status payment { id status } } }`,
  catalogue: `query Catalogue { products(first: 100) { edges { node { id stock price { amount } variants { id } } } } }`,
  myOrders: `query MyOrders { me { id orders(first: 100) { edges { node {
    id number status total { amount } payment { id status } statusHistory { status at } } } } } }`,
  adminOrders: `query AdminOrders($filter: OrderFilter) { orders(first: 100, filter: $filter) {
    edges { node { id status user { id } } } } }`,

  // Carts, discount codes, checkout, addresses, shipping, fulfilment (issue 17).
  cart: `query Cart($id: ID) { cart(id: $id) { ${CART} } }`,
  addToCart: `mutation Add($input: AddToCartInput!) { addToCart(input: $input) { ${CART_RESULT} } }`,
  updateCartLine: `mutation Update($input: UpdateCartLineInput!) { updateCartLine(input: $input) { ${CART_RESULT} } }`,
  removeCartLine: `mutation Remove($input: RemoveCartLineInput!) { removeCartLine(input: $input) { ${CART_RESULT} } }`,
  clearCart: `mutation Clear($id: ID!) { clearCart(cartId: $id) { ${CART_RESULT} } }`,
  mergeCart: `mutation Merge($id: ID!) { mergeCart(cartId: $id) { ${CART_RESULT} } }`,
  applyDiscountCode: `mutation Apply($input: ApplyDiscountCodeInput!) { applyDiscountCode(input: $input) {
    __typename ... on Cart { ${CART} } ... on CartNotFoundError { cartId } ... on InvalidInputError { field }
    ... on Error { message } } }`,
  removeDiscountCode: `mutation Unapply($id: ID!) { removeDiscountCode(cartId: $id) { ${CART_RESULT} } }`,
  createDiscountCode: `mutation Code($input: CreateDiscountCodeInput!) { createDiscountCode(input: $input) {
    __typename ... on DiscountCode { code timesUsed usageLimit usageLimitPerCustomer }
    ... on InvalidInputError { field } ... on Error { message } } }`,
  discountCodes: `query Codes { discountCodes(first: 100) { edges { node { code timesUsed usageLimit } } } }`,
  shippingMethods: `query Methods { at: shippingMethods(country: "AT") { ...M } de: shippingMethods(country: "DE") { ...M }
    fr: shippingMethods(country: "FR") { ...M } gb: shippingMethods(country: "GB") { ...M }
    nl: shippingMethods(country: "NL") { ...M } us: shippingMethods(country: "US") { ...M }
    lower: shippingMethods(country: "de") { ...M } none: shippingMethods(country: "CH") { ...M } }
    fragment M on ShippingMethod { id price { amount currency } freeAbove { amount } countries }`,
  createAddress: `mutation AddAddress($input: AddressInput!) { createAddress(input: $input) { __typename
    ... on Address { id country postalCode } ... on InvalidInputError { field } ... on Error { message } } }`,
  deleteAddress: `mutation DropAddress($id: ID!) { deleteAddress(id: $id) { __typename
    ... on DeleteAddressSuccess { deletedId } ... on Error { message } } }`,
  checkout: `mutation Checkout($input: CheckoutInput!) { checkout(input: $input) { __typename
    ... on Order { ${ORDER} } ... on InvalidInputError { field }
    ... on InsufficientStockError { productId requested available } ... on UnknownProductError { productId }
    ... on AddressNotFoundError { addressId } ... on ShippingMethodNotFoundError { shippingMethodId country }
    ... on IdempotencyKeyReusedError { orderId } ... on CartNotFoundError { cartId }
    ... on Error { message } } }`,
  fulfillOrder: `mutation Fulfil($input: FulfillOrderInput!) { fulfillOrder(input: $input) { __typename
    ... on Order { ${HISTORY} } ... on OrderStatusError { status } ... on InvalidInputError { field }
    ... on Error { message } } }`,
  markOrderDelivered: `mutation Delivered($id: ID!) { markOrderDelivered(id: $id) { __typename
    ... on Order { ${HISTORY} } ... on OrderStatusError { status } ... on Error { message } } }`,
} as const;
export type Op = keyof typeof OPS;

/** A cart as the operations above select it. */
export interface CartA {
  __typename?: string;
  id: string;
  customer: { id: string } | null;
  quantity: number;
  discountCode: string | null;
  subtotal: { amount: number };
  discount: { amount: number };
  lines: { product: { id: string }; quantity: number }[];
}

/** An order as checkout answers it. */
export interface OrderA {
  __typename?: string;
  id: string;
  number: string;
  status: string;
  subtotal: { amount: number };
  shipping: { amount: number };
  discount: { amount: number };
  total: { amount: number; currency: string };
  vat: { amount: number };
  vatRateBasisPoints: number;
  discountCode: string | null;
  shippingAddress: Record<string, string | null> | null;
  shippingMethod: { id: string; name: string } | null;
  items: {
    product: { id: string };
    quantity: number;
    unitPrice: { amount: number };
    lineTotal: { amount: number };
  }[];
  statusHistory: { status: string; at: string }[];
}
