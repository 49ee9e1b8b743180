import { Schema, type Connection, type Model } from 'mongoose';
import { isDuplicateKey, productModel, variantDocsOf, type ProductDoc, type VariantDoc } from './documents';
import type { Locks } from './locks';
import { DuplicateSkuError } from './products.repository';

/**
 * The SKU registry: one document per SKU in use (`skus._id` = the SKU), naming the variant that has
 * it. Why: a SKU is unique across all variants of all products, and FerretDB 1.x has no index on a
 * field inside an array that it would use (FAST_BY_ID in documents.ts), so uniqueness rests on the
 * one thing that is atomic on FerretDB and MongoDB alike, an insert into `_id`.
 *
 * A variant claims its SKU before the product write that gives it the SKU, and lets it go after the
 * write that takes it away; every claim and release runs under the SKU's lock (`sku:<SKU>`), so two
 * requests never decide about one SKU at once. A process that dies between the claim and the write
 * leaves a claim whose variant does not have the SKU: another variant may take it over once the claim
 * is older than `staleMs` (the lock lifetime: the same bound as every lock here), at once when it is
 * the same product's (the caller holds that product's lock, so nothing of it is in flight). A
 * process that dies between the write and the release leaves the same kind of claim.
 */

interface SkuDoc {
  _id: string;
  productId: string;
  /** The variant's number within the product. */
  n: number;
  claimedAt: Date;
}

const skuSchema = new Schema<SkuDoc>(
  {
    _id: { type: String, required: true },
    productId: { type: String, required: true },
    n: { type: Number, required: true },
    claimedAt: { type: Date, required: true },
  },
  { versionKey: false, autoIndex: false },
);

/** The lock every claim and release of one SKU runs under (SKUs are checked against SKU_PATTERN first). */
export const skuLock = (sku: string): string => `sku:${sku}`;

export interface RegisterReport {
  /** SKUs of stored variants that had no registry entry (products from before the registry). */
  registered: number;
  /** SKUs found on two variants (stored before the registry): left as they are, logged by the caller. */
  conflicts: string[];
}

export class SkuRegistry {
  private readonly skus: Model<SkuDoc>;
  private readonly products: Model<ProductDoc>;
  private readonly locks: Locks;
  private readonly staleMs: number;

  constructor({
    connection,
    locks,
    staleMs = 30_000,
  }: {
    connection: Connection;
    locks: Locks;
    staleMs?: number;
  }) {
    this.skus =
      (connection.models.Sku as Model<SkuDoc> | undefined) ??
      connection.model<SkuDoc>('Sku', skuSchema, 'skus');
    this.products = productModel(connection);
    this.locks = locks;
    this.staleMs = staleMs;
  }

