import { requireAdmin, type Viewer } from '@shop/auth';
import {
  CATEGORY_TREE_LOCK,
  isCategoryId,
  type CategoriesRepository,
  type CategoryPatch,
} from './categories.repository';
import { CategoryTree } from './categories.tree';
import type { CategoryModel, ProductFilter } from './models';
import { descriptionProblem, invalid, nameProblem, type InvalidInput } from './products.inputs';
import { isSlug, slugify, titleCase } from './slugs';
import { DuplicateSlugError } from './slugs.repository';

export const MAX_CATEGORY_NAME = 100;
export const MAX_CATEGORY_DESCRIPTION = 2_000;
/** The tree is read whole per request, so it is bounded. */
export const MAX_CATEGORIES = 1_000;
/** Levels of nesting (a top-level category is level 1). */
export const MAX_CATEGORY_DEPTH = 5;
export const MAX_POSITION = 1_000_000;

export type CategoryResult = { __typename: 'Category' } & CategoryModel;
export type CategoryNotFound = { __typename: 'CategoryNotFoundError'; message: string; categoryId: string };
export type DuplicateSlug = { __typename: 'DuplicateSlugError'; message: string; slug: string };
type NotEmpty = { __typename: 'CategoryNotEmptyError'; message: string; children: number; products: number };
type Deleted = { __typename: 'DeletedCategory'; id: string };

export const categoryNotFound = (categoryId: string): CategoryNotFound => ({
  __typename: 'CategoryNotFoundError',
  message: `No category with id ${categoryId}`,
  categoryId,
});
export const duplicateSlug = (slug: string): DuplicateSlug => ({
  __typename: 'DuplicateSlugError',
  message: `The slug ${slug} is already used`,
  slug,
});
const asResult = (category: CategoryModel): CategoryResult => ({ __typename: 'Category', ...category });

export interface CreateCategoryInput {
  name: string;
  slug?: string | null;
  description?: string | null;
  parentId?: string | null;
  position?: number | null;
}
export interface UpdateCategoryInput {
  name?: string | null;
  slug?: string | null;
  description?: string | null;
  parentId?: string | null;
  topLevel?: boolean | null;
  position?: number | null;
}

const SLUG_RULE = 'slug must be 1-100 lower-case letters a-z, digits and single "-" between them';

function fieldsProblem(input: UpdateCategoryInput): InvalidInput | null {
  if (input.name != null) {
    const problem = nameProblem('name', input.name, MAX_CATEGORY_NAME);
    if (problem) return invalid('name', problem);
  }
  if (input.slug != null && !isSlug(input.slug)) return invalid('slug', SLUG_RULE);
  if (input.description != null) {
    const problem = descriptionProblem('description', input.description, MAX_CATEGORY_DESCRIPTION);
    if (problem) return invalid('description', problem);
  }
  const p = input.position;
  if (p != null && (!Number.isInteger(p) || Math.abs(p) > MAX_POSITION))
    return invalid('position', `position must be a whole number from -${MAX_POSITION} to ${MAX_POSITION}`);
  return null;
}

export interface CategoriesServiceDeps {
  repository: CategoriesRepository;
  /** Products that belong to any of these categories (deleteCategory refuses a non-empty one). */
  countProducts: (categoryIds: string[]) => Promise<number>;
}

/**
 * The category tree's rules: reads come from one CategoryTree per request (one query), every change
 * runs under CATEGORY_TREE_LOCK on a tree read inside it, so concurrent moves cannot make a cycle and
 * a category is deleted only while it has no sub-categories and no products.
 */
export class CategoriesService {
  private readonly repository: CategoriesRepository;
  private readonly countProducts: (categoryIds: string[]) => Promise<number>;

  constructor({ repository, countProducts }: CategoriesServiceDeps) {
    this.repository = repository;
    this.countProducts = countProducts;
  }

  /** The whole tree: one datastore round trip. */
  async loadTree(): Promise<CategoryTree> {
    return new CategoryTree(await this.repository.all());
  }

  /** Runs fn under the tree lock with the tree as it is now (fn must not take the lock again). */
  withTree<T>(fn: (tree: CategoryTree) => Promise<T>): Promise<T> {
    return this.repository.locks.withLock(CATEGORY_TREE_LOCK, async () => fn(await this.loadTree()));
  }

  /** A category by slug as issued (another spelling, e.g. upper case, is null without a lookup). */
  bySlug(tree: CategoryTree, slug: string): CategoryModel | null {
    return isSlug(slug) ? tree.bySlugOrNull(slug) : null;
  }

  /**
   * The ids a product filter's category conditions allow: null for no condition, [] when no product
   * can match (an unknown category), else the category's sub-tree (both conditions: what both allow).
   */
  filterIds(tree: CategoryTree, filter: Pick<ProductFilter, 'category' | 'categoryId'>): string[] | null {
    let ids: string[] | null = null;
    const narrow = (allowed: string[]) => {
      ids = ids === null ? allowed : ids.filter((id) => allowed.includes(id));
    };
    if (filter.category != null)
      narrow(isSlug(filter.category) ? this.subtreeOfSlug(tree, filter.category) : []);
    if (filter.categoryId != null)
      narrow(isCategoryId(filter.categoryId) ? tree.subtree(filter.categoryId) : []);
    return ids;
  }

