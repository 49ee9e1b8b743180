import DataLoader from 'dataloader';
import type { Viewer } from '@shop/auth';
import type { Context } from './context';
import type { ProductsService } from './products.service';

/**
 * A fresh set of loaders per request: one datastore query per batch of product ids. Products are
 * public, so the viewer changes nothing here (the parameter keeps the skeleton's signature).
 */
export function createLoaders(products: ProductsService, _viewer: Viewer | null): Context['loaders'] {
  return {
    product: new DataLoader((ids: readonly string[]) => products.productsByIds(ids), { maxBatchSize: 1000 }),
  };
}
