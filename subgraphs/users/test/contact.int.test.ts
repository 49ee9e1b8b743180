import { jest } from '@jest/globals';
import { connectNats, ContactReply, natsNames, request, type NatsConnection } from '@shop/messaging';
import { endpoints } from '@shop/testing';
import { email, startUsers, type TestEnv } from './helpers';

let env: TestEnv;
let nc: NatsConnection;

beforeAll(async () => {
  env = await startUsers('contact');
  nc = await connectNats(endpoints.nats, 'users-contact-test');
});
afterAll(async () => {
  await nc?.drain();
  await env?.close();
});

describe('users.contact over NATS', () => {
  const subject = () => natsNames(env.prefix).commands.usersContact;

  it('answers with name, email and phone of a user', async () => {
    const { user } = await env.app.registerUser({
      email: email('contact'),
      password: 'contact-password',
      name: 'Grace Hopper',
      phone: '+1 202 555 0123',
    });
    const reply = await request(nc, subject(), { userId: user.id }, ContactReply);
    expect(reply).toEqual({
      ok: true,
      id: user.id,
      name: 'Grace Hopper',
      email: user.email,
      phone: '+12025550123',
    });
  });

  it('answers NOT_FOUND for an unknown or malformed id, and INVALID_REQUEST for a bad request', async () => {
    expect(await request(nc, subject(), { userId: crypto.randomUUID() }, ContactReply)).toMatchObject({
      ok: false,
      code: 'NOT_FOUND',
    });
    expect(await request(nc, subject(), { userId: "x' OR 1=1 --" }, ContactReply)).toMatchObject({
      ok: false,
      code: 'NOT_FOUND',
    });
    expect(await request(nc, subject(), { user: 'x' }, ContactReply)).toMatchObject({
      ok: false,
      code: 'INVALID_REQUEST',
    });
  });

  it('answers NOT_FOUND for another form of a real user id, without a query', async () => {
    const { user } = await env.app.registerUser({
      email: email('variant'),
      password: 'variant-password',
      name: 'Variant',
    });
    const query = jest.spyOn(env.app.pool, 'query');
    try {
      for (const variant of [
        user.id.toUpperCase(),
        `{${user.id}}`,
        ` ${user.id}`,
        user.id.replaceAll('-', ''),
      ]) {
        expect(await request(nc, subject(), { userId: variant }, ContactReply)).toMatchObject({
          ok: false,
          code: 'NOT_FOUND',
        });
      }
      expect(query).not.toHaveBeenCalled();
    } finally {
      query.mockRestore();
    }
    expect(await request(nc, subject(), { userId: user.id }, ContactReply)).toMatchObject({ ok: true });
  });
});
