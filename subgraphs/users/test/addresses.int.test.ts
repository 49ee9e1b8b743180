import { jest } from '@jest/globals';
import {
  berlin,
  CREATE_ADDRESS,
  customer,
  DELETE_ADDRESS,
  MY_ADDRESSES,
  SET_DEFAULT,
  startUsers,
  UPDATE_ADDRESS,
  type AddressPage,
  type AddressResult,
  type TestEnv,
} from './helpers';

/** The address book through GraphQL: create, read, update, delete, the default and the limit. */

let env: TestEnv;

beforeAll(async () => {
  env = await startUsers('addresses');
});
afterAll(async () => {
  await env?.close();
});

const create = async (token: string, input: Record<string, unknown>, makeDefault?: boolean) => {
  const res = await env.call<{ createAddress: AddressResult }>(CREATE_ADDRESS, { input, makeDefault }, token);
  expect(res.errors).toBeUndefined();
  return res.data!.createAddress;
};
const update = async (token: string, id: string, input: Record<string, unknown>) =>
  (await env.call<{ updateAddress: AddressResult }>(UPDATE_ADDRESS, { id, input }, token)).data!
    .updateAddress;
const remove = async (token: string, id: string) =>
  (await env.call<{ deleteAddress: AddressResult }>(DELETE_ADDRESS, { id }, token)).data!.deleteAddress;
const setDefault = async (token: string, id: string) =>
  (await env.call<{ setDefaultShippingAddress: AddressResult }>(SET_DEFAULT, { id }, token)).data!
    .setDefaultShippingAddress;
const mine = async (token: string, first?: number, after?: string) => {
  const res = await env.call<{
    me: { id: string; addresses: AddressPage; defaultShippingAddress: { id: string } | null };
  }>(MY_ADDRESSES, { first, after }, token);
  expect(res.errors).toBeUndefined();
  return res.data!.me;
};
const stored = (userId: string) => env.app.addresses.countForUser(userId);

describe('create → read → update → delete', () => {
  it('round-trips an address, normalised, and makes the first one the default', async () => {
    const ada = await customer(env, 'crud');
    const created = await create(ada.token, {
      name: '  Ada Lovelace ',
      company: 'Analytical Engines',
      line1: 'Keizersgracht 1',
      line2: '',
      postalCode: '1012ab',
      city: 'Amsterdam',
      country: 'NL',
      phone: '+31 20 123 4567',
    });
    expect(created).toMatchObject({
      __typename: 'Address',
      name: 'Ada Lovelace',
      company: 'Analytical Engines',
      line2: null,
      postalCode: '1012 AB',
      region: null,
      country: 'NL',
      phone: '+31201234567',
      isDefaultShipping: true,
    });
    expect(created.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(Date.now() - new Date(created.createdAt!).getTime()).toBeLessThan(60_000);

    const read = await mine(ada.token);
    expect(read.addresses.edges.map((e) => e.node)).toEqual([created]);
    expect(read.defaultShippingAddress).toEqual({ id: created.id });

    const updated = await update(ada.token, created.id!, berlin({ line2: 'Hinterhaus' }));
    expect(updated).toMatchObject({
      __typename: 'Address',
      id: created.id,
      company: null, // every field is replaced: an omitted optional field is cleared
      line2: 'Hinterhaus',
      postalCode: '10117',
      country: 'DE',
      phone: null,
      isDefaultShipping: true,
      createdAt: created.createdAt,
    });
    expect((await mine(ada.token)).addresses.edges[0]!.node).toEqual(updated);

    expect(await remove(ada.token, created.id!)).toEqual({
      __typename: 'DeleteAddressSuccess',
      deletedId: created.id,
    });
    expect(await remove(ada.token, created.id!)).toMatchObject({
      __typename: 'AddressNotFoundError',
      addressId: created.id,
    });
    expect(await update(ada.token, created.id!, berlin())).toMatchObject({
      __typename: 'AddressNotFoundError',
    });
    const after = await mine(ada.token);
    expect(after.addresses.edges).toEqual([]);
    expect(after.defaultShippingAddress).toBeNull();
    expect(await stored(ada.id)).toEqual({ total: 0, defaults: 0 });
  });

  it('refuses an invalid update with the field and leaves the address as it was', async () => {
    const user = await customer(env, 'badupdate');
    const created = await create(user.token, berlin());
    expect(await update(user.token, created.id!, berlin({ postalCode: '1011' }))).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'postalCode',
    });
    expect((await mine(user.token)).addresses.edges[0]!.node).toEqual(created);
  });

  it('answers UNAUTHENTICATED to anonymous mutations and writes nothing', async () => {
    const before = await env.app.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM addresses');
    for (const [query, variables] of [
      [CREATE_ADDRESS, { input: berlin() }],
      [UPDATE_ADDRESS, { id: crypto.randomUUID(), input: berlin() }],
      [DELETE_ADDRESS, { id: crypto.randomUUID() }],
      [SET_DEFAULT, { id: crypto.randomUUID() }],
    ] as const) {
      const res = await env.call(query, variables);
      expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    const after = await env.app.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM addresses');
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
  });
});

