import { setTimeout as sleep } from 'node:timers/promises';
import { mailpit, mailsTo, scenario, waitFor } from './harness';
import { notificationId } from '../src/notifications.repository';

const USER_NOTIFICATIONS = `
  query ($representations: [_Any!]!, $first: Int, $after: String) {
    _entities(representations: $representations) {
      ... on User {
        id
        notifications(first: $first, after: $after) {
          edges { cursor node { id channel kind recipient subject status attempts createdAt sentAt order { id } } }
          pageInfo { hasNextPage hasPreviousPage endCursor }
        }
      }
    }
  }`;

const ORDER_NOTIFICATIONS = `
  query ($representations: [_Any!]!) {
    _entities(representations: $representations) { ... on Order { id notifications { id channel status recipient } } }
  }`;

type UserNotificationsData = {
  _entities: {
    notifications: {
      edges: {
        node: {
          id: string;
          channel: string;
          kind: string;
          recipient: string;
          subject: string;
          status: string;
          attempts: number;
          sentAt: string | null;
          order: { id: string };
        };
      }[];
      pageInfo: { hasNextPage: boolean };
    };
  }[];
};

describe('notifications subgraph (NATS, KV, Mailpit)', () => {
  let s: Awaited<ReturnType<typeof scenario>>;
  let url: string;

  beforeAll(async () => {
    s = await scenario('notif');
    ({ url } = await s.startApp());
  });
  afterAll(async () => {
    await s.cleanup();
  });

  it('turns a paid order into exactly one confirmation email and a record visible through User.notifications', async () => {
    const jane = s.customer();
    const event = s.paidEvent(jane.id);
    await s.publish(event);

    const [message] = await mailsTo(jane.email);
    await waitFor(() => s.drained());
    expect(await mailpit.messagesTo(jane.email)).toHaveLength(1);
    const mail = await mailpit.message(message!.ID);
    expect(mail.Subject).toBe(`Your order ${event.orderNumber} is confirmed`);
    expect(mail.To[0]?.Address).toBe(jane.email);
    expect(mail.Text).toContain(`Hello ${jane.name},`);
    expect(mail.Text).toContain(`order ${event.orderNumber}`);
    expect(mail.Text).toContain('2 x Mug (€12.99 each): €25.98');
    expect(mail.Text).toContain('Total: €42.97');
    expect(mail.HTML).toContain(`<strong>${event.orderNumber}</strong>`);
    expect(mail.HTML).toContain('€42.97');

    const res = await s.query(
      url,
      USER_NOTIFICATIONS,
      { representations: [{ __typename: 'User', id: jane.id }], first: 10 },
      jane,
    );
    expect(res.errors).toBeUndefined();
    const edges = (res.data as UserNotificationsData)._entities[0]!.notifications.edges;
    expect(edges).toHaveLength(1);
    expect(edges[0]!.node).toMatchObject({
      id: notificationId(event.eventId, 'EMAIL'),
      channel: 'EMAIL',
      kind: 'ORDER_CONFIRMATION',
      recipient: `${jane.email[0]}***@example.com`,
      subject: `Your order ${event.orderNumber} is confirmed`,
      status: 'SENT',
      attempts: 1,
      order: { id: event.orderId },
    });
    expect(edges[0]!.node.sentAt).not.toBeNull();
  });

  it('also texts a customer with a phone, through the recording development SMS provider', async () => {
    const joe = s.customer('+49 170 1234789');
    const event = s.paidEvent(joe.id);
    await s.publish(event);
    await mailsTo(joe.email);
    const smsId = notificationId(event.eventId, 'SMS');
    const sms = await waitFor(() => s.repo.getSms(smsId));
    expect(sms.to).toBe('+49 170 1234789');
    expect(sms.body).toContain(event.orderNumber);
    expect(sms.body).toContain('€42.97');

    const res = await s.query(
      url,
      ORDER_NOTIFICATIONS,
      { representations: [{ __typename: 'Order', id: event.orderId }] },
      joe,
    );
    expect(res.errors).toBeUndefined();
    const list = (
      res.data as { _entities: { notifications: { channel: string; status: string; recipient: string }[] }[] }
    )._entities[0]!.notifications;
    expect(list.map((n) => [n.channel, n.status]).sort()).toEqual([
      ['EMAIL', 'SENT'],
      ['SMS', 'SENT'],
    ]);
    expect(list.find((n) => n.channel === 'SMS')?.recipient).toBe('+49*******789');
  });

  it('shows notifications only to their owner (or an admin), and only through the router', async () => {
    const jane = s.customer();
    const event = s.paidEvent(jane.id);
    await s.publish(event);
    await mailsTo(jane.email);
    await waitFor(() => s.drained());
    const stranger = { id: 'someone-else', email: 'x@example.com' };
    const admin = { id: 'admin-1', email: 'admin@example.com', role: 'ADMIN' as const };
    const user = { representations: [{ __typename: 'User', id: jane.id }] };
    const order = { representations: [{ __typename: 'Order', id: event.orderId }] };
    const emailEntity = {
      representations: [{ __typename: 'Notification', id: notificationId(event.eventId, 'EMAIL') }],
    };
    const NOTIFICATION = `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Notification { id status } } }`;

    expect((await s.query(url, USER_NOTIFICATIONS, user, stranger)).errors?.[0]?.extensions?.code).toBe(
      'FORBIDDEN',
    );
    expect((await s.query(url, ORDER_NOTIFICATIONS, order, stranger)).errors?.[0]?.extensions?.code).toBe(
      'FORBIDDEN',
    );
    expect((await s.query(url, NOTIFICATION, emailEntity, stranger)).errors?.[0]?.extensions?.code).toBe(
      'FORBIDDEN',
    );
    expect((await s.query(url, USER_NOTIFICATIONS, user)).errors?.[0]?.extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
    const asAdmin = await s.query(url, USER_NOTIFICATIONS, user, admin);
    expect((asAdmin.data as UserNotificationsData)._entities[0]!.notifications.edges).toHaveLength(1);
    const own = await s.query(url, NOTIFICATION, emailEntity, jane);
    expect(own.data).toEqual({ _entities: [{ id: notificationId(event.eventId, 'EMAIL'), status: 'SENT' }] });

    const direct = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(direct.status).toBe(403);
  });

  it('answers null for representations whose id is not a string, keeping the rest of the batch', async () => {
    const jane = s.customer();
    const event = s.paidEvent(jane.id);
    await s.publish(event);
    await mailsTo(jane.email);
    await waitFor(() => s.drained());
    const emailId = notificationId(event.eventId, 'EMAIL');
    const bad: unknown[] = [{ $gt: '' }, 42, null, '', ['x']];
    const entities = async (typename: string, id: string, selection: string) => {
      const res = await s.query(
        url,
        `query ($r: [_Any!]!) { _entities(representations: $r) { ... on ${typename} { ${selection} } } }`,
        { r: [id, ...bad].map((each) => ({ __typename: typename, id: each })) },
        jane,
      );
      expect(res.errors).toBeUndefined();
      return (res.data as { _entities: unknown[] })._entities;
    };
    const none = bad.map(() => null);
    expect(await entities('Notification', emailId, 'id status')).toEqual([
      { id: emailId, status: 'SENT' },
      ...none,
    ]);
    expect(await entities('User', jane.id, 'id')).toEqual([{ id: jane.id }, ...none]);
    expect(await entities('Order', event.orderId, 'id')).toEqual([{ id: event.orderId }, ...none]);
  });

  it('sends one email for an event published twice: same message id, and a re-send with a new one', async () => {
    const jane = s.customer();
    const event = s.paidEvent(jane.id);
    expect((await s.publish(event)).duplicate).toBe(false);
    expect((await s.publish(event)).duplicate).toBe(true);
    await mailsTo(jane.email);
    await waitFor(() => s.drained());
    const requestsBefore = s.contactRequests();

    // After the duplicate window the stream accepts it again: a new message id, the same event.
    expect((await s.publish(event, `${event.eventId}-after-window`)).duplicate).toBe(false);
    await waitFor(() => s.drained());
    await sleep(300);
    expect(await mailpit.messagesTo(jane.email)).toHaveLength(1);
    expect(s.contactRequests()).toBe(requestsBefore);
    expect((await s.repo.getNotification(notificationId(event.eventId, 'EMAIL')))?.value).toMatchObject({
      status: 'SENT',
      attempts: 1,
    });
    expect(
      s.logs.lines.some(
        (line) => line.includes('duplicate orders.paid event') && line.includes(event.eventId),
      ),
    ).toBe(true);
  });

  it('retries later when users does not answer, then sends exactly once', async () => {
    const jane = s.customer();
    const event = s.paidEvent(jane.id);
    s.setUsersSilent(true);
    try {
      await s.publish(event);
      await waitFor(
        () => s.logs.lines.filter((l) => l.includes('will retry') && l.includes('users.contact')).length >= 2,
        { timeoutMs: 10_000 },
      );
      expect(await mailpit.messagesTo(jane.email)).toHaveLength(0);
      expect((await s.repo.getEvent(event.eventId))?.value.status).toBe('PROCESSING');
    } finally {
      s.setUsersSilent(false);
    }
    await mailsTo(jane.email);
    await waitFor(() => s.drained());
    expect(await mailpit.messagesTo(jane.email)).toHaveLength(1);
    expect((await s.repo.getEvent(event.eventId))?.value.status).toBe('DONE');
  });
});
