import DataLoader from 'dataloader';
import type { Viewer } from '@shop/auth';
import type { NotificationModel } from './models';
import type { NotificationsService } from './notifications.service';

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

/** Made per request by the server's context function, over the service's ownership-checking batches. */
export function createLoaders(service: NotificationsService, viewer: Viewer | null): Loaders {
  return {
    notification: new DataLoader((ids: readonly string[]) => service.findNotifications(viewer, ids)),
    orderNotifications: new DataLoader((ids: readonly string[]) => service.listForOrders(viewer, ids)),
  };
}
