import type { Viewer } from '@shop/auth';
import type { Logger } from '@shop/server';
import type { Loaders } from './loaders';

/** The per-request GraphQL context (the service is closed over by the resolvers, not carried here). */
export interface Context {
  /** Who is asking; null for an anonymous request. */
  viewer: Viewer | null;
  requestId: string;
  /** Per-request DataLoaders (one query per batch). */
  loaders: Loaders;
  log: Logger;
}