  /**
   * Claims a SKU for variant n of a product: true when it is theirs now (also when it already was),
   * false when another variant has it. `current` are the product's variants as read under its lock
   * (a claim of this product that none of them uses was left by a crash and is taken over at once).
   */
  claim(sku: string, productId: string, n: number, current: readonly VariantDoc[] = []): Promise<boolean> {
    return this.locks.withLock(skuLock(sku), async () => {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const doc = await this.skus.findById(sku).lean<SkuDoc>().exec();
        if (!doc) {
          if (await this.insert(sku, productId, n)) return true;
          continue; // the start-up registration inserted it just now: decide on what it wrote
        }
        if (doc.productId === productId && doc.n === n) return true;
        if (!(await this.abandoned(doc, productId, current))) return false;
        const taken = await this.skus
          .findOneAndUpdate({ _id: sku }, { $set: { productId, n, claimedAt: new Date() } }, { new: true })
          .lean<SkuDoc>()
          .exec();
        if (taken) return true;
      }
      return false;
    });
  }

  /**
   * For inserting a new product: claims the SKUs of its variants (numbered 1, 2, ... in the given
   * order) for the product id the insert will use, runs `insert`, and lets the claims go again when
   * a SKU is taken (throws DuplicateSkuError; nothing else is written) or the insert fails.
   */
  async withClaims<T>(
    productId: string,
    variants: readonly { sku: string }[],
    insert: () => Promise<T>,
  ): Promise<T> {
    const claimed: { sku: string; n: number }[] = [];
    const twice = variants.find((v, i) => variants.findIndex((w) => w.sku === v.sku) !== i);
    if (twice) throw new DuplicateSkuError(twice.sku);
    try {
      for (const [i, variant] of variants.entries()) {
        if (!(await this.claim(variant.sku, productId, i + 1))) throw new DuplicateSkuError(variant.sku);
        claimed.push({ sku: variant.sku, n: i + 1 });
      }
      return await insert();
    } catch (error) {
      await Promise.all(claimed.map((c) => this.release(c.sku, productId, c.n))).catch(() => undefined);
      throw error;
    }
  }

  /** Lets a SKU go if variant n of the product holds it (after the write that took it away). */
  async release(sku: string, productId: string, n: number): Promise<void> {
    await this.locks.withLock(skuLock(sku), async () => {
      const doc = await this.skus.findById(sku).lean<SkuDoc>().exec();
      if (doc?.productId === productId && doc.n === n) await this.skus.deleteOne({ _id: sku }).exec();
    });
  }

  /** Who holds a SKU (null: nobody). */
  async owner(sku: string): Promise<{ productId: string; n: number } | null> {
    const doc = await this.skus.findById(sku).lean<SkuDoc>().exec();
    return doc ? { productId: doc.productId, n: doc.n } : null;
  }

  /**
   * Registers SKUs of variants just inserted without claims (a bulk insert such as the seed's), one
   * unordered bulk insert per 1,000: no scan. Returns how many were registered and the SKUs another
   * variant already had (each fails alone; the caller decides what that means).
   */
  async registerMany(
    entries: readonly { sku: string; productId: string; n: number }[],
  ): Promise<{ registered: number; taken: string[] }> {
    const result = { registered: 0, taken: [] as string[] };
    for (let i = 0; i < entries.length; i += 1000) {
      const batch = entries.slice(i, i + 1000);
      const done = new Set(
        await this.insertBatch(
          batch.map((e) => ({ _id: e.sku, productId: e.productId, n: e.n, claimedAt: new Date() })),
        ),
      );
      result.registered += done.size;
      result.taken.push(...batch.filter((e) => !done.has(e.sku)).map((e) => e.sku));
    }
    return result;
  }

  /**
   * Registers the SKUs of stored variants that have no entry (products from before the registry,
   * or inserted by a path that does not claim, like the seed's bulk insert): idempotent. Two
   * collection scans (products' variants, the registry's ids) and one unordered bulk insert per
   * 1,000 missing SKUs (a SKU another process registered meanwhile fails alone).
   */
  async registerMissing(): Promise<RegisterReport> {
    const registered = new Set(
      (await this.skus.find({}, { _id: 1 }).lean<{ _id: string }[]>().exec()).map((d) => d._id),
    );
    const docs = await this.products
      .find({}, { sku: 1, price: 1, stock: 1, variants: 1 })
      .lean<Pick<ProductDoc, '_id' | 'sku' | 'price' | 'stock' | 'variants'>[]>()
      .exec();
    const seen = new Map<string, string>();
    const report: RegisterReport = { registered: 0, conflicts: [] };
    const missing: SkuDoc[] = [];
    for (const doc of docs) {
      const productId = doc._id.toHexString();
      for (const variant of variantDocsOf(doc)) {
        const other = seen.get(variant.sku);
        if (other !== undefined && other !== productId) report.conflicts.push(variant.sku);
        seen.set(variant.sku, productId);
        if (registered.has(variant.sku)) continue;
        registered.add(variant.sku);
        missing.push({ _id: variant.sku, productId, n: variant.n, claimedAt: new Date() });
      }
    }
    for (let i = 0; i < missing.length; i += 1000)
      report.registered += (await this.insertBatch(missing.slice(i, i + 1000))).length;
    return report;
  }

  /** One unordered bulk insert; the SKUs it registered (a duplicate `_id` fails alone). */
  private async insertBatch(batch: SkuDoc[]): Promise<string[]> {
    if (batch.length === 0) return [];
    try {
      await this.skus.insertMany(batch, { ordered: false });
      return batch.map((d) => d._id);
    } catch (error) {
      if (!isDuplicateKey(error) && !(error as { writeErrors?: unknown }).writeErrors) throw error;
      // Which of them are registered to the variant given: read back (at most 1,000 ids by _id).
      const owners = await this.skus
        .find({ _id: { $in: batch.map((d) => d._id) } })
        .lean<SkuDoc[]>()
        .exec();
      const byId = new Map(owners.map((o) => [o._id, o]));
      return batch
        .filter((d) => byId.get(d._id)?.productId === d.productId && byId.get(d._id)?.n === d.n)
        .map((d) => d._id);
    }
  }

  private async insert(sku: string, productId: string, n: number): Promise<boolean> {
    try {
      await this.skus.create({ _id: sku, productId, n, claimedAt: new Date() });
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  /** A claim nobody uses: of this product and none of its variants has the SKU, or stale and unused. */
  private async abandoned(doc: SkuDoc, productId: string, current: readonly VariantDoc[]): Promise<boolean> {
    if (doc.productId === productId) return !current.some((v) => v.sku === doc._id);
    if (Date.now() - new Date(doc.claimedAt).getTime() < this.staleMs) return false;
    const owner = await this.products
      .findById(doc.productId, { sku: 1, price: 1, stock: 1, variants: 1 })
      .lean<ProductDoc>()
      .exec()
      .catch(() => null); // an owner id that is no ObjectId names no product
    return !owner || !variantDocsOf(owner).some((v) => v.sku === doc._id);
  }
}
