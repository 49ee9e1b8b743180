/** The generators of every step, weighted: mostly ordering and paying, now and then the rest. */
import fc from 'fast-check';
import { ID_FORMS, type IdForm, type Model } from '../model';
import type { CardKind, World } from '../world';
import { Login, LoginBurst, REGISTER_KINDS, Register } from './accounts';
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
);
