import { ReleaseReply, ReserveReply, request, type NatsConnection, type NatsNames } from '@shop/messaging';
import type { ProductsClient } from './orders.service';

/** products.reserve / products.release over NATS request-reply, with a timeout. */
export function natsProductsClient(nc: NatsConnection, names: NatsNames, timeoutMs: number): ProductsClient {
  return {
    reserve: (orderId, items) =>
      request(nc, names.commands.productsReserve, { orderId, items }, ReserveReply, timeoutMs),
    async release(orderId) {
      const reply = await request(nc, names.commands.productsRelease, { orderId }, ReleaseReply, timeoutMs);
      if (!reply.ok) throw new Error(`products refused to release ${orderId}: ${reply.message}`);
    },
  };
}
