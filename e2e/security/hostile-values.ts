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
    // A token of the shape the PSP issues (no such token exists): the order is not found first.
    const paymentMethodToken = `tok_${randomUUID().replace(/-/g, '')}`;

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
      { i: { orderId: value, idempotencyKey: randomUUID(), paymentMethodToken } },
      { typed: ['PaymentOrderNotFoundError', 'InvalidInputError'], field: 'payOrder' },
      true,
    );
    add(
      'payOrder idempotencyKey',
      'main',
      pay,
      { i: { orderId: randomUUID(), idempotencyKey: value, paymentMethodToken } },
      { typed: ['PaymentOrderNotFoundError', 'InvalidInputError'], field: 'payOrder' },
      true,
    );
    add(
      'payOrder paymentMethodToken',
      'main',
      pay,
      { i: { orderId: randomUUID(), idempotencyKey: randomUUID(), paymentMethodToken: value } },
      {
        typed: ['PaymentOrderNotFoundError', 'PaymentMethodInvalidError', 'InvalidInputError'],
        field: 'payOrder',
      },
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

/** The tokens a hostile token case is built from (tokens.test.ts makes them at the PSP). */
export interface RealTokens {
  /** A live token of the attacker's own, never used: only this exact string may charge. */
  fresh: string;
  /** The attacker's own token, already consumed by a charge. */
  used: string;
  /** Another customer's token, consumed by their own order. */
  othersUsed: string;
  /** A card number of the suite, typed into the token field as a careless client would. */
  cardNumber: string;
}

/** Hostile values for payOrder's paymentMethodToken: forms of real tokens, and strings that are none. */
export function hostileTokens(real: RealTokens): [string, string][] {
  const [prefix, rest] = [real.fresh.slice(0, 4), real.fresh.slice(4)];
  const swapped = [...real.fresh]
    .map((ch, i) => (i % 2 ? ch.toUpperCase() : ch.toLowerCase()))
    .join('')
    .replace(/^tok_/i, 'tok_');
  return [
    ['the live token in upper case', real.fresh.toUpperCase()],
    ['the live token with an upper-case prefix', prefix.toUpperCase() + rest],
    ['the live token in mixed case', swapped === real.fresh ? real.fresh.toUpperCase() : swapped],
    ['the live token with a trailing space', `${real.fresh} `],
    ['the live token with a leading tab', `\t${real.fresh}`],
    ['the live token with a NUL byte appended', `${real.fresh}\u0000`],
    ['the live token with a zero-width space inside', `${prefix}\u200B${rest}`],
    ['the live token twice', real.fresh + real.fresh],
    ['a prefix of the live token', real.fresh.slice(0, -1)],
    ['a token already used', real.used],
    ["another customer's used token", real.othersUsed],
    ['an empty string', ''],
    ['only spaces', '   '],
    ['control characters', 'tok_\u0000\u0007\u001b[31m\r\n'],
    ['a huge string (10,000 characters)', `tok_${'A'.repeat(9_996)}`],
    ['a card number typed into the token field', real.cardNumber],
    ['a card number with spaces', real.cardNumber.replace(/(\d{4})(?=\d)/g, '$1 ')],
    ['a PaymentMethod id of another provider', 'pm_card_visa'],
    ...HOSTILE_STRINGS,
  ];
}
