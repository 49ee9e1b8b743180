import mongoose from 'mongoose';
import type { Booted } from './helpers';

/**
 * Products for the reservation and variant tests, inserted straight through the variants repository
 * (claims every SKU in the registry, as createProduct does); the admin API is tested on its own.
 */

const tag = () => Math.random().toString(36).slice(2, 10);

/** A product without options: one variant, `<productId>-1`. */
export function addProduct(
  booted: Booted,
  over: Partial<{ sku: string; name: string; stock: number; amount: number }> = {},
) {
  const n = tag();
  return booted.app.variantsRepository.insertProduct(
    { name: over.name ?? `Product ${n}`, slug: `product-${n}`, description: 'test product', categoryIds: [] },
    [],
    [
      {
        sku: over.sku ?? `SKU-${n}`,
        selectedOptions: [],
        price: { amount: over.amount ?? 1000, currency: 'EUR' },
        stock: over.stock ?? 10,
        images: [],
      },
    ],
  );
}

export interface VariantSpec {
  /** One value per option, in the options' order. */
  values: string[];
  stock?: number;
  amount?: number;
  sku?: string;
}

/** A product with options and these variants (numbered 1, 2, ... in the given order). */
export function addVariantProduct(
  booted: Booted,
  options: { name: string; values: string[] }[],
  variants: VariantSpec[],
  name = `Variant product ${tag()}`,
) {
  const n = tag();
  return booted.app.variantsRepository.insertProduct(
    { name, slug: `variant-product-${n}`, description: 'test product with variants', categoryIds: [] },
    options,
    variants.map((v, i) => ({
      sku: v.sku ?? `VAR-${n}-${i + 1}`,
      selectedOptions: options.map((o, j) => ({ name: o.name, value: v.values[j]! })),
      price: { amount: v.amount ?? 1000, currency: 'EUR' },
      stock: v.stock ?? 10,
      images: [],
    })),
  );
}

/** Two sizes of a T-shirt (variants 1 and 2). */
export const sizes = (
  booted: Booted,
  stocks: [number, number] = [10, 10],
  amounts: [number, number] = [1500, 1700],
) =>
  addVariantProduct(
    booted,
    [{ name: 'Size', values: ['S', 'M'] }],
    [
      { values: ['S'], stock: stocks[0], amount: amounts[0] },
      { values: ['M'], stock: stocks[1], amount: amounts[1] },
    ],
  );

/** A stored product document, straight from the store (the test's own connection). */
export async function storedDoc(booted: Booted, productId: string) {
  return booted.store
    .collection('products')
    .findOne({ _id: new mongoose.Types.ObjectId(productId) } as never);
}

/**
 * Per variant, straight from the store: its stock, what orders hold of it, and the product's
 * derived stock (which must be the sum of its variants').
 */
export async function ledgerOf(booted: Booted, productId: string) {
  const doc = await storedDoc(booted, productId);
  const variants = (doc?.variants ?? []) as { n: number; stock: number }[];
  const holds = (doc?.holds ?? []) as { orderId: string; variant?: number; quantity: number }[];
  const byVariant = new Map<number, { stock: number; held: number }>();
  for (const v of variants) byVariant.set(v.n, { stock: v.stock, held: 0 });
  for (const h of holds) {
    const entry = byVariant.get(h.variant ?? 1);
    if (entry) entry.held += h.quantity;
  }
  return {
    productStock: doc?.stock as number,
    variantStockSum: variants.reduce((sum, v) => sum + v.stock, 0),
    byVariant,
    holds,
  };
}
