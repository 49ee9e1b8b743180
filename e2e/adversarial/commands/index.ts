/**
 * The generators of every step, weighted: mostly ordering, carts, checkout and paying, now and then
 * the rest.
 */
import fc from 'fast-check';
import { ID_FORMS, type IdForm, type Model } from '../model';
import { CODE_SPELLINGS, type CartKind, type CodeSpelling } from '../model.carts';
import type { CardKind, World } from '../world';
import { Login, LoginBurst, REGISTER_KINDS, Register } from './accounts';
import { AddressBook, BOOK_KINDS } from './addresses';
import { AddToCart, ClearCart, MergeCart, ReadCart, RemoveCartLine, UpdateCartLine } from './carts';
import { CartBurst, FillCart, MergeBurst } from './carts.bursts';
import { CART_QUANTITIES } from './carts.shared';
import { Checkout, CHECKOUT_KEYS } from './checkout';
import { CheckoutBurst } from './checkout.bursts';
import { ADDRESS_KINDS, METHOD_KINDS } from './checkout.shared';
import { ApplyCode, CODE_RULES, CreateCode, RemoveCode } from './discounts';
import { CARRIER_KINDS, Fulfil, MarkDelivered, TRACKING_KINDS } from './fulfilment';
import { CancelOrder, Expire, PLACE_KEYS, PlaceBurst, PlaceOrder, QUANTITIES } from './orders';
import { PAY_KEYS, PayAndCancel, PayBurst, PayOrder } from './payments';
import { RefundOrder } from './refunds';
import { AdjustStock, DELTAS, ReadBack } from './stock';

const user = fc.nat({ max: 7 });
const pick = fc.nat({ max: 15 });
/** Who acts on an order: mostly its owner, now and then someone else. */
const shift = fc.oneof(
  { weight: 4, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) },
);
const mostly = <T>(usual: fc.Arbitrary<T>, rare: fc.Arbitrary<T>, weight = 3) =>
  fc.oneof({ weight, arbitrary: usual }, { weight: 1, arbitrary: rare });
const form: fc.Arbitrary<IdForm> = mostly(fc.constant('canonical'), fc.constantFrom(...ID_FORMS));
const card: fc.Arbitrary<CardKind> = mostly(fc.constant('ok'), fc.constantFrom('declined', 'down'));
const quantity = mostly(fc.constantFrom('one' as const, 'two' as const), fc.constantFrom(...QUANTITIES));
const line = fc.record({ product: fc.nat({ max: 5 }), form, quantity });

// Carts and checkout: mostly a customer's own cart and plain values, now and then the rest.
const anon = mostly(fc.constant(false), fc.constant(true), 5);
const cartKind: fc.Arbitrary<CartKind> = fc.oneof(
  { weight: 4, arbitrary: fc.constant('mine' as const) },
  { weight: 3, arbitrary: fc.constant('anon' as const) },
  { weight: 1, arbitrary: fc.constant('other' as const) },
);
const addTarget = fc.oneof(fc.constant('omit' as const), cartKind);
const cartQuantity = mostly(
  fc.constantFrom('one' as const, 'two' as const),
  fc.constantFrom(...CART_QUANTITIES),
  2,
);
const product = fc.nat({ max: 9 });
const spelling: fc.Arbitrary<CodeSpelling> = mostly(
  fc.constantFrom('exact' as const, 'lower' as const, 'padded' as const),
  fc.constantFrom(...CODE_SPELLINGS),
);
const address = mostly(
  fc.constantFrom('de' as const, 'nl' as const, 'gb' as const, 'us' as const, 'book' as const),
  fc.constantFrom(...ADDRESS_KINDS),
  2,
);
const method = mostly(
  fc.constantFrom('cheapest' as const, 'dearest' as const),
  fc.constantFrom(...METHOD_KINDS),
);
const checkoutKey = mostly(fc.constant('fresh' as const), fc.constantFrom(...CHECKOUT_KEYS), 2);
const codeRule = mostly(
  fc.constantFrom(
    'once' as const,
    'twice' as const,
    'oncePerCustomer' as const,
    'half' as const,
    'free' as const,
    'fixed' as const,
    'minimum' as const,
  ),
  fc.constantFrom(...CODE_RULES),
);

