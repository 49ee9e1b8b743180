import { randomUUID } from 'node:crypto';
import { isUserId, type PasswordResetReply, type PasswordResetRequest } from '@shop/messaging';
import type { Logger } from '@shop/server';
import type { EmailSender } from './channels';
import { escapeHtml, html, maskEmail, oneLine, type RenderedEmail } from './format';

/**
 * notifications.password_reset (served in messaging.ts): users asks for the password-reset email of
 * an account and waits for the answer. The email goes out over the SMTP channel at once; nothing of
 * it is kept: no notification record, nothing in the KV bucket, and no log line names the link or
 * the token (the log says who it was for, with the address masked).
 */

/** Longer than any link users builds (PASSWORD_RESET_URL plus a 43-character token). */
export const MAX_RESET_LINK_LENGTH = 2048;

/**
 * The link to put in the email, or null when it must not be sent: an absolute http(s) URL written
 * out in full, without user name or password, whitespace or control characters. The answer is the
 * URL as the WHATWG parser serialises it, so it can go into an href once HTML-escaped.
 */
export function resetLink(url: string): string | null {
  if (url.length === 0 || url.length > MAX_RESET_LINK_LENGTH) return null;
  if (/[\s\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u.test(url)) return null;
  if (!/^https?:\/\/[^/\\]/i.test(url)) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.username || parsed.password || !parsed.hostname) return null;
  return parsed.toString();
}

/** A plain recipient address: one @, no whitespace, angle brackets, quotes or commas. */
const RECIPIENT = /^[^\s@<>",;]+@[^\s@<>",;]+$/;

export const PASSWORD_RESET_SUBJECT = 'Reset your password';

/** The reset email: greeting by name, the link, how long it works, and what to do if it was not you. */
export function renderPasswordResetEmail(
  request: Pick<PasswordResetRequest, 'name'>,
  link: string,
  minutes: number,
): RenderedEmail {
  const validity = `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const text = [
    `Hello ${oneLine(request.name)},`,
    '',
    'someone asked to reset the password of your account. To choose a new password, open this link',
    `within ${validity}:`,
    '',
    link,
    '',
    'The link works once. If you did not ask for it, ignore this email: your password stays as it is.',
    '',
    'Your shop',
  ].join('\n');
  const body = `<!doctype html>
<html><body>
<p>Hello ${html(request.name)},</p>
<p>someone asked to reset the password of your account. To choose a new password, open this link within ${validity}:</p>
<p><a href="${escapeHtml(link)}">Choose a new password</a></p>
<p>Or copy it into your browser: ${escapeHtml(link)}</p>
<p>The link works once. If you did not ask for it, ignore this email: your password stays as it is.</p>
<p>Your shop</p>
</body></html>`;
  return { subject: PASSWORD_RESET_SUBJECT, text, html: body };
}

export interface PasswordResetMailerDeps {
  email: EmailSender;
  log: Pick<Logger, 'info' | 'warn'>;
  now?: () => Date;
}

const invalid = (message: string): PasswordResetReply => ({ ok: false, code: 'INVALID_REQUEST', message });

/** Sends password-reset emails; keeps and logs no part of the link. */
export class PasswordResetMailer {
  constructor(private readonly deps: PasswordResetMailerDeps) {}

  async send(request: PasswordResetRequest): Promise<PasswordResetReply> {
    if (!isUserId(request.userId)) return invalid('userId is not a user id as users issues it');
    if (!RECIPIENT.test(request.email)) return invalid('email is not a plain address');
    const link = resetLink(request.resetUrl);
    if (!link) return invalid('resetUrl is not an absolute http(s) URL without credentials');
    const now = (this.deps.now ?? (() => new Date()))();
    const expiresAt = Date.parse(request.expiresAt);
    if (!Number.isFinite(expiresAt) || expiresAt <= now.getTime())
      return invalid('expiresAt is not a future instant');
    const minutes = Math.max(1, Math.round((expiresAt - now.getTime()) / 60_000));
    const rendered = renderPasswordResetEmail(request, link, minutes);
    try {
      await this.deps.email.send({ to: request.email, ...rendered, idempotencyKey: randomUUID() });
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      this.deps.log.warn(
        { userId: request.userId, code: typeof code === 'string' ? code : null },
        'password reset email could not be sent',
      );
      return { ok: false, code: 'SEND_FAILED', message: 'the email could not be sent' };
    }
    this.deps.log.info(
      { userId: request.userId, recipient: maskEmail(request.email) },
      'password reset email sent',
    );
    return { ok: true };
  }
}
