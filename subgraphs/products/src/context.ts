import type DataLoader from 'dataloader';
import type { Viewer } from '@shop/auth';
import type { Logger } from '@shop/server';
import type { ProductModel } from './models';

/** The per-request GraphQL context. */
export interface Context {
  /** The verified caller, null when anonymous. */
  viewer: Viewer | null;
  requestId: string;
  /** Per-request batching loaders (a fresh set per request, so nothing is cached across requests). */
  loaders: {
    /** Products by id; unknown or malformed ids resolve to null. */
    product: DataLoader<string, ProductModel | null>;
  };
  log: Logger;
}
