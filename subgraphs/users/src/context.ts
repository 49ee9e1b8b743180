import type { Viewer } from '@shop/auth';
import type { Logger } from '@shop/server';
import type { Loaders } from './loaders';

/** Per-request GraphQL context. */
export interface Context {
  /** The verified token's claims, or null for an anonymous request. */
  viewer: Viewer | null;
  requestId: string;
  /** Per-request DataLoaders (createLoaders): one datastore round trip per batch of keys. */
  loaders: Loaders;
  log: Logger;
  /**
   * Accounts that proved their credentials in this request (register, login): the AuthPayload
   * answered to them shows their own email and phone although the request carried no token.
   */
  signedIn: Set<string>;
  /**
   * The throttling bucket of the client's address (clientBucket), from the router's
   * CLIENT_ADDRESS_HEADER; trusted because only requests with the router secret reach GraphQL.
   */
  clientAddress: string;
}
