import DataLoader from 'dataloader';
import type { Viewer } from '@shop/auth';
import type { Context, OncePerRequest } from './context';
import type { ProductsService } from './products.service';

/** A value loaded on first use and kept for the request (a failed load is retried on next use). */
export function oncePerRequest<T>(load: () => Promise<T>): OncePerRequest<T> {
  let pending: Promise<T> | null = null;
  return {
    load() {
      pending ??= load().catch((error: unknown) => {
        pending = null;
        throw error;
      });
      return pending;
    },
    clear() {
      pending = null;
    },
  };
}

/**
 * A fresh set of loaders per request: one datastore query per batch of product ids, one read of the
 * category tree. Products and categories are public, so the viewer changes nothing here (the
 * parameter keeps the skeleton's signature; what only admins see is decided by the service).
 */
export function createLoaders(products: ProductsService, _viewer: Viewer | null): Context['loaders'] {
  return {
    product: new DataLoader((ids: readonly string[]) => products.productsByIds(ids), { maxBatchSize: 1000 }),
    categoryTree: oncePerRequest(() => products.categories.loadTree()),
  };
}
