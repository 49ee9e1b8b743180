import DataLoader from 'dataloader';
import type { Loaders } from './context';
import type { PaymentRepository } from './payments.repository';

/** Per-request loaders: one Redis pipeline per batch, whatever the number of entities. */
export function createLoaders(repository: PaymentRepository): Loaders {
  return {
    paymentById: new DataLoader((ids) => repository.paymentsByIds(ids)),
    paymentsByOrder: new DataLoader((orderIds) => repository.paymentsByOrders(orderIds)),
  };
}
