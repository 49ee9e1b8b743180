import { canAccess, requireViewer, type Viewer } from '@shop/auth';
import { COUNTRIES, validateAddress, type AddressInput, type ValidAddress } from '@shop/config';
import { forbidden, unauthenticated } from '@shop/errors';
import { decodeCursor, encodeCursor, pageSize, toConnection, type Connection } from '@shop/graphql';
import { isAddressId, isUserId, type AddressReply, type PostalAddress } from '@shop/messaging';
import type { AddressModel, CountryModel } from './models';
import type { UsersServiceDeps } from './users.service';
import { invalidInput, type InvalidInput } from './validation';

/**
 * The address book's rules (UsersService delegates here): validation per country, the limit, the
 * default address, and ownership. The viewer comes first; a customer reaches only their own
 * addresses, an administrator may read anyone's but changes only their own. Another user's address
 * answers exactly like an id that names nothing (AddressNotFoundError, NOT_FOUND), and an id in
 * another form than the issued lower-case UUID names nothing and is never looked up.
 */

/** Most addresses one user may keep. */
export const ADDRESS_LIMIT = 20;

export type AddressResult = AddressModel & { __typename: 'Address' };
export interface AddressNotFound {
  __typename: 'AddressNotFoundError';
  message: string;
  addressId: string;
}
export interface AddressLimitReached {
  __typename: 'AddressLimitError';
  message: string;
  limit: number;
}
export interface AddressDeleted {
  __typename: 'DeleteAddressSuccess';
  deletedId: string;
}

export type CreateAddressOutcome = AddressResult | InvalidInput | AddressLimitReached;
export type UpdateAddressOutcome = AddressResult | AddressNotFound | InvalidInput;
export type DeleteAddressOutcome = AddressDeleted | AddressNotFound;
export type SetDefaultOutcome = AddressResult | AddressNotFound;

const asResult = (address: AddressModel): AddressResult => ({ ...address, __typename: 'Address' });

const notFound = (addressId: string): AddressNotFound => ({
  __typename: 'AddressNotFoundError',
  message: 'No address with this id in your address book',
  addressId,
});

/** The signed-in viewer's own user id; a token naming no issued user id is no account. */
function ownerOf(viewer: Viewer | null): string {
  const { id } = requireViewer(viewer);
  if (!isUserId(id)) throw unauthenticated('The account of this token no longer exists');
  return id;
}

function validate(input: AddressInput): ValidAddress | InvalidInput {
  const check = validateAddress(input);
  return check.ok ? check.address : invalidInput(check.field, check.message);
}

const isCursor = (value: unknown): value is [number] =>
  Array.isArray(value) && value.length === 1 && Number.isSafeInteger(value[0]) && (value[0] as number) > 0;

