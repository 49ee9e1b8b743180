import DataLoader from 'dataloader';
import type { OrderItemModel, OrderModel } from './models';
import type { OrdersRepository } from './orders.repository';

/**
 * Per-request DataLoaders: however many orders a query touches, their rows and their items are
 * each fetched in one query per batch. Ownership is checked by the callers, not here.
 */
export function createLoaders(repo: OrdersRepository) {
  return {
    orderById: new DataLoader<string, OrderModel | null>(async (ids) => {
      const rows = await repo.findByIds(ids);
      const byId = new Map(rows.map((o) => [o.id, o]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    itemsByOrderId: new DataLoader<string, OrderItemModel[]>(async (ids) => {
      const rows = await repo.itemsForOrders(ids);
      const byOrder = new Map<string, OrderItemModel[]>();
      for (const item of rows) {
        const list = byOrder.get(item.orderId) ?? [];
        list.push(item);
        byOrder.set(item.orderId, list);
      }
      return ids.map((id) => byOrder.get(id) ?? []);
    }),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
