import DataLoader from 'dataloader';
import type { Viewer } from '@shop/auth';
import type { Loaders } from './context';
import type { PaymentsService } from './payments.service';

/** Per-request loaders for one viewer: one Redis pipeline per batch, whatever the number of entities. */
export function createLoaders(service: PaymentsService, viewer: Viewer | null): Loaders {
  return {
    paymentById: new DataLoader((ids) => service.paymentsFor(viewer, ids)),
    paymentOfOrder: new DataLoader((orderIds) => service.paymentsOfOrders(viewer, orderIds)),
    // Only for payments already resolved through paymentById / paymentOfOrder (ownership checked).
    refundsOfPayment: new DataLoader((paymentIds) => service.refundsOf(paymentIds)),
  };
}
