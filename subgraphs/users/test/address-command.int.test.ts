import { jest } from '@jest/globals';
import { AddressReply, connectNats, natsNames, request, type NatsConnection } from '@shop/messaging';
import { endpoints } from '@shop/testing';
import { berlin, CREATE_ADDRESS, customer, startUsers, type AddressResult, type TestEnv } from './helpers';

/** users.address over NATS: what orders asks to snapshot an address of the customer's book. */

let env: TestEnv;
let nc: NatsConnection;
let alice: { id: string; token: string };
let bob: { id: string; token: string };
let aliceAddress: AddressResult;

beforeAll(async () => {
  env = await startUsers('addrcmd');
  nc = await connectNats(endpoints.nats, 'users-address-test');
  alice = await customer(env, 'alice');
  bob = await customer(env, 'bob');
  const res = await env.call<{ createAddress: AddressResult }>(
    CREATE_ADDRESS,
    { input: berlin({ company: 'ACME', phone: '+49 30 1234567', postalCode: ' 10117 ' }) },
    alice.token,
  );
  aliceAddress = res.data!.createAddress;
});
afterAll(async () => {
  await nc?.drain();
  await env?.close();
});

const subject = () => natsNames(env.prefix).commands.usersAddress;
const ask = (payload: unknown) => request(nc, subject(), payload, AddressReply);

describe('users.address over NATS', () => {
  it("answers the owner's address as stored (normalised), with its id", async () => {
    expect(await ask({ userId: alice.id, addressId: aliceAddress.id })).toEqual({
      ok: true,
      addressId: aliceAddress.id,
      address: {
        name: 'Ada Lovelace',
        company: 'ACME',
        line1: 'Unter den Linden 1',
        line2: null,
        postalCode: '10117',
        city: 'Berlin',
        region: null,
        country: 'DE',
        phone: '+49301234567',
      },
    });
  });

  it("answers NOT_FOUND for another user's address, exactly like an unknown one", async () => {
    const theirs = await ask({ userId: bob.id, addressId: aliceAddress.id });
    expect(theirs).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(JSON.stringify(theirs)).not.toContain('Linden');
    const unknownUser = await ask({ userId: crypto.randomUUID(), addressId: aliceAddress.id });
    expect(unknownUser).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(await ask({ userId: alice.id, addressId: crypto.randomUUID() })).toMatchObject({
      ok: false,
      code: 'NOT_FOUND',
    });
  });

  it('answers NOT_FOUND, without a query, for other forms of the ids', async () => {
    const query = jest.spyOn(env.app.pool, 'query');
    try {
      const id = aliceAddress.id!;
      for (const [userId, addressId] of [
        [alice.id.toUpperCase(), id],
        [alice.id, id.toUpperCase()],
        [`{${alice.id}}`, id],
        [alice.id, ` ${id}`],
        [alice.id, id.replaceAll('-', '')],
        ["x' OR 1=1 --", id],
      ]) {
        expect(await ask({ userId, addressId })).toMatchObject({ ok: false, code: 'NOT_FOUND' });
      }
      expect(query).not.toHaveBeenCalled();
    } finally {
      query.mockRestore();
    }
  });

  it('answers INVALID_REQUEST for a malformed request', async () => {
    for (const payload of [
      { userId: alice.id },
      { addressId: aliceAddress.id },
      { userId: 42, addressId: aliceAddress.id },
      { userId: alice.id, addressId: '' },
      { userId: alice.id, addressId: 'x'.repeat(65) },
      null,
      'users.address',
    ]) {
      expect(await ask(payload)).toMatchObject({ ok: false, code: 'INVALID_REQUEST' });
    }
    const raw = await nc.request(subject(), '{"userId": not json', { timeout: 3000 });
    expect(AddressReply.parse(raw.json())).toMatchObject({ ok: false, code: 'INVALID_REQUEST' });
  });

  it('answers NOT_FOUND once the address is deleted', async () => {
    const res = await env.call<{ createAddress: AddressResult }>(
      CREATE_ADDRESS,
      { input: berlin() },
      bob.token,
    );
    const id = res.data!.createAddress.id!;
    expect(await ask({ userId: bob.id, addressId: id })).toMatchObject({ ok: true, addressId: id });
    await env.call(`mutation($id: ID!) { deleteAddress(id: $id) { __typename } }`, { id }, bob.token);
    expect(await ask({ userId: bob.id, addressId: id })).toMatchObject({ ok: false, code: 'NOT_FOUND' });
  });
});
