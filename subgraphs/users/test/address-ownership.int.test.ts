import {
  adminToken,
  ADDRESS_FIELDS,
  berlin,
  CREATE_ADDRESS,
  customer,
  DELETE_ADDRESS,
  SET_DEFAULT,
  startUsers,
  UPDATE_ADDRESS,
  type AddressResult,
  type TestEnv,
} from './helpers';

/**
 * Who reaches an address: the owner reads and changes it, an administrator reads it, anyone else
 * neither reads it nor can tell it from an id that names nothing.
 */

let env: TestEnv;
let alice: { id: string; token: string };
let bob: { id: string; token: string };
let admin: string;
let aliceAddress: AddressResult;

const ENTITY = `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id
  addresses { edges { node { ${ADDRESS_FIELDS} } } } } } }`;
const ENTITY_DEFAULT = `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id
  defaultShippingAddress { id line1 } } } }`;

beforeAll(async () => {
  env = await startUsers('ownership');
  alice = await customer(env, 'alice');
  bob = await customer(env, 'bob');
  admin = await adminToken(env);
  const res = await env.call<{ createAddress: AddressResult }>(
    CREATE_ADDRESS,
    { input: berlin({ name: 'Alice' }) },
    alice.token,
  );
  aliceAddress = res.data!.createAddress;
  await env.call(CREATE_ADDRESS, { input: berlin({ name: 'Bob' }) }, bob.token);
});
afterAll(async () => {
  await env?.close();
});

const aliceRow = async () =>
  (
    await env.app.pool.query('SELECT name, line1, is_default_shipping FROM addresses WHERE id = $1', [
      aliceAddress.id,
    ])
  ).rows[0];

describe('reading User.addresses and User.defaultShippingAddress', () => {
  const representations = () => ({ r: [{ __typename: 'User', id: alice.id }] });

  it('shows the owner and an administrator the addresses', async () => {
    for (const token of [alice.token, admin]) {
      const res = await env.call<{ _entities: { addresses: { edges: { node: AddressResult }[] } }[] }>(
        ENTITY,
        representations(),
        token,
      );
      expect(res.errors).toBeUndefined();
      expect(res.data!._entities[0]!.addresses.edges.map((e) => e.node.id)).toEqual([aliceAddress.id]);
      const def = await env.call<{ _entities: { defaultShippingAddress: { id: string } | null }[] }>(
        ENTITY_DEFAULT,
        representations(),
        token,
      );
      expect(def.data!._entities[0]!.defaultShippingAddress).toEqual({
        id: aliceAddress.id,
        line1: 'Unter den Linden 1',
      });
    }
  });

  it('answers FORBIDDEN to another customer and UNAUTHENTICATED to an anonymous request', async () => {
    const asBob = await env.call<{ _entities: unknown[] }>(ENTITY, representations(), bob.token);
    expect(asBob.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(JSON.stringify(asBob)).not.toContain('Unter den Linden');
    const anonymous = await env.call<{ _entities: unknown[] }>(ENTITY, representations());
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(JSON.stringify(anonymous)).not.toContain('Unter den Linden');
  });

  it('answers null for the default address of someone else, like email', async () => {
    for (const token of [bob.token, undefined]) {
      const res = await env.call<{ _entities: { id: string; defaultShippingAddress: unknown }[] }>(
        ENTITY_DEFAULT,
        representations(),
        token,
      );
      expect(res.errors).toBeUndefined();
      expect(res.data!._entities).toEqual([{ id: alice.id, defaultShippingAddress: null }]);
    }
  });

  it('batches the default addresses of many users into one query, hiding the others', async () => {
    const r = [alice.id, bob.id, alice.id].map((id) => ({ __typename: 'User', id }));
    const res = await env.call<{ _entities: { defaultShippingAddress: { id: string } | null }[] }>(
      ENTITY_DEFAULT,
      { r },
      bob.token,
    );
    const [a, b, a2] = res.data!._entities;
    expect(a!.defaultShippingAddress).toBeNull();
    expect(b!.defaultShippingAddress).not.toBeNull();
    expect(a2!.defaultShippingAddress).toBeNull();
  });
});

describe('changing an address of someone else', () => {
  it('is AddressNotFoundError, exactly like an unknown id, for another customer and an administrator', async () => {
    const unknown = crypto.randomUUID();
    for (const token of [bob.token, admin]) {
      const answers = async (id: string) => {
        const update = await env.call<{ updateAddress: AddressResult }>(
          UPDATE_ADDRESS,
          { id, input: berlin({ name: 'Mallory' }) },
          token,
        );
        const setDefault = await env.call<{ setDefaultShippingAddress: AddressResult }>(
          SET_DEFAULT,
          { id },
          token,
        );
        const remove = await env.call<{ deleteAddress: AddressResult }>(DELETE_ADDRESS, { id }, token);
        return [
          update.data!.updateAddress,
          setDefault.data!.setDefaultShippingAddress,
          remove.data!.deleteAddress,
        ];
      };
      const theirs = await answers(aliceAddress.id!);
      const nobody = await answers(unknown);
      expect(theirs.map((r) => r.__typename)).toEqual([
        'AddressNotFoundError',
        'AddressNotFoundError',
        'AddressNotFoundError',
      ]);
      // Same answer but for the id echoed back.
      expect(JSON.stringify(theirs).replaceAll(aliceAddress.id!, unknown)).toBe(JSON.stringify(nobody));
    }
    expect(await aliceRow()).toEqual({
      name: 'Alice',
      line1: 'Unter den Linden 1',
      is_default_shipping: true,
    });
  });

  it('is AddressNotFoundError also when the input is invalid (nothing said about the address)', async () => {
    const res = await env.call<{ updateAddress: AddressResult }>(
      UPDATE_ADDRESS,
      { id: aliceAddress.id, input: berlin({ postalCode: 'x' }) },
      bob.token,
    );
    expect(res.data!.updateAddress.__typename).toBe('AddressNotFoundError');
  });

  it('does not move the default of bob when bob names alice address', async () => {
    const before = await env.app.addresses.countForUser(bob.id);
    await env.call(SET_DEFAULT, { id: aliceAddress.id }, bob.token);
    expect(await env.app.addresses.countForUser(bob.id)).toEqual(before);
    expect(before.defaults).toBe(1);
  });

  it('creates an address only in the book of the signed-in user, an administrator included', async () => {
    const res = await env.call<{ createAddress: AddressResult }>(CREATE_ADDRESS, { input: berlin() }, admin);
    expect(res.data!.createAddress.__typename).toBe('Address');
    const { rows } = await env.app.pool.query<{ email: string }>(
      'SELECT u.email::text AS email FROM addresses a JOIN users u ON u.id = a.user_id WHERE a.id = $1',
      [res.data!.createAddress.id],
    );
    expect(rows[0]!.email).toBe('root@admin.example');
    expect(await env.app.addresses.countForUser(alice.id)).toEqual({ total: 1, defaults: 1 });
  });
});
