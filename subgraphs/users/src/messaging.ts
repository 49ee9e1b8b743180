import {
  ContactRequest,
  endpoint,
  serveEndpoints,
  type NatsConnection,
  type NatsNames,
} from '@shop/messaging';
import type { Logger, Stoppable } from '@shop/server';
import type { UsersService } from './users.service';

export interface MessagingDeps {
  nc: NatsConnection;
  names: NatsNames;
  service: UsersService;
  log: Logger;
}

/**
 * The whole NATS surface of users: it serves users.contact (queue group `users`), which
 * notifications calls to reach a customer. It consumes no events and calls no other service.
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
    ],
    deps.log,
  );
}
