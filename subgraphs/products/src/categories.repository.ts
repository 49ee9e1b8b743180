import mongoose, { Schema, type Connection, type Model, type Types } from 'mongoose';
import { ID_FORMS } from '@shop/messaging';
import type { Locks } from './locks';
import type { CategoryModel } from './models';
import type { SlugChoice, SlugRegistry } from './slugs.repository';

/** A category id as issued: an ObjectId in 24 lower-case hex digits (another spelling names nothing). */
export const isCategoryId = (value: unknown): value is string =>
  typeof value === 'string' && ID_FORMS.objectId.test(value);

/**
 * The lock every change of the category tree runs under (create, update, delete, and a product
 * write that assigns categories): the tree is small and changes rarely, and one lock makes "no
 * cycles" and "delete only when empty" hold under concurrency.
 */
export const CATEGORY_TREE_LOCK = 'categories';

interface CategoryDoc {
  _id: Types.ObjectId;
  slug: string;
  name: string;
  description: string;
  position: number;
  parentId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const categorySchema = new Schema<CategoryDoc>(
  {
    slug: { type: String, required: true },
    name: { type: String, required: true },
    description: { type: String, default: '' },
    position: { type: Number, default: 0 },
    parentId: { type: String, default: null },
  },
  { timestamps: true, versionKey: false, autoIndex: false },
);

const toCategory = (doc: CategoryDoc): CategoryModel => ({
  id: doc._id.toHexString(),
  slug: doc.slug,
  name: doc.name,
  description: doc.description ?? '',
  position: doc.position ?? 0,
  parentId: doc.parentId ?? null,
  createdAt: doc.createdAt,
  updatedAt: doc.updatedAt,
});

export interface NewCategory {
  name: string;
  description: string;
  position: number;
  parentId: string | null;
}

export interface CategoryPatch {
  name?: string;
  slug?: string;
  description?: string;
  position?: number;
  parentId?: string | null;
}

/**
 * Categories on MongoDB (FerretDB locally): the whole tree in one read (`all`), writes by `_id`.
 * Slugs are claimed in the slug registry (namespace `category`) before the document is written.
 * Callers hold CATEGORY_TREE_LOCK around every write (the service does).
 */
export class CategoriesRepository {
  private readonly categories: Model<CategoryDoc>;
  readonly locks: Locks;
  private readonly slugs: SlugRegistry;

  constructor({ connection, locks, slugs }: { connection: Connection; locks: Locks; slugs: SlugRegistry }) {
    this.categories =
      (connection.models.Category as Model<CategoryDoc> | undefined) ??
      connection.model<CategoryDoc>('Category', categorySchema, 'categories');
    this.locks = locks;
    this.slugs = slugs;
    slugs.register('category', async (id) => (await this.findById(id))?.slug ?? null);
  }

  /** Every category: one query (the tree is small, MAX_CATEGORIES at most). */
  async all(): Promise<CategoryModel[]> {
    const docs = await this.categories.find({}).lean<CategoryDoc[]>().exec();
    return docs.map(toCategory);
  }

  async findById(id: string): Promise<CategoryModel | null> {
    if (!isCategoryId(id)) return null;
    const doc = await this.categories.findById(id).lean<CategoryDoc>().exec();
    return doc ? toCategory(doc) : null;
  }

  /**
   * Inserts a category. `slug.exact`: that slug or DuplicateSlugError; otherwise the first free of
   * base, base-2, … base-50 (DuplicateSlugError for base when all are taken).
   */
  async insert(category: NewCategory, slug: SlugChoice): Promise<CategoryModel> {
    const _id = new mongoose.Types.ObjectId();
    const claimed = await this.slugs.claimChoice('category', slug, _id.toHexString());
    const doc = await this.categories.create({ _id, slug: claimed, ...category });
    return toCategory(doc.toObject());
  }

  /** Applies a patch (a new slug is claimed first, the old one released after); null when missing. */
  async update(id: string, patch: CategoryPatch): Promise<CategoryModel | null> {
    const current = await this.findById(id);
    if (!current) return null;
    const slugChanges = patch.slug !== undefined && patch.slug !== current.slug;
    if (slugChanges) await this.slugs.claimChoice('category', { exact: patch.slug! }, id);
    const set: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(patch)) if (value !== undefined) set[key] = value;
    const doc = await this.categories
      .findOneAndUpdate({ _id: id }, { $set: set }, { new: true })
      .lean<CategoryDoc>()
      .exec();
    if (slugChanges) await this.slugs.release('category', current.slug, id);
    return doc ? toCategory(doc) : null;
  }

  /** Deletes a category and gives its slug back; false when it did not exist. */
  async delete(id: string): Promise<boolean> {
    const current = await this.findById(id);
    if (!current) return false;
    await this.categories.deleteOne({ _id: current.id }).exec();
    await this.slugs.release('category', current.slug, id);
    return true;
  }
}