describe('the default shipping address', () => {
  it('moves with makeDefault and setDefaultShippingAddress, and deleting it promotes the newest', async () => {
    const user = await customer(env, 'defaults');
    const a = await create(user.token, berlin({ line1: 'A-Straße 1' }));
    const b = await create(user.token, berlin({ line1: 'B-Straße 2' }));
    expect([a.isDefaultShipping, b.isDefaultShipping]).toEqual([true, false]);
    const c = await create(user.token, berlin({ line1: 'C-Straße 3' }), true);
    expect(c.isDefaultShipping).toBe(true);
    const d = await create(user.token, berlin({ line1: 'D-Straße 4' }), false);
    expect(d.isDefaultShipping).toBe(false);
    const defaults = async () =>
      (await mine(user.token)).addresses.edges.filter((e) => e.node.isDefaultShipping).map((e) => e.node.id);
    expect(await defaults()).toEqual([c.id]);

    expect(await setDefault(user.token, b.id!)).toMatchObject({ id: b.id, isDefaultShipping: true });
    expect(await defaults()).toEqual([b.id]);
    // Setting the default that already is the default changes nothing.
    expect(await setDefault(user.token, b.id!)).toMatchObject({ id: b.id, isDefaultShipping: true });
    expect(await defaults()).toEqual([b.id]);

    // Deleting the default: the newest remaining address (d) becomes the default.
    await remove(user.token, b.id!);
    expect(await defaults()).toEqual([d.id]);
    expect((await mine(user.token)).defaultShippingAddress).toEqual({ id: d.id });
    // Deleting another address leaves the default alone.
    await remove(user.token, a.id!);
    expect(await defaults()).toEqual([d.id]);
    await remove(user.token, d.id!);
    expect(await defaults()).toEqual([c.id]);
    await remove(user.token, c.id!);
    expect((await mine(user.token)).defaultShippingAddress).toBeNull();
    expect(await stored(user.id)).toEqual({ total: 0, defaults: 0 });
  });

  it('keeps exactly one default under concurrent setDefault, makeDefault creates and deletes', async () => {
    const user = await customer(env, 'racedefault');
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await create(user.token, berlin({ line1: `Weg ${i}` }))).id!);
    const [sets, creates, removes] = await Promise.all([
      Promise.all(ids.map((id) => setDefault(user.token, id))),
      Promise.all([1, 2, 3, 4].map((i) => create(user.token, berlin({ line1: `Neu ${i}` }), true))),
      Promise.all([remove(user.token, ids[0]!), remove(user.token, ids[1]!)]),
    ]);
    expect(creates.map((r) => r.__typename)).toEqual(['Address', 'Address', 'Address', 'Address']);
    expect(removes.map((r) => r.__typename)).toEqual(['DeleteAddressSuccess', 'DeleteAddressSuccess']);
    // Only an address deleted meanwhile may be not found; every other setDefault succeeded.
    expect(sets.slice(2).map((r) => r.__typename)).toEqual(Array(6).fill('Address'));
    expect(sets.slice(0, 2).every((r) => ['Address', 'AddressNotFoundError'].includes(r.__typename))).toBe(
      true,
    );
    expect(await stored(user.id)).toEqual({ total: 10, defaults: 1 });
  });

  it('never makes two defaults when two first addresses are created at once', async () => {
    const user = await customer(env, 'racefirst');
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((i) => create(user.token, berlin({ line1: `Erst ${i}` }))),
    );
    expect(results.filter((r) => r.isDefaultShipping)).toHaveLength(1);
    expect(await stored(user.id)).toEqual({ total: 5, defaults: 1 });
  });
});