const cartSteps: fc.WeightedArbitrary<fc.AsyncCommand<Model, World>>[] = [
  {
    weight: 5,
    arbitrary: fc
      .tuple(user, anon, addTarget, pick, form, product, form, cartQuantity)
      .map((a) => new AddToCart(...a)),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(user, anon, cartKind, pick, form, product, form, cartQuantity)
      .map((a) => new UpdateCartLine(...a)),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(user, anon, cartKind, pick, form, product, form).map((a) => new RemoveCartLine(...a)),
  },
  { weight: 1, arbitrary: fc.tuple(user, anon, cartKind, pick, form).map((a) => new ClearCart(...a)) },
  { weight: 1, arbitrary: fc.tuple(user, anon, addTarget, pick, form).map((a) => new ReadCart(...a)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        user,
        mostly(fc.constant(false), fc.constant(true), 7),
        mostly(fc.constant('anon' as const), cartKind),
        pick,
        form,
      )
      .map((a) => new MergeCart(...a)),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        user,
        anon,
        product,
        fc.integer({ min: 2, max: 6 }),
        fc.constantFrom(
          'sameAdd' as const,
          'firstAdds' as const,
          'conflicting' as const,
          'twoSessions' as const,
        ),
      )
      .map((a) => new CartBurst(...a)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(user, product, fc.integer({ min: 2, max: 4 }), fc.boolean())
      .map((a) => new MergeBurst(...a)),
  },
  { weight: 1, arbitrary: fc.tuple(user, fc.boolean()).map((a) => new FillCart(...a)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(codeRule, mostly(fc.constant(false), fc.constant(true), 6), user)
      .map((a) => new CreateCode(...a)),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(user, anon, cartKind, pick, form, pick, spelling).map((a) => new ApplyCode(...a)),
  },
  { weight: 1, arbitrary: fc.tuple(user, anon, cartKind, pick, form).map((a) => new RemoveCode(...a)) },
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        user,
        mostly(fc.constant(false), fc.constant(true), 9),
        mostly(fc.constant('mine' as const), cartKind),
        pick,
        form,
        mostly(fc.constant(true), fc.constant(false)),
        address,
        method,
        fc.constantFrom('cart' as const, 'given' as const),
        pick,
        spelling,
        checkoutKey,
        pick,
        fc.boolean(),
      )
      .map((a) => new Checkout(...a)),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        user,
        product,
        fc.integer({ min: 2, max: 5 }),
        fc.constantFrom(
          'sameKey' as const,
          'twoSessions' as const,
          'raceEdit' as const,
          'lastUse' as const,
          'perCustomer' as const,
          'mergeRace' as const,
          'threshold' as const,
        ),
      )
      .map((a) => new CheckoutBurst(...a)),
  },
  { weight: 1, arbitrary: fc.tuple(user, fc.constantFrom(...BOOK_KINDS)).map((a) => new AddressBook(...a)) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        mostly(fc.constant('admin' as const), fc.constantFrom('owner' as const, 'other' as const), 5),
        pick,
        fc.array(form, { minLength: 1, maxLength: 3 }),
        mostly(fc.constantFrom('DHL' as const, 'UPS' as const), fc.constantFrom(...CARRIER_KINDS)),
        mostly(fc.constant('same' as const), fc.constantFrom(...TRACKING_KINDS)),
        fc.oneof(
          { weight: 2, arbitrary: fc.constant('deliver' as const) },
          {
            weight: 1,
            arbitrary: fc.constantFrom('nothing' as const, 'refund' as const, 'raceRefund' as const),
          },
        ),
      )
      .map((a) => new Fulfil(...a)),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(mostly(fc.constant(true), fc.constant(false), 5), pick, form)
      .map((a) => new MarkDelivered(...a)),
  },
];

export const steps: fc.Arbitrary<fc.AsyncCommand<Model, World>> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom(...REGISTER_KINDS), pick).map(([k, of]) => new Register(k, of)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(user, fc.boolean(), mostly(fc.constant(false), fc.constant(true)))
      .map(([u, right, admin]) => new Login(u, right, admin)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(user, fc.integer({ min: 6, max: 12 }), fc.boolean())
      .map(([u, n, admin]) => new LoginBurst(u, n, admin)),
  },
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        user,
        fc.array(line, { minLength: 1, maxLength: 3 }),
        mostly(fc.constant('fresh' as const), fc.constantFrom(...PLACE_KEYS), 2),
        pick,
      )
      .map(([u, lines, key, keyPick]) => new PlaceOrder(u, lines, key, keyPick)),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        user,
        fc.nat({ max: 5 }),
        fc.integer({ min: 2, max: 8 }),
        fc.constantFrom('sameKey' as const, 'variants' as const, 'manyKeys' as const),
      )
      .map(([u, p, n, mode]) => new PlaceBurst(u, p, n, mode)),
  },
  { weight: 2, arbitrary: fc.tuple(shift, pick, form).map(([u, o, f]) => new CancelOrder(u, o, f)) },
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        shift,
        pick,
        form,
        card,
        mostly(fc.constant('fresh' as const), fc.constantFrom(...PAY_KEYS), 2),
        pick,
      )
      .map(([u, o, f, c, key, keyPick]) => new PayOrder(u, o, f, c, key, keyPick)),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(shift, pick, fc.array(form, { minLength: 2, maxLength: 4 }), card, fc.boolean())
      .map(([u, o, forms, c, same]) => new PayBurst(u, o, forms, c, same)),
  },
  {
    weight: 3,
    arbitrary: fc.tuple(shift, pick, form, card).map(([u, o, f, c]) => new PayAndCancel(u, o, f, c)),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(pick, fc.array(form, { minLength: 1, maxLength: 3 }))
      .map(([o, forms]) => new RefundOrder(o, forms)),
  },
  { weight: 1, arbitrary: fc.constant(null).map(() => new Expire()) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.nat({ max: 5 }), form, fc.constantFrom(...DELTAS))
      .map(([p, f, d]) => new AdjustStock(p, f, d)),
  },
  { weight: 1, arbitrary: user.map((u) => new ReadBack(u)) },
  ...cartSteps,
);