/** User.addresses: the owner or an administrator; anonymous UNAUTHENTICATED, anyone else FORBIDDEN. */
export async function listAddresses(
  deps: UsersServiceDeps,
  viewer: Viewer | null,
  userId: string,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<Connection<AddressModel>> {
  if (!canAccess(requireViewer(viewer), userId))
    throw forbidden("Only the user themself or an admin may read a user's addresses");
  const limit = pageSize(first);
  const beforeSeq = after ? decodeCursor(after, isCursor)[0] : null;
  // An admin asking for a user id in another form: no such user, no addresses, no query.
  if (!isUserId(userId)) return toConnection<AddressModel>([], limit, () => '', beforeSeq !== null);
  const rows = await deps.addresses.listForUser(userId, limit + 1, beforeSeq);
  return toConnection(rows, limit, (a) => encodeCursor([a.seq]), beforeSeq !== null);
}

/**
 * User.defaultShippingAddress for a batch of users (one query), aligned with userIds: null where
 * there is none, or where the viewer is neither that user nor an administrator (like email).
 */
export async function defaultShippingAddresses(
  deps: UsersServiceDeps,
  viewer: Viewer | null,
  userIds: readonly string[],
): Promise<(AddressModel | null)[]> {
  const allowed = userIds.map((id) => (canAccess(viewer, id) && isUserId(id) ? id : null));
  const wanted = allowed.filter((id): id is string => id !== null);
  if (wanted.length === 0) return userIds.map(() => null);
  const found = await deps.addresses.defaultsForUsers(wanted);
  const byUser = new Map(wanted.map((id, i) => [id, found[i] ?? null]));
  return allowed.map((id) => (id === null ? null : (byUser.get(id) ?? null)));
}

export async function createAddress(
  deps: UsersServiceDeps,
  viewer: Viewer | null,
  input: AddressInput,
  makeDefault: boolean | null | undefined,
): Promise<CreateAddressOutcome> {
  const userId = ownerOf(viewer);
  const address = validate(input);
  if ('__typename' in address) return address;
  const outcome = await deps.addresses.create(userId, address, makeDefault === true, ADDRESS_LIMIT);
  if (outcome.kind === 'no-user') throw unauthenticated('The account of this token no longer exists');
  if (outcome.kind === 'limit') {
    return {
      __typename: 'AddressLimitError',
      message: `An address book holds at most ${ADDRESS_LIMIT} addresses; delete one first`,
      limit: ADDRESS_LIMIT,
    };
  }
  deps.log.info({ userId, addressId: outcome.address.id }, 'address created');
  return asResult(outcome.address);
}

export async function updateAddress(
  deps: UsersServiceDeps,
  viewer: Viewer | null,
  id: string,
  input: AddressInput,
): Promise<UpdateAddressOutcome> {
  const userId = ownerOf(viewer);
  // Unknown (or someone else's) before invalid: the input of an address that is not yours is moot.
  if (!isAddressId(id)) return notFound(id);
  const address = validate(input);
  if ('__typename' in address) {
    return (await deps.addresses.findForUser(userId, id)) ? address : notFound(id);
  }
  const updated = await deps.addresses.update(userId, id, address);
  return updated ? asResult(updated) : notFound(id);
}

export async function deleteAddress(
  deps: UsersServiceDeps,
  viewer: Viewer | null,
  id: string,
): Promise<DeleteAddressOutcome> {
  const userId = ownerOf(viewer);
  if (!isAddressId(id) || !(await deps.addresses.delete(userId, id))) return notFound(id);
  deps.log.info({ userId, addressId: id }, 'address deleted');
  return { __typename: 'DeleteAddressSuccess', deletedId: id };
}

export async function setDefaultShippingAddress(
  deps: UsersServiceDeps,
  viewer: Viewer | null,
  id: string,
): Promise<SetDefaultOutcome> {
  const userId = ownerOf(viewer);
  const address = isAddressId(id) ? await deps.addresses.setDefault(userId, id) : null;
  return address ? asResult(address) : notFound(id);
}

/** Query.countries: every country of COUNTRIES (@shop/config), public. */
export function countries(): readonly CountryModel[] {
  return COUNTRIES;
}

const postal = (a: AddressModel): PostalAddress => ({
  name: a.name,
  company: a.company,
  line1: a.line1,
  line2: a.line2,
  postalCode: a.postalCode,
  city: a.city,
  region: a.region,
  country: a.country,
  phone: a.phone,
});

/**
 * users.address: the stored address when it belongs to userId (orders snapshots it at checkout).
 * Another user's address, an unknown id and any id not in the issued form are NOT_FOUND alike; the
 * last without a query.
 */
export async function addressFor(
  deps: UsersServiceDeps,
  userId: string,
  addressId: string,
): Promise<AddressReply> {
  const address =
    isUserId(userId) && isAddressId(addressId) ? await deps.addresses.findForUser(userId, addressId) : null;
  if (!address) return { ok: false, code: 'NOT_FOUND', message: `no address ${addressId} of user ${userId}` };
  return { ok: true, addressId: address.id, address: postal(address) };
}
