/**
 * Hostile values for hostile.test.ts: strings that look like injections or break naive text
 * handling, and a NoSQL operator object, in every field that takes user text.
 */
import { randomUUID } from 'node:crypto';
import {
  BAD_INPUT,
  NOBODY,
  gqlBody,
  victim,
  type Case,
  type Expectation,
  type Endpoint,
} from './hostile-requests';

/** Strings that look like injections or that break naive text handling. */
const HOSTILE_STRINGS: [string, string][] = [
  ['SQL tautology', "' OR 1=1 --"],
  ['SQL stacked query', "x'); DROP TABLE users; --"],
  ['shell substitution', '$(rm -rf /)'],
  ['shell backticks and pipes', '`id` | cat /etc/passwd; echo'],
  ['regex wildcard', '.*'],
  ['catastrophic regex', '(a+)+$'],
  ['RTL override', '\u202Eevil\u202C@example.com'],
  ['NUL byte', 'a\u0000b@example.com'],
  ['lone surrogate', 'x\uD800y'],
  ['4-byte emoji', '😀😀'],
];
/** A word in no product of any catalogue the suites make. */
const NO_SUCH_WORD = 'xqzvkwj';
/** A value of the wrong JSON type: what a NoSQL injection sends where a string is expected. */
const OPERATOR_OBJECT = { $gt: '' };

