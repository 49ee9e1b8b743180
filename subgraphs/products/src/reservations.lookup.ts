import { isProductId, type LookedUpProduct, type LookupReply, type LookupRequest } from '@shop/messaging';
import type { ProductsRepository } from './products.repository';

/** How many products one lookup reads at once (FerretDB on SQLite: a few readers beat a crowd). */
const READERS = 16;

/**
 * products.lookup: the live facts of products and of every variant of each (SKU, title, price, units
 * that can be reserved now), reserving nothing; how orders prices a cart. The product's own
 * unitPrice is its lowest variant price and `available` the sum over its variants. An id not in the issued form (another letter case,
 * spaces, ...) or naming no product is left out of the reply; repeated ids are answered once. Stock
 * is what is on hand minus what orders hold (takeStock subtracts a hold in the write that records
 * it), so it is what can be reserved; never below 0. Each product is read by _id alone (FerretDB
 * uses its _id index for that, where `$in` scans the collection; see documents.ts).
 */
export async function lookupProducts(
  products: ProductsRepository,
  request: LookupRequest,
): Promise<LookupReply> {
  const ids = [...new Set(request.productIds.filter(isProductId))];
  const found: LookedUpProduct[] = [];
  for (let i = 0; i < ids.length; i += READERS) {
    const batch = await Promise.all(ids.slice(i, i + READERS).map((id) => products.findById(id)));
    for (const product of batch) {
      if (!product) continue;
      const variants = product.variants.map((v) => ({
        variantId: v.id,
        sku: v.sku,
        title: v.title,
        unitPrice: v.price,
        available: Math.max(0, v.stock),
      }));
      found.push({
        productId: product.id,
        sku: product.sku,
        name: product.name,
        unitPrice: product.price,
        available: variants.reduce((sum, v) => sum + v.available, 0),
        variants,
      });
    }
  }
  return { ok: true, products: found };
}
