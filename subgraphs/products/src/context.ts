import type DataLoader from 'dataloader';
import type { Viewer } from '@shop/auth';
import type { Logger } from '@shop/server';
import type { CategoryTree } from './categories.tree';
import type { ProductModel } from './models';

/** A value read at most once per request (on first use) and shared by every resolver of it. */
export interface OncePerRequest<T> {
  load(): Promise<T>;
  /** Forgets the value (after a write in the same request changed it). */
  clear(): void;
}

/** The per-request GraphQL context. */
export interface Context {
  /** The verified caller, null when anonymous. */
  viewer: Viewer | null;
  requestId: string;
  /** Per-request batching loaders (a fresh set per request, so nothing is cached across requests). */
  loaders: {
    /** Products by id; unknown or malformed ids resolve to null. */
    product: DataLoader<string, ProductModel | null>;
    /** The whole category tree: one read per request, whatever asks for categories. */
    categoryTree: OncePerRequest<CategoryTree>;
  };
  log: Logger;
}
