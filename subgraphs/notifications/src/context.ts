import type { Viewer } from '@shop/auth';
import type { Logger } from '@shop/observability';
import type DataLoader from 'dataloader';
import type { NotificationModel } from './models';

export interface Loaders {
  /** Notifications by id (null when absent); one KV read per distinct id in a request. */
  notification: DataLoader<string, NotificationModel | null>;
}

export interface Context {
  viewer: Viewer | null;
  requestId: string;
  loaders: Loaders;
  log: Logger;
}
