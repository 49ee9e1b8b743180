/**
 * Discount codes: the admin creates codes with small usage limits (1–2, per customer 1), minimums,
 * a start tomorrow, and refused ones (a taken code in lower case, values and limits out of bounds, a
 * code that is not one); a customer trying to is FORBIDDEN. applyDiscountCode in every spelling
 * (case, spaces around, inside, unknown, too short) on any cart a pick names; removeDiscountCode.
 */
import type { IdForm, Model } from '../model';
import {
  codeNamed,
  codeRefusals,
  codeShaped,
  describeCart,
  MAX_ORDER_TOTAL,
  spell,
  subtotalOf,
  type CartKind,
  type CodeM,
  type CodeSpelling,
} from '../model.carts';
import { show, type World } from '../world';
import { Step, userOf } from './base';
import { actorFor, seeCart, targetCart } from './carts.shared';
import { Verdict } from './verdict';

export const CODE_RULES = [
  'once',
  'twice',
  'oncePerCustomer',
  'half',
  'free',
  'fixed',
  'huge',
  'minimum',
  'future',
  'takenLower',
  'badPercent',
  'badLimit',
  'badPerCustomer',
  'badShape',
  'badFixed',
] as const;
export type CodeRule = (typeof CODE_RULES)[number];

type Rules = Omit<CodeM, 'code' | 'uncertain'> & { valid: boolean; field?: string };

const rule = (
  kind: CodeM['kind'],
  value: number,
  limit: number | null,
  more: Partial<Rules> = {},
): Rules => ({
  kind,
  value,
  limit,
  perCustomer: null,
  minimum: null,
  future: false,
  valid: true,
  ...more,
});

const RULES: Record<Exclude<CodeRule, 'takenLower' | 'badShape'>, Rules> = {
  once: rule('PERCENTAGE', 10, 1),
  twice: rule('PERCENTAGE', 10, 2, { perCustomer: 1 }),
  oncePerCustomer: rule('FIXED_AMOUNT', 500, null, { perCustomer: 1 }),
  half: rule('PERCENTAGE', 50, 2),
  free: rule('PERCENTAGE', 100, 1),
  fixed: rule('FIXED_AMOUNT', 500, 2),
  huge: rule('FIXED_AMOUNT', MAX_ORDER_TOTAL, 1),
  minimum: rule('PERCENTAGE', 20, 2, { minimum: 5_000 }),
  future: rule('PERCENTAGE', 10, 1, { future: true }),
  badPercent: rule('PERCENTAGE', 101, 1, { valid: false, field: 'value' }),
  badLimit: rule('PERCENTAGE', 10, 0, { valid: false, field: 'usageLimit' }),
  badPerCustomer: rule('PERCENTAGE', 10, 1, {
    perCustomer: 1001,
    valid: false,
    field: 'usageLimitPerCustomer',
  }),
  badFixed: rule('FIXED_AMOUNT', MAX_ORDER_TOTAL + 1, 1, { valid: false, field: 'value' }),
};

export class CreateCode extends Step {
  constructor(
    readonly rule: CodeRule,
    readonly byCustomer: boolean,
    readonly user: number,
  ) {
    super();
  }

  label() {
    return `createDiscountCode(${this.rule}${this.byCustomer ? `, as #${this.user}` : ''})`;
  }

  async act(m: Model, w: World) {
    const taken = this.rule === 'takenLower' ? m.codes.at(-1) : undefined;
    const r = this.rule === 'takenLower' || this.rule === 'badShape' ? RULES.once : RULES[this.rule];
    const code = taken ? taken.code.toLowerCase() : this.rule === 'badShape' ? 'ad v!' : `ADV-${m.next++}`;
    const input = {
      code,
      kind: r.kind,
      value: r.value,
      ...(r.limit === null ? {} : { usageLimit: r.limit }),
      ...(r.perCustomer === null ? {} : { usageLimitPerCustomer: r.perCustomer }),
      ...(r.minimum === null ? {} : { minimumSubtotal: r.minimum }),
      ...(r.future ? { startsAt: new Date(Date.now() + 86_400_000).toISOString() } : {}),
    };
    this.resolved = `${show(code)} ${r.kind} ${r.value}, limit ${r.limit}, per customer ${r.perCustomer}`;
    if (this.byCustomer) {
      const { user } = userOf(m, this.user);
      await w.call('createDiscountCode', { input }, user.auth, { refusal: 'FORBIDDEN' });
      return;
    }
    const res = await w.mutate('createDiscountCode', { input }, w.adminAuth);
    if (!res) return;
    const t = res.__typename;
    if (taken) w.expect(t === 'DiscountCodeTakenError', `${show(code)} after ${taken.code} answered ${t}`);
    else if (this.rule === 'badShape' || !r.valid) {
      const field = (res as { field?: string }).field;
      w.expect(t === 'InvalidInputError', `createDiscountCode(${this.rule}) answered ${t}`);
      if (r.field && t === 'InvalidInputError')
        w.expect(field === r.field, `createDiscountCode(${this.rule}) blamed ${field}`);
    } else w.expect(t === 'DiscountCode', `createDiscountCode(${this.rule}) answered ${t}`);
    if (t !== 'DiscountCode') return;
    const made = res as { code?: string; timesUsed?: number; usageLimit?: number | null };
    w.expect(made.code === code.toUpperCase(), `createDiscountCode(${show(code)}) made ${show(made.code)}`);
    w.expect(made.timesUsed === 0 && made.usageLimit === r.limit, `a new code reads ${show(made)}`);
    if (taken || !made.code) return;
    const { valid: _valid, field: _field, ...rules } = r;
    m.codes.push({ code: made.code, uncertain: false, ...rules });
  }
}

