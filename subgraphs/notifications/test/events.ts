import type { OrderPaidEvent } from '@shop/messaging';

type OrderLine = OrderPaidEvent['items'][number];

/** An order line of `quantity` at `unitAmount` minor units; the line total follows. */
export const line = (productId: string, name: string, quantity: number, unitAmount: number): OrderLine => ({
  productId,
  name,
  quantity,
  unitPrice: { amount: unitAmount, currency: 'EUR' },
  lineTotal: { amount: unitAmount * quantity, currency: 'EUR' },
});

/** An orders.paid event as the orders subgraph publishes it: the total is the sum of the lines. */
export function orderPaid(
  fields: Omit<OrderPaidEvent, 'total' | 'items'>,
  items: OrderLine[],
): OrderPaidEvent {
  const amount = items.reduce((sum, item) => sum + item.lineTotal.amount, 0);
  return { ...fields, total: { amount, currency: 'EUR' }, items };
}
