import type DataLoader from 'dataloader';
import type { Viewer } from '@shop/auth';
import type { Logger } from '@shop/server';
import type { PaymentModel, RefundModel } from './models';

/** Per-request loaders over the service's ownership-checking batch methods (see loaders.ts). */
export interface Loaders {
  /** Payments by id: null when missing or not visible to the viewer. */
  paymentById: DataLoader<string, PaymentModel | null>;
  /** The payment shown on each order (null when none is visible to the viewer). */
  paymentOfOrder: DataLoader<string, PaymentModel | null>;
  /** The refunds of a payment the viewer may already see, oldest first. */
  refundsOfPayment: DataLoader<string, RefundModel[]>;
}

export interface Context {
  viewer: Viewer | null;
  requestId: string;
  loaders: Loaders;
  log: Logger;
}
