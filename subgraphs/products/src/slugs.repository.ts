import { Schema, type Connection, type Model } from 'mongoose';
import { isDuplicateKey } from './documents';
import type { Locks } from './locks';
import { isSlug, MAX_SLUG_SUFFIX, withSuffix } from './slugs';

/**
 * The slug registry (collection `slugs`): one document per slug in use, `_id` = `<namespace>:<slug>`,
 * naming its owner (a product's or a category's id). Why a registry: uniqueness beyond `_id` needs a
 * unique index that FerretDB 1.x enforces on insert only and cannot use for lookups (FAST_BY_ID in
 * documents.ts); an insert keyed by `_id` is atomic on FerretDB and MongoDB alike, so of two
 * concurrent claims of one slug exactly one wins, and `product(slug:)` is a read by `_id`.
 *
 * Products and categories are separate namespaces (`product:mug` and `category:mug` may both exist):
 * their URLs differ (/p/mug, /c/mug), so one name space would only refuse good names.
 *
 * Claims and releases are not in one transaction with the owner's document: the owner's write comes
 * after its claim, and a release after the write that moved the owner off the slug. A process that
 * dies between the two leaves an entry whose owner does not (or no longer) carry the slug; such an
 * entry is stale once it is older than `graceMs` (so an owner still being written is never taken
 * over) and the next claim takes it over, under the slug's lock.
 */

export type SlugNamespace = 'product' | 'category';

/** The slug is taken (within its namespace). */
export class DuplicateSlugError extends Error {
  constructor(readonly slug: string) {
    super(`slug ${slug} is already used`);
  }
}

/** An exact slug (given by an admin: taken is an error) or a base made from a name (suffixed when taken). */
export type SlugChoice = { exact: string } | { base: string };

interface SlugDoc {
  _id: string;
  /** The owner's id; '' once released. */
  owner: string;
  claimedAt: Date;
}

const slugSchema = new Schema<SlugDoc>(
  {
    _id: { type: String, required: true },
    owner: { type: String, default: '' },
    claimedAt: { type: Date, required: true },
  },
  { versionKey: false, autoIndex: false },
);

/** The slug an owner carries now (null: the owner does not exist). */
export type SlugOf = (id: string) => Promise<string | null>;

const keyOf = (namespace: SlugNamespace, slug: string) => {
  if (!isSlug(slug)) throw new Error(`not a slug: ${JSON.stringify(slug)}`);
  return `${namespace}:${slug}`;
};

export class SlugRegistry {
  private readonly model: Model<SlugDoc>;
  private readonly locks: Locks;
  private readonly graceMs: number;
  private readonly owners: Partial<Record<SlugNamespace, SlugOf>> = {};

  constructor({
    connection,
    locks,
    graceMs = 30_000,
  }: {
    connection: Connection;
    locks: Locks;
    graceMs?: number;
  }) {
    this.model =
      (connection.models.Slug as Model<SlugDoc> | undefined) ??
      connection.model<SlugDoc>('Slug', slugSchema, 'slugs');
    this.locks = locks;
    this.graceMs = graceMs;
  }

  /** How the registry reads the slug an owner carries now (each repository registers its own). */
  register(namespace: SlugNamespace, slugOf: SlugOf): void {
    this.owners[namespace] = slugOf;
  }

  /** The owner of a slug (null: free, released, or not a slug at all). One read by `_id`. */
  async ownerOf(namespace: SlugNamespace, slug: string): Promise<string | null> {
    if (!isSlug(slug)) return null;
    const entry = await this.model.findById(keyOf(namespace, slug)).lean<SlugDoc>().exec();
    return entry?.owner ? entry.owner : null;
  }

  /**
   * Claims a slug for owner: true when it is owner's now (also when it already was), false when
   * another owner holds it. A stale entry (see above) is taken over.
   */
  async claim(namespace: SlugNamespace, slug: string, owner: string): Promise<boolean> {
    const key = keyOf(namespace, slug);
    try {
      await this.model.create({ _id: key, owner, claimedAt: new Date() });
      return true;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    const entry = await this.model.findById(key).lean<SlugDoc>().exec();
    if (entry?.owner === owner) return true;
    if (entry && entry.owner !== '' && Date.now() - entry.claimedAt.getTime() < this.graceMs) return false;
    return this.locks.withLock(`slug:${key}`, async () => {
      const current = await this.model.findById(key).lean<SlugDoc>().exec();
      if (current?.owner === owner) return true;
      if (current && current.owner !== '') {
        if (Date.now() - current.claimedAt.getTime() < this.graceMs) return false;
        const carried = await this.slugOf(namespace, current.owner);
        if (carried === slug) return false;
      }
      // Free, released or stale; every takeover writes under this lock, so no other one interleaves.
      await this.model
        .findOneAndUpdate({ _id: key }, { $set: { owner, claimedAt: new Date() } }, { upsert: true })
        .exec();
      return true;
    });
  }

  /** Gives a slug back (after its owner moved off it or was deleted); a no-op unless owner holds it. */
  async release(namespace: SlugNamespace, slug: string, owner: string): Promise<void> {
    const key = keyOf(namespace, slug);
    await this.locks.withLock(`slug:${key}`, async () => {
      const current = await this.model.findById(key).lean<SlugDoc>().exec();
      if (current?.owner !== owner) return;
      await this.model.findOneAndUpdate({ _id: key }, { $set: { owner: '' } }).exec();
    });
  }

  /**
   * Claims the slug chosen: the exact one, or the first free of base, base-2, … base-50. Returns the
   * slug claimed; DuplicateSlugError when it (or every candidate) is taken.
   */
  async claimChoice(namespace: SlugNamespace, choice: SlugChoice, owner: string): Promise<string> {
    if ('exact' in choice) {
      if (await this.claim(namespace, choice.exact, owner)) return choice.exact;
      throw new DuplicateSlugError(choice.exact);
    }
    for (let n = 1; n <= MAX_SLUG_SUFFIX; n += 1) {
      const candidate = withSuffix(choice.base, n);
      if (await this.claim(namespace, candidate, owner)) return candidate;
    }
    throw new DuplicateSlugError(choice.base);
  }

  /**
   * Many claims at once (the seed and the start-up migration): one insert of all entries; the slugs
   * refused are retried one by one by the caller. Returns the slugs that are owner's now.
   */
  async claimMany(namespace: SlugNamespace, claims: { slug: string; owner: string }[]): Promise<Set<string>> {
    if (claims.length === 0) return new Set();
    const now = new Date();
    const docs = claims.map(({ slug, owner }) => ({ _id: keyOf(namespace, slug), owner, claimedAt: now }));
    const refused = new Set<number>();
    try {
      await this.model.insertMany(docs, { ordered: false });
    } catch (error) {
      const writeErrors = (error as { writeErrors?: { index?: number; err?: { index?: number } }[] })
        .writeErrors;
      if (!writeErrors) throw error;
      for (const e of writeErrors) refused.add(e.index ?? e.err?.index ?? -1);
    }
    const won = new Set<string>();
    for (const [i, claim] of claims.entries()) {
      if (!refused.has(i)) won.add(claim.slug);
      else if (await this.claim(namespace, claim.slug, claim.owner)) won.add(claim.slug);
    }
    return won;
  }

  private async slugOf(namespace: SlugNamespace, owner: string): Promise<string | null> {
    const slugOf = this.owners[namespace];
    if (!slugOf) throw new Error(`no owner lookup registered for ${namespace} slugs`);
    return slugOf(owner);
  }
}
