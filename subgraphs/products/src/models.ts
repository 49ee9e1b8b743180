import type { Money } from '@shop/graphql';

/** The products domain's model types: what the repositories return and the services work with. */

/** The defaults of MAX_STOCK and MAX_PRICE_AMOUNT (config.ts says why these values). */
export const DEFAULT_MAX_STOCK = 1_000_000;
export const DEFAULT_MAX_PRICE_AMOUNT = 1_000_000;

export const CURRENCIES = ['EUR', 'USD', 'GBP'] as const;
export type Currency = (typeof CURRENCIES)[number];

/** An image of a product or variant (url absolute, or a path under /images/ of this service). */
export interface ImageModel {
  url: string;
  altText: string;
  width: number;
  height: number;
}

/** An option of a product and its values in display order, e.g. Size: S, M, L. */
export interface OptionModel {
  name: string;
  values: string[];
}

/** A variant's value of one option. */
export interface SelectedOption {
  name: string;
  value: string;
}

/** A variant as createProduct / addVariant store it (validated). */
export interface NewVariant {
  sku: string;
  /** One value of each of the product's options, in the product's option order. */
  selectedOptions: SelectedOption[];
  price: Money;
  stock: number;
  images: ImageModel[];
}

/**
 * A stored variant: its number within the product (ids are `<productId>-<n>`, @shop/messaging
 * variantIdOf) and the units that can be reserved now (`stock`; what orders hold is not in it).
 */
export interface VariantModel extends NewVariant {
  id: string;
  n: number;
  /** The option values joined for display (`M / Blue`); '' without options. */
  title: string;
}

/** What createProduct stores (validated). */
export interface NewProduct {
  name: string;
  /** Unique URL name; made from the name when the input gives none. */
  slug: string;
  description: string;
  /** Category ids (ObjectId hex), the primary first; at least one. */
  categoryIds: string[];
  images: ImageModel[];
  options: OptionModel[];
  /** At least one; a product without options has exactly one (number 1). */
  variants: NewVariant[];
}

/**
 * A stored product. `sku`, `price` and `stock` are derived from the variants and stored with them
 * (the first variant's SKU, the lowest price, the sum of the stock) so that lists filter and sort
 * on them.
 */
export interface ProductModel {
  id: string;
  slug: string;
  name: string;
  description: string;
  categoryIds: string[];
  images: ImageModel[];
  options: OptionModel[];
  /** The variants on sale, in the product's order. */
  variants: VariantModel[];
  sku: string;
  price: Money;
  stock: number;
  createdAt: Date;
  updatedAt: Date;
}

/** Product-level changes (variants change through the variant mutations). */
export interface ProductPatch {
  name?: string;
  slug?: string;
  description?: string;
  categoryIds?: string[];
  images?: ImageModel[];
}

export const PRODUCT_SORTS = ['PRICE_ASC', 'PRICE_DESC', 'NAME_ASC', 'NEWEST', 'RELEVANCE'] as const;
export type ProductSort = (typeof PRODUCT_SORTS)[number];

/** The filter as the API takes it. */
export interface ProductFilter {
  search?: string | null;
  /** A category's slug. */
  category?: string | null;
  categoryId?: string | null;
  inStock?: boolean | null;
  minPrice?: number | null;
  maxPrice?: number | null;
}

/**
 * The filter the repositories run: the category (by slug or id) resolved to the ids of the category
 * and of its whole sub-tree (null: any category; [] never happens: an unknown category is answered
 * with an empty page before any query).
 */
export interface ResolvedFilter {
  search: string | null;
  categoryIds: string[] | null;
  inStock: boolean | null;
  minPrice: number | null;
  maxPrice: number | null;
}

/** A category as stored. */
export interface CategoryModel {
  id: string;
  slug: string;
  name: string;
  description: string;
  position: number;
  parentId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Where a keyset page starts: the sort key value and id of the last row seen. */
export interface ProductCursor {
  sort: ProductSort;
  /** number (price), string (name) or ISO date string (createdAt). */
  value: number | string;
  id: string;
}

/** One variant taken by a reservation, priced when it was taken. */
export interface ReservedLine {
  productId: string;
  variantId: string;
  sku: string;
  name: string;
  variantTitle: string;
  quantity: number;
  unitPrice: Money;
}

/**
 * PENDING: written before any stock is taken (a crash leaves it behind for recovery); RESERVED: every
 * item taken; RELEASED: given back (or refused before it was taken); SOLD: the order was paid.
 */
export const RESERVATION_STATUSES = ['PENDING', 'RESERVED', 'RELEASED', 'SOLD'] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

/** One variant an order asks for (variantId absent: the product's only variant). */
export interface ReservationItem {
  productId: string;
  variantId?: string;
  quantity: number;
}

/** What an order holds: one record per orderId (unique), so reserve and release are idempotent. */
export interface ReservationModel {
  orderId: string;
  status: ReservationStatus;
  /** What was asked for, one entry per variant. */
  items: ReservationItem[];
  lines: ReservedLine[];
  createdAt: Date;
  updatedAt: Date;
}
