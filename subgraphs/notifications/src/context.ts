import type { Viewer } from '@shop/auth';
import type { Logger } from '@shop/server';
import type { Loaders } from './loaders';

export interface Context {
  viewer: Viewer | null;
  requestId: string;
  /** Per-request DataLoaders (createLoaders). */
  loaders: Loaders;
  log: Logger;
}
