import DataLoader from 'dataloader';
import type { Viewer } from '@shop/auth';
import type { AddressModel, UserModel } from './models';
import type { UsersService } from './users.service';

/** Per-request DataLoaders: one datastore round trip per batch of keys. */
export interface Loaders {
  userById: DataLoader<string, UserModel | null>;
  /** User.defaultShippingAddress by user id; null unless the viewer is that user or an admin. */
  defaultAddressByUserId: DataLoader<string, AddressModel | null>;
}

/**
 * Made per request by the server's context function. A user's name is public, so the viewer does
 * not change what userById loads (email and phone are decided per field by
 * UsersService.canSeeContact); the default address goes through the service's ownership check.
 */
export function createLoaders(service: UsersService, viewer: Viewer | null): Loaders {
  return {
    userById: new DataLoader((ids: readonly string[]) => service.usersByIds(ids)),
    defaultAddressByUserId: new DataLoader((ids: readonly string[]) =>
      service.defaultShippingAddresses(viewer, ids),
    ),
  };
}
