import { setTimeout as sleep } from 'node:timers/promises';
import { DeadLetter } from '@shop/messaging';
import { notificationId } from '../src/notifications.repository';
import { closedPort, mailpit, mailsTo, scenario, waitFor } from './harness';

describe('notifications outage: events published while the subgraph is stopped', () => {
  let s: Awaited<ReturnType<typeof scenario>>;
  beforeAll(async () => {
    s = await scenario('nout');
  });
  afterAll(async () => {
    await s.cleanup();
  });

  it('delivers every missed confirmation once it starts, each exactly once', async () => {
    // A first run creates the durable consumer, then the subgraph goes away.
    const first = await s.startApp();
    await first.stop();

    const customers = [s.customer(), s.customer(), s.customer()];
    const events = customers.map((c) => s.paidEvent(c.id));
    for (const event of events) expect((await s.publish(event)).duplicate).toBe(false);
    await sleep(200);
    for (const c of customers) expect(await mailpit.messagesTo(c.email)).toHaveLength(0);

    await s.startApp();
    for (const c of customers) await mailsTo(c.email);
    await waitFor(() => s.drained());
    await sleep(300);
    for (const [i, c] of customers.entries()) {
      const mails = await mailpit.messagesTo(c.email);
      expect(mails).toHaveLength(1);
      expect(mails[0]?.Subject).toBe(`Your order ${events[i]!.orderNumber} is confirmed`);
    }
  });
});

describe('SMTP down, then back', () => {
  let s: Awaited<ReturnType<typeof scenario>>;
  beforeAll(async () => {
    s = await scenario('nsmtp');
  });
  afterAll(async () => {
    await s.cleanup();
  });

  it('retries while the mail server is down and delivers once, not duplicated, after it comes back', async () => {
    const down = await s.startApp({
      SMTP_URL: `smtp://127.0.0.1:${await closedPort()}`,
      BACKOFF_MS: '150',
      MAX_DELIVER: '50',
    });
    const jane = s.customer();
    const event = s.paidEvent(jane.id);
    await s.publish(event);
    const id = notificationId(event.eventId, 'EMAIL');
    const pending = await waitFor(async () => {
      const n = (await s.repo.getNotification(id))?.value;
      return n && n.attempts >= 3 ? n : null;
    });
    expect(pending.status).toBe('PENDING');
    await down.stop();
    const attemptsWhileDown = (await s.repo.getNotification(id))!.value.attempts;
    expect(await mailpit.messagesTo(jane.email)).toHaveLength(0);

    await s.startApp(); // Mailpit's SMTP_URL
    await mailsTo(jane.email);
    await waitFor(() => s.drained());
    await sleep(300);
    expect(await mailpit.messagesTo(jane.email)).toHaveLength(1);
    const sent = (await s.repo.getNotification(id))!.value;
    expect(sent).toMatchObject({ status: 'SENT', attempts: attemptsWhileDown + 1, lastError: null });
    expect((await s.repo.getEvent(event.eventId))?.value.status).toBe('DONE');
  });
});

describe('a notification that keeps failing', () => {
  let s: Awaited<ReturnType<typeof scenario>>;
  beforeAll(async () => {
    s = await scenario('ndead');
  });
  afterAll(async () => {
    await s.cleanup();
  });

  it('ends in the dead-letter subject with the reason, and with status FAILED', async () => {
    const letters: DeadLetter[] = [];
    const sub = s.nc.subscribe(s.names.events.notificationsDeadLetter, {
      callback: (_err, msg) => {
        letters.push(DeadLetter.parse(msg.json()));
      },
    });
    await s.nc.flush();
    const { url } = await s.startApp({
      SMTP_URL: `smtp://127.0.0.1:${await closedPort()}`,
      BACKOFF_MS: '100',
      MAX_DELIVER: '3',
    });
    const jane = s.customer();
    const event = s.paidEvent(jane.id);
    await s.publish(event);

    const [letter] = await waitFor(() => (letters.length > 0 ? letters : null));
    sub.unsubscribe();
    expect(letter).toMatchObject({
      stream: s.names.streams.orders,
      consumer: s.names.consumers.notificationsOnOrdersPaid,
      deliveries: 3,
    });
    expect(letter!.reason).toMatch(/^EMAIL to \w\*\*\*@example\.com failed: .*ECONNREFUSED/);
    expect(JSON.parse(letter!.data)).toMatchObject({ eventId: event.eventId });
    await waitFor(() => s.drained());

    const notification = (await s.repo.getNotification(notificationId(event.eventId, 'EMAIL')))!.value;
    expect(notification).toMatchObject({ status: 'FAILED', attempts: 3 });
    expect((await s.repo.getEvent(event.eventId))?.value).toMatchObject({
      status: 'FAILED',
      failureReason: letter!.reason,
    });
    expect(await mailpit.messagesTo(jane.email)).toHaveLength(0);

    const res = await s.query(
      url,
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { notifications { edges { node { status attempts } } } } } }`,
      { r: [{ __typename: 'User', id: jane.id }] },
      jane,
    );
    expect(res.data).toEqual({
      _entities: [{ notifications: { edges: [{ node: { status: 'FAILED', attempts: 3 } }] } }],
    });
  });
});
