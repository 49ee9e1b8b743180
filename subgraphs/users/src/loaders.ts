import DataLoader from 'dataloader';
import type { Viewer } from '@shop/auth';
import type { UserModel } from './models';
import type { UsersService } from './users.service';

/** Per-request DataLoaders: one datastore round trip per batch of keys. */
export interface Loaders {
  userById: DataLoader<string, UserModel | null>;
}

/**
 * Made per request by the server's context function. A user's name is public, so the viewer does
 * not change what is loaded (email and phone are decided per field by UsersService.canSeeContact);
 * the parameter keeps the one signature every subgraph has.
 */
export function createLoaders(service: UsersService, _viewer: Viewer | null): Loaders {
  return { userById: new DataLoader((ids: readonly string[]) => service.usersByIds(ids)) };
}
