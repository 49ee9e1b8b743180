/**
 * checkout, one at a time: any cart a pick names (one's own, an anonymous one, someone else's, in
 * every id form), inline addresses valid in each country's form and hostile ones (postal codes,
 * control and bidi characters, lower-case and unknown countries, a US address without its state,
 * too long, a bad phone), address-book ids (one's own, someone else's, upper-cased, deleted), both or
 * neither, shipping methods that do and do not reach the country, the cart's code or one given in
 * any spelling; keys fresh, sent again with the request they placed an order for (that order,
 * whatever the cart holds by then), reused for another request, another placeOrder's (both
 * IdempotencyKeyReusedError), too long and empty; anonymous requests are UNAUTHENTICATED. Each
 * answer is judged against the model; an order's every part is checked.
 */
import { isIssued, type IdForm, type Model } from '../model';
import {
  codeNamed,
  codeShaped,
  describeCart,
  pickCart,
  sameRequest,
  spell,
  type AddressM,
  type CheckoutKeyM,
  type CartKind,
  type CodeSpelling,
} from '../model.carts';
import type { OrderA } from '../operations';
import { show, type Result, type World } from '../world';
import { Step } from './base';
import { actorFor, ensureCart, productSent, seeCart, sendAdd } from './carts.shared';
import {
  cartRefusals,
  INLINE,
  isInline,
  methodFor,
  recordKey,
  requestOf,
  seeOrder,
  type AddressKind,
  type MethodKind,
  type Plan,
} from './checkout.shared';
import { CreateCode } from './discounts';
import { PayOrder } from './payments';
import { Verdict } from './verdict';

export const CHECKOUT_KEYS = ['fresh', 'replay', 'reuse', 'crossed', 'long129', 'empty'] as const;
export type CheckoutKey = (typeof CHECKOUT_KEYS)[number];

const KEY = /^[A-Za-z0-9_.:-]{1,128}$/;

/** An address of the user's book (the first one that is not deleted), added when there is none. */
export async function bookAddress(
  m: Model,
  w: World,
  user: number,
  fresh = false,
): Promise<AddressM | undefined> {
  const u = m.users[user]!;
  const known = fresh ? undefined : u.addresses.find((a) => !a.deleted);
  if (known) return known;
  const res = await w.mutate('createAddress', { input: INLINE.de.input }, u.auth);
  w.expect(
    !res || res.__typename === 'Address' || res.__typename === 'AddressLimitError',
    `createAddress answered ${res?.__typename}`,
  );
  const id = (res as { id?: string } | null)?.id;
  if (res?.__typename !== 'Address' || !id) return undefined;
  const address = { id, country: 'DE', deleted: false };
  u.addresses.push(address);
  return address;
}

/** Where a checkout ships: the input's part, the country, the snapshot due, and what must be refused. */
export async function addressPart(m: Model, w: World, user: number, kind: AddressKind) {
  if (isInline(kind)) {
    const inline: {
      input: Record<string, string>;
      snapshot?: Record<string, string | null>;
      field?: string;
    } = INLINE[kind];
    return {
      part: { shippingAddress: inline.input },
      country: String(inline.snapshot?.country ?? 'DE'),
      snapshot: inline.snapshot,
      invalid: inline.field as string | true | undefined,
      notFound: false,
    };
  }
  const base = {
    country: 'DE',
    snapshot: INLINE.de.snapshot,
    invalid: undefined as string | true | undefined,
    notFound: false,
  };
  // Both or neither: refused, whichever field it blames.
  if (kind === 'neither') return { ...base, part: {}, invalid: true as const };
  const owner = kind === 'otherBook' ? (user + 1) % m.users.length : user;
  const address = await bookAddress(m, w, owner, kind === 'deletedBook');
  const id = address?.id ?? '6f1c0c55-6a43-4a8e-9a57-1f0c2d9e8b7a';
  if (kind === 'both')
    return { ...base, part: { addressId: id, shippingAddress: INLINE.de.input }, invalid: true as const };
  if (kind === 'deletedBook' && address) {
    const res = await w.mutate('deleteAddress', { id: address.id }, m.users[owner]!.auth);
    w.expect(
      !res || res.__typename === 'DeleteAddressSuccess',
      `deleteAddress of its own address answered ${res?.__typename}`,
    );
    address.deleted = res?.__typename === 'DeleteAddressSuccess';
  }
  const sent = kind === 'bookUpper' ? id.toUpperCase() : id;
  const notFound = !address || kind === 'otherBook' || !isIssued(id, sent) || address.deleted;
  return { ...base, part: { addressId: sent }, notFound };
}

