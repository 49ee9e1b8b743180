import { randomBytes, randomUUID } from 'node:crypto';
import { Kvm } from '@nats-io/kv';
import { PasswordResetReply, request, type PasswordResetRequest } from '@shop/messaging';
import { runId } from '@shop/testing';
import { closedPort, mailpit, mailsTo, scenario } from './harness';

/**
 * notifications.password_reset against NATS and Mailpit: the email arrives with a working link,
 * escaped; a refused request sends nothing; nothing of the link is kept in the bucket or the logs.
 */
describe('notifications.password_reset', () => {
  let s: Awaited<ReturnType<typeof scenario>>;
  const links: string[] = [];

  beforeAll(async () => {
    s = await scenario('nreset');
    await s.startApp();
  });
  afterAll(async () => {
    await s.cleanup();
  });

  const bucket = async () => {
    const kv = await new Kvm(s.nc).open(s.names.buckets.notifications);
    const entries: string[] = [];
    for await (const key of await kv.keys()) entries.push(`${key}=${(await kv.get(key))?.string() ?? ''}`);
    return entries.sort();
  };

  /** A request as users sends it: a fresh token in the link, valid for 30 minutes. */
  const resetRequest = (overrides: Partial<PasswordResetRequest> = {}): PasswordResetRequest => {
    const token = randomBytes(32).toString('base64url');
    const resetUrl = `https://shop.example/reset-password?lang=en&token=${token}`;
    links.push(resetUrl, token);
    return {
      userId: randomUUID(),
      email: `${runId('reset')}@example.com`,
      name: 'Ada Lovelace',
      resetUrl,
      expiresAt: new Date(Date.now() + 30 * 60_000).toISOString(),
      ...overrides,
    };
  };
  const ask = (body: unknown) =>
    request(s.nc, s.names.commands.notificationsPasswordReset, body, PasswordResetReply, 10_000);

  it('emails the link (text and an escaped href) at once and answers ok', async () => {
    const before = await bucket();
    const body = resetRequest({ name: '<b>Ada</b> & "Co"\u202e' });
    expect(await ask(body)).toEqual({ ok: true });
    const [message] = await mailsTo(body.email);
    expect(message!.Subject).toBe('Reset your password');
    const mail = await mailpit.message(message!.ID);
    expect(mail.To.map((t) => t.Address)).toEqual([body.email]);
    expect(mail.Text).toContain(body.resetUrl);
    expect(mail.Text).toContain('within 30 minutes');
    expect(mail.Text).toContain('Hello <b>Ada</b> & "Co",');
    expect(mail.HTML).toContain(`<a href="${body.resetUrl.replaceAll('&', '&amp;')}">`);
    expect(mail.HTML).toContain('Hello &lt;b&gt;Ada&lt;/b&gt; &amp; &quot;Co&quot;,');
    expect(mail.HTML).not.toContain('<b>Ada');
    // the link works as given: the token comes back out of the href unchanged
    const href = /<a href="([^"]+)">/.exec(mail.HTML)![1]!.replaceAll('&amp;', '&');
    expect(new URL(href).searchParams.get('token')).toBe(new URL(body.resetUrl).searchParams.get('token'));
    // nothing kept: the bucket is as it was
    expect(await bucket()).toEqual(before);
  });

  it('refuses a request it must not send, and sends nothing for it', async () => {
    const refusals: [string, Partial<PasswordResetRequest>][] = [
      ['userId', { userId: randomUUID().toUpperCase() }],
      ['email', { email: 'a@b.example\r\nBcc: x@evil.example' }],
      ['email', { email: 'Ada <ada@example.com>' }],
      ['resetUrl', { resetUrl: 'javascript:alert(1)//https://shop.example' }],
      ['resetUrl', { resetUrl: 'https://user:pw@shop.example/reset?token=x' }],
      ['resetUrl', { resetUrl: 'https:/shop.example/reset?token=x' }],
      ['resetUrl', { resetUrl: 'https://shop.example/reset?token= x' }],
      ['expiresAt', { expiresAt: new Date(Date.now() - 1000).toISOString() }],
      ['expiresAt', { expiresAt: 'soon' }],
    ];
    const addresses: string[] = [];
    for (const [field, change] of refusals) {
      const body = resetRequest(change);
      if (!change.email) addresses.push(body.email);
      const reply = await ask(body);
      expect(reply).toMatchObject({ ok: false, code: 'INVALID_REQUEST' });
      if (!reply.ok) expect(reply.message).toMatch(new RegExp(`^${field}`));
    }
    // not even valid per the contract
    expect(await ask({ userId: randomUUID(), email: 'x@example.com' })).toMatchObject({ ok: false });
    expect(await ask(resetRequest({ resetUrl: 'not a url' }))).toMatchObject({ code: 'INVALID_REQUEST' });
    // a valid one afterwards arrives, the refused ones never did
    const valid = resetRequest();
    expect(await ask(valid)).toEqual({ ok: true });
    await mailsTo(valid.email);
    for (const address of addresses) expect(await mailpit.messagesTo(address)).toEqual([]);
  });

  it('answers SEND_FAILED when SMTP is down, and logs nothing of the link', async () => {
    const down = await s.startApp({ SMTP_URL: `smtp://127.0.0.1:${await closedPort()}` });
    try {
      // two instances share the queue group: ask until the one without SMTP answers
      const replies: PasswordResetReply[] = [];
      for (let i = 0; i < 12 && !replies.some((r) => !r.ok); i++) replies.push(await ask(resetRequest()));
      expect(replies).toContainEqual({
        ok: false,
        code: 'SEND_FAILED',
        message: 'the email could not be sent',
      });
    } finally {
      await down.stop();
    }
  });

  it('keeps no link or token in the logs or the bucket', async () => {
    const logs = s.logs.lines.join('\n');
    expect(logs).toMatch(/password reset email sent/);
    const kept = (await bucket()).join('\n');
    expect(links.length).toBeGreaterThan(10);
    for (const secret of links) {
      expect(logs).not.toContain(secret);
      expect(kept).not.toContain(secret);
    }
  });
});
