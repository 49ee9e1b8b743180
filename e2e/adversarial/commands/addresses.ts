/**
 * The address book (users): createAddress with every address checkout is sent (the same rules hold
 * for both: a valid one is stored in its country's form, a hostile one refused on the same field),
 * deleteAddress of one's own address, of someone else's and of an upper-cased id.
 */
import { isIssued, type Model } from '../model';
import { show, type World } from '../world';
import { Step, userOf } from './base';
import { INLINE } from './checkout.shared';

export const BOOK_KINDS = [
  ...(Object.keys(INLINE) as (keyof typeof INLINE)[]),
  'deleteOwn',
  'deleteOther',
  'deleteUpper',
] as const;
export type BookKind = (typeof BOOK_KINDS)[number];

export class AddressBook extends Step {
  constructor(
    readonly user: number,
    readonly kind: BookKind,
  ) {
    super();
  }

  label() {
    return `addressBook(#${this.user}, ${this.kind})`;
  }

  async act(m: Model, w: World) {
    const { index, user, name } = userOf(m, this.user);
    if (this.kind in INLINE) {
      const inline: {
        input: Record<string, string>;
        snapshot?: Record<string, string | null>;
        field?: string;
      } = INLINE[this.kind as keyof typeof INLINE];
      this.resolved = `${name}, ${show(inline.input)}`;
      const res = await w.mutate('createAddress', { input: inline.input }, user.auth);
      if (!res) return;
      const t = res.__typename;
      const a = res as { id?: string; country?: string; postalCode?: string; field?: string };
      if (inline.field) {
        w.expect(t === 'InvalidInputError', `createAddress with a bad ${inline.field} answered ${t}`);
        if (t === 'InvalidInputError')
          w.expect(
            String(a.field).endsWith(inline.field),
            `createAddress blamed ${a.field}, not ${inline.field}`,
          );
        return;
      }
      w.expect(
        t === 'Address' || t === 'AddressLimitError',
        `createAddress of a valid address answered ${t}`,
      );
      if (t !== 'Address' || !a.id) return;
      w.expect(
        a.country === inline.snapshot!.country && a.postalCode === inline.snapshot!.postalCode,
        `createAddress stored ${a.country} ${show(a.postalCode)}, expected ${show(inline.snapshot)}`,
      );
      user.addresses.push({ id: a.id, country: a.country!, deleted: false });
      return;
    }
    const owner = this.kind === 'deleteOther' ? m.users[(index + 1) % m.users.length]! : user;
    const address = owner.addresses.find((x) => !x.deleted);
    if (!address) return;
    const id = this.kind === 'deleteUpper' ? address.id.toUpperCase() : address.id;
    this.resolved = `${name}, ${show(id)}${owner === user ? '' : ' (not theirs)'}`;
    const res = await w.mutate('deleteAddress', { id }, user.auth);
    if (!res) return;
    const theirs = owner === user && isIssued(address.id, id);
    w.expect(
      res.__typename === (theirs ? 'DeleteAddressSuccess' : 'AddressNotFoundError'),
      `deleteAddress of ${theirs ? 'an own' : "someone else's or a variant"} address answered ${res.__typename}`,
    );
    if (theirs && res.__typename === 'DeleteAddressSuccess') address.deleted = true;
  }
}