export class ApplyCode extends Step {
  constructor(
    readonly user: number,
    readonly anon: boolean,
    readonly target: CartKind,
    readonly cartPick: number,
    readonly cartForm: IdForm,
    readonly codePick: number,
    readonly spelling: CodeSpelling,
  ) {
    super();
  }

  label() {
    const form = this.cartForm === 'canonical' ? '' : ` ${this.cartForm}`;
    return `applyDiscountCode(${this.anon ? 'anon' : `#${this.user}`}, ${this.target} cart#${this.cartPick}${form}, code#${this.codePick} ${this.spelling})`;
  }

  async act(m: Model, w: World) {
    const actor = actorFor(m, this.user, this.anon);
    const t = await targetCart(m, w, actor, this.target, this.cartPick, this.cartForm);
    if (m.codes.length === 0) await new CreateCode('twice', false, 0).run(m, w);
    const base = m.codes.length === 0 ? 'NOCODE-1' : m.codes[this.codePick % m.codes.length]!.code;
    const spelled = spell(base, this.spelling);
    this.resolved = `${actor.name}, ${describeCart(t)}, ${show(spelled)}`;
    const res = await w.mutate(
      'applyDiscountCode',
      { input: { cartId: t.idSent, code: spelled } },
      actor.auth,
    );
    if (!res) return;
    const v = new Verdict();
    if (!t.usable) v.refuse('CartNotFoundError');
    const code = codeShaped(spelled) ? codeNamed(m, spelled) : undefined;
    if (!codeShaped(spelled)) v.refuse('InvalidInputError').refuse('DiscountCodeNotFoundError');
    else if (t.usable) {
      const cart = t.cart!;
      const subtotal = cart.exact ? subtotalOf(m, cart.lines) : undefined;
      // A customer's cart counts its customer's uses; whether an anonymous one counts the viewer's is open.
      const customer = cart.owner ?? actor.index;
      v.refuseAll(codeRefusals(m, code, subtotal, customer, cart.owner === null));
    } else if (!code) v.refuse('DiscountCodeNotFoundError');
    v.judge(w, res.__typename, 'Cart', `applyDiscountCode(${show(spelled)})`);
    if (res.__typename !== 'Cart' || !t.usable || !t.cart) return;
    const cart = t.cart;
    seeCart(m, w, cart, res, 'applyDiscountCode', {
      expected: cart.exact ? cart.lines : undefined,
      code: code?.code ?? null,
    });
  }
}

export class RemoveCode extends Step {
  constructor(
    readonly user: number,
    readonly anon: boolean,
    readonly target: CartKind,
    readonly cartPick: number,
    readonly cartForm: IdForm,
  ) {
    super();
  }

  label() {
    const form = this.cartForm === 'canonical' ? '' : ` ${this.cartForm}`;
    return `removeDiscountCode(${this.anon ? 'anon' : `#${this.user}`}, ${this.target} cart#${this.cartPick}${form})`;
  }

  async act(m: Model, w: World) {
    const actor = actorFor(m, this.user, this.anon);
    const t = await targetCart(m, w, actor, this.target, this.cartPick, this.cartForm);
    this.resolved = `${actor.name}, ${describeCart(t)}`;
    const res = await w.mutate('removeDiscountCode', { id: t.idSent }, actor.auth);
    if (!res) return;
    new Verdict()
      .refuseIf(!t.usable, 'CartNotFoundError')
      .judge(w, res.__typename, 'Cart', 'removeDiscountCode');
    if (res.__typename !== 'Cart' || !t.usable || !t.cart) return;
    seeCart(m, w, t.cart, res, 'removeDiscountCode', {
      expected: t.cart.exact ? t.cart.lines : undefined,
      code: null,
    });
  }
}

/** The admin creates a fresh code with these rules; the model's code, or undefined when refused. */
export async function makeCode(m: Model, w: World, rules: Omit<CodeM, 'code' | 'uncertain'>) {
  const code = `ADV-${m.next++}`;
  const input = {
    code,
    kind: rules.kind,
    value: rules.value,
    ...(rules.limit === null ? {} : { usageLimit: rules.limit }),
    ...(rules.perCustomer === null ? {} : { usageLimitPerCustomer: rules.perCustomer }),
    ...(rules.minimum === null ? {} : { minimumSubtotal: rules.minimum }),
  };
  const made = await w.mutate('createDiscountCode', { input }, w.adminAuth);
  w.expect(
    !made || made.__typename === 'DiscountCode',
    `createDiscountCode(${show(input)}) answered ${made?.__typename}`,
  );
  if (made?.__typename !== 'DiscountCode') return undefined;
  const codeM: CodeM = { code, uncertain: false, ...rules };
  m.codes.push(codeM);
  return codeM;
}