  private subtreeOfSlug(tree: CategoryTree, slug: string): string[] {
    const category = tree.bySlugOrNull(slug);
    return category ? tree.subtree(category.id) : [];
  }

  /**
   * The category a legacy `category` string names (inside withTree): the category with that slug
   * (the string is made a slug first: `Home & Garden` → `home-and-garden`), else a new top-level
   * category with that slug and a title-cased name.
   */
  async ensureLegacy(tree: CategoryTree, text: string): Promise<CategoryModel> {
    const slug = slugify(text, 'uncategorised');
    const existing = tree.bySlugOrNull(slug);
    if (existing) return existing;
    const name = text.trim() === slug ? titleCase(slug) : text.trim().slice(0, MAX_CATEGORY_NAME);
    return this.repository.insert({ name, description: '', position: 0, parentId: null }, { exact: slug });
  }

  /** A category with this exact slug (inside withTree; the seed's). DuplicateSlugError when taken. */
  insertExact(
    category: { name: string; description: string; position: number; parentId: string | null },
    slug: string,
  ): Promise<CategoryModel> {
    return this.repository.insert(category, { exact: slug });
  }

  async createCategory(
    viewer: Viewer | null,
    input: CreateCategoryInput,
  ): Promise<CategoryResult | InvalidInput | DuplicateSlug | CategoryNotFound> {
    requireAdmin(viewer);
    const problem = fieldsProblem(input);
    if (problem) return problem;
    const name = input.name.trim();
    if (input.parentId != null && !isCategoryId(input.parentId)) return categoryNotFound(input.parentId);
    return this.withTree(async (tree) => {
      if (tree.size >= MAX_CATEGORIES)
        return invalid('parentId', `the catalogue has the most categories allowed (${MAX_CATEGORIES})`);
      const parentId = input.parentId ?? null;
      if (parentId !== null && !tree.byIdOrNull(parentId)) return categoryNotFound(parentId);
      if (parentId !== null && tree.depth(parentId) >= MAX_CATEGORY_DEPTH)
        return invalid('parentId', `categories nest at most ${MAX_CATEGORY_DEPTH} levels deep`);
      const slug = input.slug != null ? { exact: input.slug } : { base: slugify(name, 'category') };
      try {
        const category = await this.repository.insert(
          { name, description: input.description ?? '', position: input.position ?? 0, parentId },
          slug,
        );
        return asResult(category);
      } catch (error) {
        if (error instanceof DuplicateSlugError) return duplicateSlug(error.slug);
        throw error;
      }
    });
  }

  async updateCategory(
    viewer: Viewer | null,
    id: string,
    input: UpdateCategoryInput,
  ): Promise<CategoryResult | InvalidInput | DuplicateSlug | CategoryNotFound> {
    requireAdmin(viewer);
    if (!isCategoryId(id)) return categoryNotFound(id);
    const problem = fieldsProblem(input);
    if (problem) return problem;
    if (input.topLevel === true && input.parentId != null)
      return invalid('parentId', 'give parentId or topLevel, not both');
    if (input.parentId != null && !isCategoryId(input.parentId)) return categoryNotFound(input.parentId);
    return this.withTree(async (tree) => {
      const current = tree.byIdOrNull(id);
      if (!current) return categoryNotFound(id);
      const patch: CategoryPatch = {};
      if (input.name != null) patch.name = input.name.trim();
      if (input.slug != null) patch.slug = input.slug;
      if (input.description != null) patch.description = input.description;
      if (input.position != null) patch.position = input.position;
      if (input.topLevel === true) patch.parentId = null;
      if (input.parentId != null) {
        const parentId = input.parentId;
        if (!tree.byIdOrNull(parentId)) return categoryNotFound(parentId);
        if (tree.isInSubtree(id, parentId))
          return invalid('parentId', 'a category cannot move under itself or one of its descendants');
        if (tree.depth(parentId) + 1 + tree.height(id) > MAX_CATEGORY_DEPTH)
          return invalid('parentId', `categories nest at most ${MAX_CATEGORY_DEPTH} levels deep`);
        patch.parentId = parentId;
      }
      try {
        const updated = await this.repository.update(id, patch);
        return updated ? asResult(updated) : categoryNotFound(id);
      } catch (error) {
        if (error instanceof DuplicateSlugError) return duplicateSlug(error.slug);
        throw error;
      }
    });
  }

  /** Deletes a category without sub-categories and without products (CategoryNotEmptyError with counts). */
  async deleteCategory(viewer: Viewer | null, id: string): Promise<Deleted | CategoryNotFound | NotEmpty> {
    requireAdmin(viewer);
    if (!isCategoryId(id)) return categoryNotFound(id);
    return this.withTree(async (tree) => {
      if (!tree.byIdOrNull(id)) return categoryNotFound(id);
      const children = tree.children(id).length;
      const products = await this.countProducts([id]);
      if (children > 0 || products > 0) {
        return {
          __typename: 'CategoryNotEmptyError' as const,
          message: `The category has ${children} sub-categories and ${products} products; move or delete them first`,
          children,
          products,
        };
      }
      await this.repository.delete(id);
      return { __typename: 'DeletedCategory' as const, id };
    });
  }
}
