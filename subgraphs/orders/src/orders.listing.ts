import { requireAdmin, type Viewer } from '@shop/auth';
import { badUserInput } from '@shop/errors';
import { decodeCursor, encodeCursor, toConnection, type Connection } from '@shop/graphql';
import { isUserId } from '@shop/messaging';
import { ORDER_STATUSES, type OrderModel, type OrderStatus } from './models';
import type { OrderListFilter } from './orders.repository';
import type { OrdersDeps } from './orders.service';

/** Query.orders: the administrators' list of every customer's orders. */

/** The filter as GraphQL gives it (every field optional, null as absent). */
export interface OrderFilterInput {
  status?: OrderStatus | null;
  placedFrom?: Date | string | null;
  placedTo?: Date | string | null;
  userId?: string | null;
}

export const ADMIN_PAGE_DEFAULT = 20;
export const ADMIN_PAGE_MAX = 100;

/** The cursor of both order lists (User.orders too): the order's seq. */
export const isSeqCursor = (v: unknown): v is [number] =>
  Array.isArray(v) && v.length === 1 && Number.isSafeInteger(v[0]) && (v[0] as number) > 0;

const toDate = (value: Date | string, field: string): Date => {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw badUserInput(`${field} is not a valid DateTime`, field);
  return date;
};

/**
 * Validates the filter: status one of OrderStatus, placedFrom <= placedTo (else BAD_USER_INPUT).
 * A userId not in the issued form names no user: null (the caller answers an empty page).
 */
function listFilter(input: OrderFilterInput | null | undefined): OrderListFilter | null {
  const filter: OrderListFilter = {};
  if (!input) return filter;
  if (input.status !== null && input.status !== undefined) {
    if (!(ORDER_STATUSES as readonly string[]).includes(input.status))
      throw badUserInput('filter.status is not an order status', 'filter.status');
    filter.status = input.status;
  }
  if (input.placedFrom !== null && input.placedFrom !== undefined)
    filter.placedFrom = toDate(input.placedFrom, 'filter.placedFrom');
  if (input.placedTo !== null && input.placedTo !== undefined)
    filter.placedTo = toDate(input.placedTo, 'filter.placedTo');
  if (filter.placedFrom && filter.placedTo && filter.placedFrom > filter.placedTo)
    throw badUserInput('filter.placedFrom must not be after filter.placedTo', 'filter.placedTo');
  if (input.userId !== null && input.userId !== undefined) {
    if (!isUserId(input.userId)) return null;
    filter.userId = input.userId;
  }
  return filter;
}

/**
 * Query.orders: admins only (FORBIDDEN for customers, UNAUTHENTICATED without a viewer). Newest
 * first (by placement sequence), `first` 1..100 (default 20; 0, negative or above 100 is
 * BAD_USER_INPUT), `after` an opaque cursor of this list or of User.orders (anything else is
 * BAD_USER_INPUT). filter.userId in another form than users issues (another letter case, braces)
 * names nobody: an empty page without a query, as User.orders answers it.
 */
export async function listAllOrders(
  deps: OrdersDeps,
  viewer: Viewer | null,
  filterInput: OrderFilterInput | null | undefined,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<Connection<OrderModel>> {
  requireAdmin(viewer);
  const limit = first ?? ADMIN_PAGE_DEFAULT;
  if (!Number.isInteger(limit) || limit < 1 || limit > ADMIN_PAGE_MAX)
    throw badUserInput(`first must be between 1 and ${ADMIN_PAGE_MAX}`, 'first');
  const beforeSeq = after === null || after === undefined ? null : decodeCursor(after, isSeqCursor)[0];
  const filter = listFilter(filterInput);
  if (filter === null) return toConnection<OrderModel>([], limit, () => '', beforeSeq !== null);
  const rows = await deps.repository.listAll(filter, limit + 1, beforeSeq);
  return toConnection(rows, limit, (o) => encodeCursor([o.seq]), beforeSeq !== null);
}