export class Checkout extends Step {
  constructor(
    readonly user: number,
    readonly anon: boolean,
    readonly target: CartKind,
    readonly cartPick: number,
    readonly cartForm: IdForm,
    readonly fill: boolean,
    readonly address: AddressKind,
    readonly method: MethodKind,
    readonly codeMode: 'cart' | 'given',
    readonly codePick: number,
    readonly spelling: CodeSpelling,
    readonly keyMode: CheckoutKey,
    readonly keyPick: number,
    readonly pay: boolean,
  ) {
    super();
  }

  label() {
    const form = this.cartForm === 'canonical' ? '' : ` ${this.cartForm}`;
    const code = this.codeMode === 'cart' ? "cart's code" : `code#${this.codePick} ${this.spelling}`;
    return `checkout(${this.anon ? 'anon' : `#${this.user}`}, ${this.target} cart#${this.cartPick}${form}${this.fill ? ' filled' : ''}, ${this.address}, ${this.method}, ${code}, key ${this.keyMode}#${this.keyPick}${this.pay ? ', then pay' : ''})`;
  }

  async act(m: Model, w: World) {
    const actor = actorFor(m, this.user, this.anon);
    let t = pickCart(m, actor.index, this.target, this.cartPick, this.cartForm);
    if (actor.index === null) {
      this.resolved = `anonymous, ${describeCart(t)}`;
      const input = {
        cartId: t.idSent,
        shippingAddress: INLINE.de.input,
        shippingMethodId: 'standard-eu',
        idempotencyKey: `anon-${m.next++}`,
      };
      await w.call('checkout', { input }, actor.auth, { refusal: 'UNAUTHENTICATED' });
      return;
    }
    const user = actor.index;
    if (this.fill && this.target === 'mine' && !t.cart) {
      await ensureCart(m, w, actor, this.cartPick);
      t = pickCart(m, user, this.target, this.cartPick, this.cartForm);
    } else if (this.fill && t.usable && t.cart!.exact && t.cart!.lines.length === 0) {
      const p = productSent(m, this.cartPick, 'canonical');
      const res = await sendAdd(w, actor, t.cart!.id, p.id, 1);
      new Verdict().judge(w, res?.__typename, 'Cart', 'addToCart (before a checkout)');
      if (res?.__typename === 'Cart')
        seeCart(m, w, t.cart!, res, 'addToCart (before a checkout)', {
          expected: [{ productId: p.id, quantity: 1 }],
        });
    }
    const cart = t.cart;
    const where = await addressPart(m, w, user, this.address);
    const { id: methodId, method } = methodFor(m, this.method, where.country);

    // The code: given in some spelling, or the cart's (unknown when the model does not know the cart).
    let spelled: string | undefined;
    let code = cart?.code ? codeNamed(m, cart.code) : null;
    const codeOpen = this.codeMode === 'cart' && !cart?.exact;
    if (this.codeMode === 'given') {
      if (m.codes.length === 0) await new CreateCode('twice', false, 0).run(m, w);
      spelled = spell(
        m.codes.length === 0 ? 'NOCODE-1' : m.codes[this.codePick % m.codes.length]!.code,
        this.spelling,
      );
      code = codeNamed(m, spelled);
    }

    const mine = m.checkoutKeys.filter((k) => k.user === user);
    const placed = m.placeKeys.filter((k) => k.user === user && k.orderId);
    let key = `checkout-${m.next++}`;
    if (this.keyMode === 'replay' && mine.length > 0) {
      // The same request again: the first order, whatever the cart holds by now.
      const first = mine[this.keyPick % mine.length]!;
      this.resolved = `${actor.name}, the request of ${first.key} again (${show(first.request)})`;
      const res = await w.mutate(
        'checkout',
        { input: { ...first.input, idempotencyKey: first.key } },
        actor.auth,
      );
      if (res) replayed(w, res, first, 'same');
      return;
    }
    const prev = this.keyMode === 'reuse' && mine.length > 0 ? mine[this.keyPick % mine.length] : undefined;
    const crossed =
      this.keyMode === 'crossed' && placed.length > 0 ? placed[this.keyPick % placed.length] : undefined;
    if (prev) key = prev.key;
    else if (crossed) key = crossed.key;
    else if (this.keyMode === 'long129') key = 'k'.repeat(129);
    else if (this.keyMode === 'empty') key = '';

    const input = {
      cartId: t.idSent,
      ...where.part,
      shippingMethodId: methodId,
      ...(spelled === undefined ? {} : { discountCode: spelled }),
      idempotencyKey: key,
    };
    this.resolved = `${actor.name}, ${describeCart(t)}, ${this.address} ${show(where.part)}, ${methodId}, code ${show(spelled ?? cart?.code ?? null)}, key ${key.length > 20 ? `${key.length} chars` : show(key)}`;
    const startedAt = Date.now();
    const res = await w.mutate('checkout', { input }, actor.auth);
    if (!res) {
      if (cart) cart.exact = false;
      if (code) code.uncertain = true;
      return;
    }
    const tn = res.__typename;

    const v = new Verdict();
    if (!KEY.test(key)) v.refuse('InvalidInputError');
    if (where.invalid) v.refuse('InvalidInputError');
    if (spelled !== undefined && !codeShaped(spelled)) v.refuse('InvalidInputError');
    const shapedCode = spelled === undefined || codeShaped(spelled);
    if (tn === 'InvalidInputError' && typeof where.invalid === 'string' && KEY.test(key) && shapedCode) {
      const field = String((res as { field?: string }).field);
      w.expect(field.endsWith(where.invalid), `checkout with a bad ${where.invalid} blamed ${field}`);
    }
    const shapeRefused = v.sure.size > 0;
    if (!shapeRefused && prev)
      return replayed(w, res, prev, sameRequest(prev.request, requestOf(input, where.snapshot)));
    if (!shapeRefused && crossed) {
      w.expect(tn === 'IdempotencyKeyReusedError', `checkout with placeOrder's key answered ${tn}`);
      const first = (res as { orderId?: string }).orderId;
      if (tn === 'IdempotencyKeyReusedError')
        w.expect(first === crossed.orderId, `the key's first order is ${first}, not ${crossed.orderId}`);
      return;
    }
    if (!t.usable || !cart) v.refuse('CartNotFoundError');
    else {
      if (where.notFound) v.refuse('AddressNotFoundError');
      if (!method) v.refuse('ShippingMethodNotFoundError');
      if (codeOpen)
        for (const r of ['NotFound', 'NotActive', 'MinimumNotMet', 'UsedUp', 'AlreadyUsed'])
          v.refuse(`DiscountCode${r}Error`, false);
    }
    const plan: Plan = {
      user,
      cart: cart!,
      lines: cart?.exact ? cart.lines : undefined,
      code: codeOpen ? null : code,
      method,
      country: where.country,
      snapshot: where.snapshot,
    };
    if (t.usable && cart && !shapeRefused) cartRefusals(m, v, codeOpen ? { ...plan, code: null } : plan);
    v.judge(w, tn, 'Order', 'checkout');
    if (tn !== 'Order' || !t.usable || !cart) return;
    const a = res as unknown as OrderA;
    if (m.orders.some((o) => o.id === a.id))
      w.note(`a fresh checkout key answered the existing order ${a.number}`);
    const answeredCode = a.discountCode === null ? null : codeNamed(m, a.discountCode);
    seeOrder(m, w, a, codeOpen ? { ...plan, code: answeredCode } : plan, startedAt, 'checkout');
    recordKey(m, key, user, a.id, input, where.snapshot);
    Object.assign(cart, { lines: [], code: null, exact: true });
    // Paid at once (the newest order is this one): orders that can be shipped.
    if (this.pay) await new PayOrder(0, 0, 'canonical', 'ok', 'fresh', 0).run(m, w);
  }
}

/**
 * A checkout with a key that placed an order: the same request answers that order, any other one
 * is IdempotencyKeyReusedError naming it.
 */
function replayed(w: World, res: Result, first: CheckoutKeyM, due: 'same' | 'different' | 'open') {
  const tn = res.__typename;
  const id = (res as { id?: string; orderId?: string }).id ?? (res as { orderId?: string }).orderId;
  if (tn === 'Order' || tn === 'IdempotencyKeyReusedError')
    w.expect(
      id === first.orderId,
      `checkout with the key ${first.key} answered ${tn} ${id}, not ${first.orderId}`,
    );
  const allowed =
    due === 'same'
      ? ['Order']
      : due === 'different'
        ? ['IdempotencyKeyReusedError']
        : ['Order', 'IdempotencyKeyReusedError'];
  w.expect(
    allowed.includes(tn ?? '') || tn === 'ProductsUnavailableError',
    `checkout with the key ${first.key} (${due === 'same' ? 'the same request' : due === 'different' ? 'another request' : 'the code spelled otherwise'}) answered ${tn}`,
  );
}
