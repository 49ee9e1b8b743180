import type { Viewer } from '@shop/auth';
import type { Logger } from '@shop/server';
import type { Loaders } from './loaders';
import type { OrdersService } from './orders.service';

/** The per-request GraphQL context. */
export interface Context {
  /** Who is asking; null for an anonymous request. */
  viewer: Viewer | null;
  requestId: string;
  /** Per-request DataLoaders (one query per batch). */
  loaders: Loaders;
  orders: OrdersService;
  log: Logger;
}
