import type { Viewer } from '@shop/auth';
import type { Logger } from '@shop/server';
import type DataLoader from 'dataloader';
import type { NotificationModel } from './models';

/**
 * Per-request loaders: every Order.notifications / Notification reference of a request is answered
 * by one batch, which costs a constant number of KV round trips for the viewer's own data.
 */
export interface Loaders {
  /** Notification entity references by id: the record, null when unknown; FORBIDDEN rejects. */
  notification: DataLoader<string, NotificationModel | null>;
  /** Order.notifications by order id, oldest first; FORBIDDEN rejects. */
  orderNotifications: DataLoader<string, NotificationModel[]>;
}

export interface Context {
  viewer: Viewer | null;
  requestId: string;
  loaders: Loaders;
  log: Logger;
}
