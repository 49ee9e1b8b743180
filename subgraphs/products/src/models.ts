import type { Money } from '@shop/graphql';

/** The products domain's model types: what the repositories return and the services work with. */

/** The defaults of MAX_STOCK and MAX_PRICE_AMOUNT (config.ts says why these values). */
export const DEFAULT_MAX_STOCK = 1_000_000;
export const DEFAULT_MAX_PRICE_AMOUNT = 1_000_000;

export const CURRENCIES = ['EUR', 'USD', 'GBP'] as const;
export type Currency = (typeof CURRENCIES)[number];

/** What createProduct stores (validated). */
export interface NewProduct {
  sku: string;
  name: string;
  description: string;
  /** Minor units (cents). */
  price: Money;
  stock: number;
  category: string;
}

/** A stored product: what createProduct stored, with its id and timestamps. */
export interface ProductModel extends NewProduct {
  id: string;
  createdAt: Date;
  updatedAt: Date;
}

export type ProductPatch = Partial<Omit<NewProduct, 'stock'>>;

export const PRODUCT_SORTS = ['PRICE_ASC', 'PRICE_DESC', 'NAME_ASC', 'NEWEST'] as const;
export type ProductSort = (typeof PRODUCT_SORTS)[number];

export interface ProductFilter {
  search?: string | null;
  category?: string | null;
  inStock?: boolean | null;
  minPrice?: number | null;
  maxPrice?: number | null;
}

/** Where a keyset page starts: the sort key value and id of the last row seen. */
export interface ProductCursor {
  sort: ProductSort;
  /** number (price), string (name) or ISO date string (createdAt). */
  value: number | string;
  id: string;
}

/** One product taken by a reservation, priced when it was taken. */
export interface ReservedLine {
  productId: string;
  sku: string;
  name: string;
  quantity: number;
  unitPrice: Money;
}

/**
 * PENDING: written before any stock is taken (a crash leaves it behind for recovery); RESERVED: every
 * item taken; RELEASED: given back (or refused before it was taken); SOLD: the order was paid.
 */
export const RESERVATION_STATUSES = ['PENDING', 'RESERVED', 'RELEASED', 'SOLD'] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

/** One product an order asks for. */
export interface ReservationItem {
  productId: string;
  quantity: number;
}

/** What an order holds: one record per orderId (unique), so reserve and release are idempotent. */
export interface ReservationModel {
  orderId: string;
  status: ReservationStatus;
  /** What was asked for, one entry per product. */
  items: ReservationItem[];
  lines: ReservedLine[];
  createdAt: Date;
  updatedAt: Date;
}
