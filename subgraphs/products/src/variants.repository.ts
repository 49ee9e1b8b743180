import mongoose, { type Connection, type Model } from 'mongoose';
import { isProductId, isVariantId, parseVariantId } from '@shop/messaging';
import {
  heldOf,
  holdsOf,
  isDuplicateKey,
  nextVariantOf,
  productModel,
  toProduct,
  toVariant,
  variantDocsOf,
  type ProductDoc,
  type VariantDoc,
} from './documents';
import { productLock, type Locks } from './locks';
import { searchIndexFor } from './search.repository';
import { migrateProductsToVariants } from './migrations';
import type { ImageModel, NewVariant, OptionModel, ProductModel, VariantModel } from './models';
import type { Money } from '@shop/graphql';
import { derivedOf, invalid, MAX_VARIANTS, offers, type InvalidInput } from './variants';
import { SkuRegistry, type RegisterReport } from './variants.skus';

/**
 * Variants on MongoDB (FerretDB locally): the start-up migration, inserting a product with its
 * variants, and the admin writes to variants. Every write to a product runs under its lock
 * (locks.ts) as one `findOneAndUpdate({_id})` that also writes the derived `sku`, `price` and
 * `stock` (variants.ts derivedOf), so the list's filters and sorts never see a variant change
 * without its product fields. SKUs are claimed in the registry (variants.skus.ts) before the write
 * that gives a variant its SKU and let go after the write that takes it away.
 */

/** A variant as a mutation names it: by its id, or (n null) a product's only variant. */
export interface VariantTarget {
  productId: string;
  n: number | null;
}

/** The target an id names: a variant id as issued, or a product id (its only variant); null otherwise. */
export function targetOf(id: string): VariantTarget | null {
  if (isVariantId(id)) return parseVariantId(id);
  if (isProductId(id)) return { productId: id, n: null };
  return null;
}

export type VariantWrite =
  | { kind: 'ok'; product: ProductModel }
  | { kind: 'product-not-found' }
  | { kind: 'variant-not-found' }
  /** The target named a product, which has several variants. */
  | { kind: 'several'; count: number }
  | { kind: 'refused'; problem: InvalidInput }
  | { kind: 'duplicate-sku'; sku: string };

export type StockWrite =
  VariantWrite | { kind: 'below-zero' | 'above-limit'; variant: VariantModel; held: number };

/** What a product document stores of its variants, as a new product has them. */
export function variantFields(options: readonly OptionModel[], variants: readonly NewVariant[]) {
  const docs: VariantDoc[] = variants.map((v, i) => ({
    n: i + 1,
    sku: v.sku,
    options: v.selectedOptions.map((o) => ({ name: o.name, value: o.value })),
    price: { amount: v.price.amount, currency: v.price.currency },
    stock: v.stock,
    images: v.images.map((img) => ({ ...img })),
  }));
  return {
    options: options.map((o) => ({ name: o.name, values: [...o.values] })),
    variants: docs,
    nextVariant: docs.length + 1,
    ...derivedOf(docs),
  };
}

/** The mark a completed start-up migration to variants leaves in the `migrations` collection. */
export const VARIANTS_MIGRATION = 'products-variants';

export class VariantsRepository {
  private readonly connection: Connection;
  private readonly locks: Locks;
  private readonly products: Model<ProductDoc>;
  readonly skus: SkuRegistry;

  constructor({ connection, locks }: { connection: Connection; locks: Locks }) {
    this.connection = connection;
    this.locks = locks;
    this.products = productModel(connection);
    this.skus = new SkuRegistry({ connection, locks });
  }

  /**
   * The start-up migration (idempotent): one variant for every product stored before variants
   * (migrations.ts), then every variant's SKU into the registry, then a mark in `migrations`
   * (`_id` = VARIANTS_MIGRATION) so that later start-ups skip both collection scans. A run that
   * dies before the mark is repeated whole at the next start. Products that come without variants
   * after the mark (a restored backup) are still read and written as their one variant; `full`
   * runs the whole pass again.
   */
  async init({ full = false }: { full?: boolean } = {}): Promise<
    { migrated: number; skipped: boolean } & RegisterReport
  > {
    const marks = this.connection.collection<{ _id: string; doneAt: Date }>('migrations');
    if (!full && (await marks.findOne({ _id: VARIANTS_MIGRATION })))
      return { migrated: 0, registered: 0, conflicts: [], skipped: true };
    const migrated = await migrateProductsToVariants(this.connection, this.locks);
    const report = await this.skus.registerMissing();
    await marks.insertOne({ _id: VARIANTS_MIGRATION, doneAt: new Date() }).catch((error: unknown) => {
      if (!isDuplicateKey(error)) throw error;
    });
    return { migrated, skipped: false, ...report };
  }

