import {
  AddressRequest,
  ContactRequest,
  endpoint,
  PasswordResetReply,
  request,
  serveEndpoints,
  ServiceUnavailableError,
  type NatsConnection,
  type NatsNames,
} from '@shop/messaging';
import type { Logger, Stoppable } from '@shop/server';
import type { PasswordResetMailer } from './users.resets';
import type { UsersService } from './users.service';

export interface MessagingDeps {
  nc: NatsConnection;
  names: NatsNames;
  service: UsersService;
  log: Logger;
}

/**
 * The whole NATS surface of users: it serves users.contact (queue group `users`), which
 * notifications calls to reach a customer, and users.address, which orders calls to snapshot an
 * address of the customer's book at checkout. It consumes no events; it calls
 * notifications.password_reset (notificationsClient below) to email a password-reset link.
 */
export async function startMessaging(deps: MessagingDeps): Promise<Stoppable> {
  return serveEndpoints(
    deps.nc,
    deps.names.services.users,
    [
      endpoint({
        name: 'contact',
        subject: deps.names.commands.usersContact,
        schema: ContactRequest,
        handler: ({ userId }) => deps.service.contact(userId),
      }),
      endpoint({
        name: 'address',
        subject: deps.names.commands.usersAddress,
        schema: AddressRequest,
        handler: ({ userId, addressId }) => deps.service.address(userId, addressId),
      }),
    ],
    deps.log,
  );
}

/**
 * notifications.password_reset over NATS request-reply (never a stream: the link carries the reset
 * token). `connection` is read per call (NATS connects in start()); no connection or no answer in
 * time is a ServiceUnavailableError.
 */
export function notificationsClient(
  connection: () => NatsConnection | undefined,
  names: NatsNames,
  timeoutMs: number,
): PasswordResetMailer {
  const subject = names.commands.notificationsPasswordReset;
  return {
    async sendPasswordReset(body) {
      const nc = connection();
      if (!nc || nc.isClosed())
        throw new ServiceUnavailableError(subject, new Error('NATS is not connected'));
      return request(nc, subject, body, PasswordResetReply, timeoutMs);
    },
  };
}
