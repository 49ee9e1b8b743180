import {
  AddressRequest,
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
 * notifications calls to reach a customer, and users.address, which orders calls to snapshot an
 * address of the customer's book at checkout. It consumes no events and calls no other service.
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