  /** A product by its id as issued (null for any other form or no product). */
  async findProduct(id: string): Promise<ProductModel | null> {
    if (!isProductId(id)) return null;
    const doc = await this.products.findById(id).lean<ProductDoc>().exec();
    return doc ? toProduct(doc) : null;
  }

  /**
   * Inserts a product with its options and variants; `fields` are the catalogue's (name, slug,
   * description, categoryIds, images, ...). Throws DuplicateSkuError when a variant's SKU is taken
   * (then nothing is written).
   */
  insertProduct(
    fields: Record<string, unknown>,
    options: readonly OptionModel[],
    variants: readonly NewVariant[],
  ): Promise<ProductModel> {
    const _id = new mongoose.Types.ObjectId();
    return this.skus.withClaims(_id.toHexString(), variants, async () => {
      // Search index: marks the product pending, inserts it, then indexes it (search.repository.ts).
      const doc = await searchIndexFor(this.connection, this.locks).indexing(_id.toHexString(), () =>
        this.products.create({ ...fields, _id, ...variantFields(options, variants), holds: [] }),
      );
      return toProduct(doc.toObject());
    });
  }

  /**
   * Adds a variant (validated against the product's options by the service; options never change)
   * as number nextVariant: refused when the product has no options, offers this combination
   * already, has MAX_VARIANTS, or prices in another currency.
   */
  addVariant(productId: string, variant: NewVariant): Promise<VariantWrite> {
    return this.change({ productId, n: null }, true, async (doc, variants) => {
      if (!doc.options?.length)
        return { refused: invalid('productId', 'the product has no options: it has exactly one variant') };
      if (variants.length >= MAX_VARIANTS)
        return { refused: invalid('productId', `a product has at most ${MAX_VARIANTS} variants`) };
      const offered = variants.map((v) => ({ selectedOptions: v.options }));
      if (offers(offered, variant.selectedOptions))
        return { refused: invalid('selectedOptions', 'the product already offers these option values') };
      const currency = variants[0]?.price.currency;
      if (currency && variant.price.currency !== currency)
        return {
          refused: invalid('price.currency', `every variant of the product is priced in ${currency}`),
        };
      const n = nextVariantOf(doc);
      if (!(await this.skus.claim(variant.sku, productId, n, variants))) return { duplicate: variant.sku };
      const added: VariantDoc = {
        n,
        sku: variant.sku,
        options: variant.selectedOptions.map((o) => ({ name: o.name, value: o.value })),
        price: { ...variant.price },
        stock: variant.stock,
        images: variant.images.map((i) => ({ ...i })),
      };
      return { variants: [...variants, added], nextVariant: n + 1, undo: { sku: variant.sku, n } };
    });
  }

  /** Changes a variant's SKU, price or images (the price in the currency of the product's other variants). */
  updateVariant(
    target: VariantTarget,
    patch: { sku?: string; price?: Money; images?: ImageModel[] },
  ): Promise<VariantWrite> {
    return this.change(target, false, async (doc, variants, variant) => {
      const others = variants.filter((v) => v !== variant);
      if (patch.price && others[0] && others[0].price.currency !== patch.price.currency) {
        const currency = others[0].price.currency;
        return {
          refused: invalid('price.currency', `every variant of the product is priced in ${currency}`),
        };
      }
      const renamed = patch.sku !== undefined && patch.sku !== variant!.sku ? patch.sku : undefined;
      if (renamed && !(await this.skus.claim(renamed, doc._id.toHexString(), variant!.n, variants)))
        return { duplicate: renamed };
      const old = variant!.sku;
      if (renamed) variant!.sku = renamed;
      if (patch.price) variant!.price = { ...patch.price };
      if (patch.images) variant!.images = patch.images.map((i) => ({ ...i }));
      return {
        variants,
        undo: renamed ? { sku: renamed, n: variant!.n } : undefined,
        letGo: renamed ? { sku: old, n: variant!.n } : undefined,
      };
    });
  }

