import { DeadLetter } from '@shop/messaging';
import { Kvm } from '@nats-io/kv';
import { notificationId } from '../src/notifications.repository';
import { mailpit, mailsTo, scenario, waitFor } from './harness';

/**
 * Issue 16, "one canonical form for every id", at notifications: an orders.paid event, an entity
 * reference or a listing argument naming an order, a customer or a notification in any form other
 * than the one its owner issues names nothing, and never reaches the bucket, users.contact or SMTP.
 */
describe('canonical ids at notifications', () => {
  let s: Awaited<ReturnType<typeof scenario>>;
  let url: string;

  beforeAll(async () => {
    s = await scenario('ncanon');
    ({ url } = await s.startApp());
  });
  afterAll(async () => {
    await s.cleanup();
  });

  const bucketKeys = async () => {
    const kv = await new Kvm(s.nc).open(s.names.buckets.notifications);
    const keys: string[] = [];
    for await (const key of await kv.keys()) keys.push(key);
    return keys.sort();
  };

  it('dead-letters at once an orders.paid naming its order or customer in another form: nothing claimed, asked or sent', async () => {
    const letters: DeadLetter[] = [];
    const sub = s.nc.subscribe(s.names.events.notificationsDeadLetter, {
      callback: (_err, msg) => {
        letters.push(DeadLetter.parse(msg.json()));
      },
    });
    await s.nc.flush();
    const keysBefore = await bucketKeys();
    const jane = s.customer();
    const issued = s.paidEvent(jane.id);
    const forged = [
      { ...issued, eventId: crypto.randomUUID(), orderId: issued.orderId.toUpperCase() },
      { ...issued, eventId: crypto.randomUUID(), userId: jane.id.toUpperCase() },
      { ...issued, eventId: crypto.randomUUID(), userId: `{${jane.id}}` },
    ];
    for (const event of forged) await s.publish(event);
    await waitFor(() => (letters.length >= forged.length ? letters : null));
    await waitFor(() => s.drained());
    sub.unsubscribe();
    expect(
      letters.map((l) => ({ deliveries: l.deliveries, malformed: /^malformed event/.test(l.reason) })),
    ).toEqual(forged.map(() => ({ deliveries: 1, malformed: true })));
    expect(letters.map((l) => (JSON.parse(l.data) as { eventId: string }).eventId).sort()).toEqual(
      forged.map((e) => e.eventId).sort(),
    );
    expect(s.contactRequests()).toBe(0);
    expect(await bucketKeys()).toEqual(keysBefore);
    expect(await mailpit.messagesTo(jane.email)).toHaveLength(0);

    // The same order in its issued form is confirmed normally, once.
    await s.publish(issued);
    expect(await mailsTo(jane.email)).toHaveLength(1);
  });

  it('answers null for User, Order and Notification references in another form, for the owner and an admin', async () => {
    const jane = s.customer();
    const event = s.paidEvent(jane.id);
    await s.publish(event);
    await mailsTo(jane.email);
    await waitFor(() => s.drained());
    const emailId = notificationId(event.eventId, 'EMAIL');
    const admin = { id: crypto.randomUUID(), email: 'admin@example.com', role: 'ADMIN' as const };
    type Viewer = { id: string; email: string; role?: 'CUSTOMER' | 'ADMIN' };
    const entities = async (typename: string, ids: string[], selection: string, viewer: Viewer) => {
      const res = await s.query(
        url,
        `query ($r: [_Any!]!) { _entities(representations: $r) { ... on ${typename} { ${selection} } } }`,
        { r: ids.map((id) => ({ __typename: typename, id })) },
        viewer,
      );
      expect(res.errors).toBeUndefined();
      return (res.data as { _entities: unknown[] })._entities;
    };
    const variants = (id: string) => [id.toUpperCase(), `{${id}}`, ` ${id}`, id.replaceAll('-', '')];
    for (const viewer of [jane, admin] as Viewer[]) {
      expect(
        await entities(
          'User',
          [jane.id, ...variants(jane.id)],
          'id notifications { edges { node { id } } }',
          viewer,
        ),
      ).toEqual([
        { id: jane.id, notifications: { edges: [{ node: { id: emailId } }] } },
        null,
        null,
        null,
        null,
      ]);
      expect(
        await entities(
          'Order',
          [event.orderId, ...variants(event.orderId)],
          'id notifications { id }',
          viewer,
        ),
      ).toEqual([{ id: event.orderId, notifications: [{ id: emailId }] }, null, null, null, null]);
      expect(
        await entities(
          'Notification',
          [emailId, ` ${emailId}`, `${emailId}=`, emailId.slice(1)],
          'id',
          viewer,
        ),
      ).toEqual([{ id: emailId }, null, null, null]);
    }
  });
});
