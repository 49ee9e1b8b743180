import type DataLoader from 'dataloader';
import type { Viewer } from '@shop/auth';
import type { Logger } from '@shop/server';
import type { PaymentModel } from './models';
import type { PaymentService } from './payments.service';

export interface Loaders {
  /** Payments by id (null when missing). */
  paymentById: DataLoader<string, PaymentModel | null>;
  /** Every payment of an order, oldest first. */
  paymentsByOrder: DataLoader<string, PaymentModel[]>;
}

export interface Context {
  viewer: Viewer | null;
  requestId: string;
  loaders: Loaders;
  log: Logger;
  service: PaymentService;
}