  /** Takes a variant off sale: refused for the product's last variant and while orders hold its units. */
  removeVariant(target: VariantTarget): Promise<VariantWrite> {
    return this.change(target, false, async (doc, variants, variant) => {
      if (variants.length === 1)
        return { refused: invalid('id', 'a product keeps at least one variant: this is its last one') };
      const held = heldOf(holdsOf(doc), variant!.n);
      if (held > 0)
        return {
          refused: invalid(
            'id',
            `orders hold ${held} units of this variant: it can be removed once they are settled`,
          ),
        };
      return { variants: variants.filter((v) => v !== variant), letGo: { sku: variant!.sku, n: variant!.n } };
    });
  }

  /**
   * Adds delta to a variant's stock unless that leaves it below zero, or the variant's units on hand
   * (its stock plus what orders hold of it) above maxOnHand.
   */
  async adjustStock(target: VariantTarget, delta: number, maxOnHand: number): Promise<StockWrite> {
    let refusal: StockWrite | undefined;
    const result = await this.change(target, false, async (doc, variants, variant) => {
      const v = variant!;
      const held = heldOf(holdsOf(doc), v.n);
      const productId = doc._id.toHexString();
      if (v.stock + delta < 0) refusal = { kind: 'below-zero', variant: toVariant(productId, v), held };
      else if (v.stock + delta + held > maxOnHand)
        refusal = { kind: 'above-limit', variant: toVariant(productId, v), held };
      if (refusal) return { unchanged: true };
      v.stock += delta;
      return { variants };
    });
    return refusal ?? result;
  }

  /**
   * Under the product's lock: reads the product (and the targeted variant unless `productLevel`),
   * lets `decide` compute the new variants, and writes them with the derived fields in one
   * findOneAndUpdate({_id}). A SKU `decide` claimed (`undo`) is let go when the write fails; one the
   * write took away (`letGo`) is let go after it.
   */
  private change(
    target: VariantTarget,
    productLevel: boolean,
    decide: (
      doc: ProductDoc,
      variants: VariantDoc[],
      variant: VariantDoc | undefined,
    ) => Promise<
      | { refused: InvalidInput }
      | { duplicate: string }
      | { unchanged: true }
      | {
          variants: VariantDoc[];
          nextVariant?: number;
          undo?: { sku: string; n: number };
          letGo?: { sku: string; n: number };
        }
    >,
  ): Promise<VariantWrite> {
    const { productId } = target;
    if (!isProductId(productId)) return Promise.resolve({ kind: 'product-not-found' });
    return this.locks.withLock(productLock(productId), async (): Promise<VariantWrite> => {
      const doc = await this.products.findById(productId).lean<ProductDoc>().exec();
      if (!doc) return { kind: target.n === null ? 'product-not-found' : 'variant-not-found' };
      const variants = variantDocsOf(doc);
      let variant: VariantDoc | undefined;
      if (!productLevel) {
        if (target.n === null && variants.length !== 1) return { kind: 'several', count: variants.length };
        variant = target.n === null ? variants[0] : variants.find((v) => v.n === target.n);
        if (!variant) return { kind: 'variant-not-found' };
      }
      const decision = await decide(doc, variants, variant);
      if ('refused' in decision) return { kind: 'refused', problem: decision.refused };
      if ('duplicate' in decision) return { kind: 'duplicate-sku', sku: decision.duplicate };
      if ('unchanged' in decision) return { kind: 'ok', product: toProduct(doc) };
      const set = {
        variants: decision.variants,
        ...derivedOf(decision.variants),
        nextVariant: decision.nextVariant ?? nextVariantOf(doc),
        ...(doc.options ? {} : { options: [] }),
        ...(doc.variants ? {} : { holds: holdsOf(doc) }),
      };
      let updated: ProductDoc | null;
      try {
        // Search index: marks the product pending, writes its variants (SKUs, prices), then indexes it.
        updated = await searchIndexFor(this.connection, this.locks).indexing(productId, () =>
          this.products
            .findOneAndUpdate({ _id: productId }, { $set: set }, { new: true })
            .lean<ProductDoc>()
            .exec(),
        );
      } catch (error) {
        if (decision.undo)
          await this.skus.release(decision.undo.sku, productId, decision.undo.n).catch(() => undefined);
        throw error;
      }
      if (decision.letGo) await this.skus.release(decision.letGo.sku, productId, decision.letGo.n);
      return updated ? { kind: 'ok', product: toProduct(updated) } : { kind: 'product-not-found' };
    });
  }
}