/** Each hostile value in every field that takes user text, on the operations that use it. */
export function valueCases(): Case[] {
  const values: [string, unknown][] = [...HOSTILE_STRINGS, ['{"$gt": ""}', OPERATOR_OBJECT]];
  const cases: Case[] = [];
  for (const [label, value] of values) {
    const isString = typeof value === 'string';
    const coerce = (expect: Expectation): Expectation => (isString ? expect : BAD_INPUT);
    const add = (
      name: string,
      endpoint: Endpoint,
      query: string,
      variables: Record<string, unknown>,
      expect: Expectation,
      signedIn = false,
    ) =>
      cases.push({
        name: `${endpoint === 'main' ? '/graphql' : '/public/graphql'}: ${label} as ${name}`,
        endpoint,
        request: { body: gqlBody(query, variables) },
        expect: coerce(expect),
        signedIn,
      });
    const register = 'mutation($i: RegisterInput!) { register(input: $i) { __typename } }';
    const login = 'mutation($i: LoginInput!) { login(input: $i) { __typename } }';
    const search =
      'query($s: String) { products(first: 5, filter: { search: $s }) { edges { node { id name } } } }';
    const product = 'query($id: ID!) { product(id: $id) { id } }';
    const place = 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { __typename } }';
    const pay = 'mutation($i: PayOrderInput!) { payOrder(input: $i) { __typename } }';
    const card = {
      number: '4242424242424242',
      expMonth: 12,
      expYear: new Date().getFullYear() + 2,
      cvc: '123',
      holderName: 'Eve',
    };

    add(
      'register email',
      'main',
      register,
      { i: { email: value, password: 'correct-horse-battery', name: 'Eve' } },
      { typed: ['InvalidInputError'], field: 'register' },
    );
    add(
      'login email',
      'main',
      login,
      { i: { email: value, password: victim.password } },
      { typed: ['InvalidInputError', 'InvalidCredentialsError'], field: 'login' },
    );
    add(
      'login password',
      'main',
      login,
      { i: { email: NOBODY, password: value } },
      { typed: ['InvalidInputError', 'InvalidCredentialsError', 'TooManyAttemptsError'], field: 'login' },
    );
    // Every word of a search must match (docs/catalogue.md), so the value with a word no product has
    // finds nothing, unless the value breaks out of the search ("' OR 1=1 --" alone would rightly
    // find products with a "1" in them).
    const searched = { s: typeof value === 'string' ? `${value} ${NO_SUCH_WORD}` : value };
    add('product search', 'main', search, searched, { noMatch: true });
    add('product search', 'public', search, searched, { noMatch: true });
    add('product id', 'main', product, { id: value }, { nullField: 'product' });
    add('product id', 'public', product, { id: value }, { nullField: 'product' });
    add(
      'order id',
      'main',
      'query($id: ID!) { order(id: $id) { id } }',
      { id: value },
      { nullField: 'order' },
      true,
    );
    add(
      'placeOrder productId',
      'main',
      place,
      { i: { idempotencyKey: randomUUID(), items: [{ productId: value, quantity: 1 }] } },
      { typed: ['UnknownProductError', 'InvalidInputError'], field: 'placeOrder' },
      true,
    );
    add(
      'placeOrder idempotencyKey',
      'main',
      place,
      { i: { idempotencyKey: value, items: [{ productId: '000000000000000000000000', quantity: 1 }] } },
      { typed: ['InvalidInputError'], field: 'placeOrder' },
      true,
    );
    add(
      'payOrder orderId',
      'main',
      pay,
      { i: { orderId: value, idempotencyKey: randomUUID(), card } },
      { typed: ['PaymentOrderNotFoundError', 'InvalidInputError'], field: 'payOrder' },
      true,
    );
    add(
      'payOrder idempotencyKey',
      'main',
      pay,
      { i: { orderId: randomUUID(), idempotencyKey: value, card } },
      { typed: ['PaymentOrderNotFoundError', 'InvalidInputError'], field: 'payOrder' },
      true,
    );
    add(
      'cancelOrder id',
      'main',
      'mutation($id: ID!) { cancelOrder(id: $id) { __typename } }',
      { id: value },
      { typed: ['OrderNotFoundError'], field: 'cancelOrder' },
      true,
    );
    const addToCart = 'mutation($i: AddToCartInput!) { addToCart(input: $i) { __typename } }';
    const checkout = 'mutation($i: CheckoutInput!) { checkout(input: $i) { __typename } }';
    const address = { name: 'Eve', line1: 'Street 1', postalCode: '10115', city: 'Berlin', country: 'DE' };
    const noCart = 'A'.repeat(22);
    const checkoutInput = (extra: Record<string, unknown>) => ({
      i: {
        cartId: noCart,
        shippingAddress: address,
        shippingMethodId: 'standard-eu',
        idempotencyKey: randomUUID(),
        ...extra,
      },
    });
    add(
      'cart id',
      'main',
      'query($id: ID) { cart(id: $id) { id } }',
      { id: value },
      { nullField: 'cart' },
      true,
    );
    add(
      'addToCart cartId',
      'main',
      addToCart,
      { i: { cartId: value, productId: '000000000000000000000000', quantity: 1 } },
      { typed: ['CartNotFoundError'], field: 'addToCart' },
      true,
    );
    add(
      'addToCart productId',
      'main',
      addToCart,
      { i: { productId: value, quantity: 1 } },
      { typed: ['UnknownProductError'], field: 'addToCart' },
      true,
    );
    add(
      'mergeCart cartId',
      'main',
      'mutation($id: ID!) { mergeCart(cartId: $id) { __typename } }',
      { id: value },
      { typed: ['CartNotFoundError'], field: 'mergeCart' },
      true,
    );
    add(
      'applyDiscountCode code',
      'main',
      'mutation($i: ApplyDiscountCodeInput!) { applyDiscountCode(input: $i) { __typename } }',
      { i: { cartId: noCart, code: value } },
      {
        typed: ['CartNotFoundError', 'InvalidInputError', 'DiscountCodeNotFoundError'],
        field: 'applyDiscountCode',
      },
      true,
    );
    add(
      'checkout cartId',
      'main',
      checkout,
      checkoutInput({ cartId: value }),
      { typed: ['CartNotFoundError', 'InvalidInputError'], field: 'checkout' },
      true,
    );
    for (const field of ['name', 'line1', 'postalCode', 'city', 'country'])
      add(
        `checkout shippingAddress.${field}`,
        'main',
        checkout,
        checkoutInput({ shippingAddress: { ...address, [field]: value } }),
        { typed: ['CartNotFoundError', 'InvalidInputError'], field: 'checkout' },
        true,
      );
    add(
      'checkout addressId',
      'main',
      checkout,
      checkoutInput({ shippingAddress: undefined, addressId: value }),
      { typed: ['CartNotFoundError', 'AddressNotFoundError', 'InvalidInputError'], field: 'checkout' },
      true,
    );
    add(
      'checkout discountCode',
      'main',
      checkout,
      checkoutInput({ discountCode: value }),
      { typed: ['CartNotFoundError', 'InvalidInputError', 'DiscountCodeNotFoundError'], field: 'checkout' },
      true,
    );
    add(
      'checkout shippingMethodId',
      'main',
      checkout,
      checkoutInput({ shippingMethodId: value }),
      { typed: ['CartNotFoundError', 'InvalidInputError', 'ShippingMethodNotFoundError'], field: 'checkout' },
      true,
    );
  }
  return cases;
}
