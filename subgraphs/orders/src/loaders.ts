import type { Viewer } from '@shop/auth';
import DataLoader from 'dataloader';
import type { CartDiscount } from './discounts.service';
import type { CartModel, OrderItemModel, OrderModel, PricedCart } from './models';
import type { OrdersService } from './orders.service';

/**
 * Per-request DataLoaders over the service's batch reads: however many orders a query touches,
 * their rows and their items are each fetched in one query per batch. The service checks
 * ownership (orders the viewer may not see load as null and have no items).
 */
export function createLoaders(service: OrdersService, viewer: Viewer | null) {
  /**
   * A cart at today's prices: the carts of one request priced together, one products.lookup for
   * all their products (SERVICE_UNAVAILABLE when products does not answer). Keyed by id and version.
   */
  const pricedCart = new DataLoader<CartModel, PricedCart, string>(
    (carts) => service.carts.priceForRead(carts),
    { cacheKeyFn: (cart) => `${cart.id}:${cart.version}` },
  );
  return {
    pricedCart,
    orderById: new DataLoader<string, OrderModel | null>((ids) => service.ordersFor(viewer, ids)),
    itemsByOrder: new DataLoader<OrderModel, OrderItemModel[], string>(
      (orders) => service.itemsFor(viewer, orders),
      { cacheKeyFn: (order) => order.id },
    ),
    /** Cart.discount / discountProblem: the carts priced once, their codes read in one query. */
    cartDiscount: new DataLoader<CartModel, CartDiscount, string>(
      async (carts) => service.discounts.forCarts(await Promise.all(carts.map((c) => pricedCart.load(c)))),
      { cacheKeyFn: (cart) => `${cart.id}:${cart.version}` },
    ),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