describe('the limit of 20 addresses', () => {
  it('lets exactly 20 of 25 concurrent creates in, the rest get AddressLimitError', async () => {
    const user = await customer(env, 'limit');
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) => create(user.token, berlin({ line1: `Parallelweg ${i}` }))),
    );
    const names = results.map((r) => r.__typename);
    expect(names.filter((n) => n === 'Address')).toHaveLength(20);
    const refused = results.filter((r) => r.__typename === 'AddressLimitError');
    expect(refused).toHaveLength(5);
    expect(refused.every((r) => r.limit === 20 && r.message!.includes('at most 20'))).toBe(true);
    expect(await stored(user.id)).toEqual({ total: 20, defaults: 1 });
    // A full book still takes nothing more, also not with makeDefault; after a delete it takes one.
    expect(await create(user.token, berlin(), true)).toMatchObject({ __typename: 'AddressLimitError' });
    const first = results.find((r) => r.__typename === 'Address')!;
    await remove(user.token, first.id!);
    expect(await create(user.token, berlin())).toMatchObject({ __typename: 'Address' });
    expect(await stored(user.id)).toEqual({ total: 20, defaults: 1 });
  });

  it('pages through the book newest first with cursors, and bounds first', async () => {
    const user = await customer(env, 'pages');
    const created: string[] = [];
    for (let i = 0; i < 13; i++)
      created.push((await create(user.token, berlin({ line1: `Seite ${i}` }))).id!);
    const seen: string[] = [];
    let after: string | undefined;
    const sizes: number[] = [];
    for (;;) {
      const { addresses } = await mine(user.token, 5, after);
      sizes.push(addresses.edges.length);
      seen.push(...addresses.edges.map((e) => e.node.id!));
      expect(addresses.pageInfo.hasPreviousPage).toBe(after !== undefined);
      if (!addresses.pageInfo.hasNextPage) break;
      after = addresses.pageInfo.endCursor!;
    }
    expect(sizes).toEqual([5, 5, 3]);
    expect(seen).toEqual([...created].reverse());
    expect((await mine(user.token)).addresses.edges).toHaveLength(13); // default page size 20
    expect((await mine(user.token, 0)).addresses.edges).toEqual([]);
    expect((await mine(user.token, 100)).addresses.edges).toHaveLength(13);

    for (const [first, afterCursor] of [
      [101, undefined],
      [-1, undefined],
      [5, 'not-a-cursor'],
      [5, Buffer.from(JSON.stringify([-1])).toString('base64url')],
      [5, Buffer.from(JSON.stringify(['1 OR 1=1'])).toString('base64url')],
      [5, Buffer.from(JSON.stringify([1e300])).toString('base64url')],
    ] as const) {
      const res = await env.call(MY_ADDRESSES, { first, after: afterCursor }, user.token);
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });
});

describe('ids as issued', () => {
  it('answers AddressNotFoundError for other forms of an own address id, without touching PostgreSQL', async () => {
    const user = await customer(env, 'idforms');
    const created = await create(user.token, berlin());
    const id = created.id!;
    const variants = [id.toUpperCase(), `{${id}}`, ` ${id}`, id.replaceAll('-', ''), `${id}\u0000`, ''];
    const query = jest.spyOn(env.app.pool, 'query');
    const connect = jest.spyOn(env.app.pool, 'connect');
    try {
      for (const variant of variants) {
        expect(await update(user.token, variant, berlin({ city: 'Potsdam', postalCode: '14467' }))).toEqual({
          __typename: 'AddressNotFoundError',
          message: 'No address with this id in your address book',
          addressId: variant,
        });
        expect(await remove(user.token, variant)).toMatchObject({ __typename: 'AddressNotFoundError' });
        expect(await setDefault(user.token, variant)).toMatchObject({ __typename: 'AddressNotFoundError' });
      }
      expect(query).not.toHaveBeenCalled();
      expect(connect).not.toHaveBeenCalled();
    } finally {
      query.mockRestore();
      connect.mockRestore();
    }
    expect((await mine(user.token)).addresses.edges.map((e) => e.node)).toEqual([created]);
  });

  it('deletes the addresses with their user (ON DELETE CASCADE)', async () => {
    const user = await customer(env, 'cascade');
    await create(user.token, berlin());
    await create(user.token, berlin());
    await env.app.pool.query('DELETE FROM users WHERE id = $1', [user.id]);
    expect(await stored(user.id)).toEqual({ total: 0, defaults: 0 });
    // The token of the deleted account creates nothing.
    const res = await env.call(CREATE_ADDRESS, { input: berlin() }, user.token);
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await stored(user.id)).toEqual({ total: 0, defaults: 0 });
  });
});
