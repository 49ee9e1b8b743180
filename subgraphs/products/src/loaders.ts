import DataLoader from 'dataloader';
import type { Context } from './context';
import type { ProductService } from './product.service';

/** A fresh set of loaders per request: one datastore query per batch of product ids. */
export function createLoaders(products: ProductService): Context['loaders'] {
  return {
    product: new DataLoader((ids: readonly string[]) => products.productsByIds(ids), { maxBatchSize: 1000 }),
  };
}
