import type { PasswordResetReply, PasswordResetRequest } from '@shop/messaging';
import { ServiceUnavailableError } from '@shop/messaging';
import type { Logger } from '@shop/server';
import type { PasswordHasher } from './passwords';
import type { PasswordResetsRepository } from './resets.repository';
import { hashOfPresented, newToken } from './tokens';
import type { UsersRepository } from './users.repository';
import type { TooManyAttempts } from './users.sessions';
import { asNewPassword } from './users.sessions';
import { checkPassword, isInvalid, normalizeEmail, type InvalidInput } from './validation';

/**
 * Password reset by email, the rules (UsersService delegates here).
 *
 * requestPasswordReset answers the same success for every well-formed address once it is counted
 * by the throttle (per email address and per client address, counted alike whether the account
 * exists or not). Everything that depends on the account (the lookup, the token, the request to
 * notifications and the SMTP send behind it) runs after the answer, off the request's path: the
 * answer's content and timing cannot tell whether the address has an account, nor can notifications
 * or SMTP being slow or down.
 *
 * resetPassword spends the token (single use, also under concurrency), sets the password, revokes
 * every session of the user and every other reset token. It signs nobody in (OWASP Forgot Password
 * Cheat Sheet): the storefront sends the user to sign in with the new password.
 */

export interface ResetPolicy {
  /** How long a reset link works, in seconds. */
  ttlSeconds: number;
  /** The storefront page the link opens; the token is added as `?token=`. */
  url: string;
  /** Requests per email address within a window. */
  maxPerEmail: number;
  /** Requests per client address within a window. */
  maxPerClient: number;
  /** The throttle's window, in seconds. */
  windowSeconds: number;
}

/** notifications.password_reset (notificationsClient in messaging.ts); throws ServiceUnavailableError. */
export interface PasswordResetMailer {
  sendPasswordReset(request: PasswordResetRequest): Promise<PasswordResetReply>;
}

export interface ResetsDeps {
  repository: UsersRepository;
  resets: PasswordResetsRepository;
  passwords: PasswordHasher;
  log: Logger;
  resetPolicy: ResetPolicy;
  mailer: PasswordResetMailer;
  deliveries: Deliveries;
}

export interface RequestPasswordResetSuccess {
  __typename: 'RequestPasswordResetSuccess';
  message: string;
}
export interface ResetPasswordSuccess {
  __typename: 'ResetPasswordSuccess';
  email: string;
}
export interface InvalidResetToken {
  __typename: 'InvalidResetTokenError';
  message: string;
}
export type RequestPasswordResetOutcome = RequestPasswordResetSuccess | TooManyAttempts | InvalidInput;
export type ResetPasswordOutcome = ResetPasswordSuccess | InvalidResetToken | InvalidInput;

export const RESET_REQUESTED: RequestPasswordResetSuccess = {
  __typename: 'RequestPasswordResetSuccess',
  message: 'If an account uses this email address, a link to reset its password is on its way',
};
const INVALID_RESET_TOKEN: InvalidResetToken = {
  __typename: 'InvalidResetTokenError',
  message: 'This password reset link is invalid, used or expired; ask for a new one',
};

/** Reset emails being prepared or sent after their answer; stop() waits for them. */
export class Deliveries {
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly max: number,
    private readonly log: Pick<Logger, 'warn'>,
  ) {}

  /** Runs `task` in the background; false (and nothing run) when `max` are already running. */
  run(task: () => Promise<void>): boolean {
    if (this.running.size >= this.max) {
      this.log.warn({ running: this.running.size }, 'too many password reset emails in flight: one dropped');
      return false;
    }
    const done: Promise<void> = task()
      .catch((err: unknown) =>
        this.log.warn({ err: { message: (err as Error)?.message } }, 'password reset email failed'),
      )
      .finally(() => this.running.delete(done));
    this.running.add(done);
    return true;
  }

  get size(): number {
    return this.running.size;
  }

  /** Resolves once every delivery started so far has finished. */
  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}

/** The link of the email: PASSWORD_RESET_URL with `token` added to its query. */
export function resetLink(base: string, token: string): string {
  const url = new URL(base);
  url.searchParams.set('token', token);
  return url.toString();
}

/** After the answer: the account (if any), a token, and the email through notifications. */
async function deliver(deps: ResetsDeps, email: string): Promise<void> {
  const user = await deps.repository.findByEmail(email);
  if (!user) {
    deps.log.info('password reset asked for an address without an account: nothing sent');
    return;
  }
  const token = newToken();
  const expiresAt = await deps.resets.create(user.id, token.hash, deps.resetPolicy.ttlSeconds);
  let reply: PasswordResetReply;
  try {
    reply = await deps.mailer.sendPasswordReset({
      userId: user.id,
      email: user.email,
      name: user.name,
      resetUrl: resetLink(deps.resetPolicy.url, token.token),
      expiresAt: expiresAt.toISOString(),
    });
  } catch (error) {
    // No answer in time: notifications may still send it, so the token stays (it expires anyway).
    if (error instanceof ServiceUnavailableError) {
      deps.log.warn({ userId: user.id }, 'password reset email: notifications did not answer');
      return;
    }
    throw error;
  }
  if (!reply.ok) {
    await deps.resets.discard(token.hash);
    deps.log.warn({ userId: user.id, code: reply.code }, 'password reset email not sent');
    return;
  }
  deps.log.info({ userId: user.id }, 'password reset email sent');
}

export async function requestPasswordReset(
  deps: ResetsDeps,
  emailInput: string,
  clientAddress: string,
): Promise<RequestPasswordResetOutcome> {
  const email = normalizeEmail(emailInput);
  if (isInvalid(email)) return email;
  const policy = deps.resetPolicy;
  const counts = await deps.resets.countRequest(email, clientAddress, policy.windowSeconds);
  const refused = [
    ...(counts.email.requests > policy.maxPerEmail ? [counts.email.resetsInSeconds] : []),
    ...(counts.client.requests > policy.maxPerClient ? [counts.client.resetsInSeconds] : []),
  ];
  if (refused.length > 0) {
    const retryAfterSeconds = Math.max(1, Math.ceil(Math.max(...refused)));
    deps.log.warn({ retryAfterSeconds }, 'password reset requests throttled');
    return {
      __typename: 'TooManyAttemptsError',
      message: `Too many password reset requests; try again in ${retryAfterSeconds} seconds`,
      retryAfterSeconds,
    };
  }
  deps.deliveries.run(() => deliver(deps, email));
  return RESET_REQUESTED;
}

export async function resetPassword(
  deps: ResetsDeps,
  token: string,
  newPassword: string,
): Promise<ResetPasswordOutcome> {
  const checked = checkPassword(newPassword);
  if (isInvalid(checked)) return asNewPassword(checked);
  const presented = hashOfPresented(token);
  // A cheap look first, so that a made-up token costs no password hash.
  if (!presented || !(await deps.resets.isUsable(presented))) return INVALID_RESET_TOKEN;
  const passwordHash = await deps.passwords.hash(checked);
  const reset = await deps.resets.consume(presented, passwordHash);
  if (!reset) return INVALID_RESET_TOKEN;
  deps.log.info({ userId: reset.userId }, 'password reset: every session revoked');
  return { __typename: 'ResetPasswordSuccess', email: reset.email };
}
