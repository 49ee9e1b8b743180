import type { CategoryModel } from './models';

/** Menu order among siblings: position, then name, then id (so the order is total). */
export const menuOrder = (a: CategoryModel, b: CategoryModel): number =>
  a.position - b.position || a.name.localeCompare(b.name, 'en') || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The whole category tree in memory, built from one read of the `categories` collection (it is
 * small: at most MAX_CATEGORIES). Every category question of a request (children, breadcrumbs, a
 * sub-tree, a product's categories) is answered from it without another round trip.
 *
 * A parentId that names no category (impossible through the service, which refuses it) makes the
 * category top-level here rather than invisible.
 */
export class CategoryTree {
  private readonly byId = new Map<string, CategoryModel>();
  private readonly bySlug = new Map<string, CategoryModel>();
  private readonly childrenOf = new Map<string | null, CategoryModel[]>();

  constructor(categories: readonly CategoryModel[]) {
    for (const category of categories) {
      this.byId.set(category.id, category);
      this.bySlug.set(category.slug, category);
    }
    for (const category of categories) {
      const parent =
        category.parentId !== null && this.byId.has(category.parentId) ? category.parentId : null;
      const siblings = this.childrenOf.get(parent) ?? [];
      siblings.push(category);
      this.childrenOf.set(parent, siblings);
    }
    for (const siblings of this.childrenOf.values()) siblings.sort(menuOrder);
  }

  get size(): number {
    return this.byId.size;
  }

  all(): CategoryModel[] {
    return [...this.byId.values()];
  }

  byIdOrNull(id: string): CategoryModel | null {
    return this.byId.get(id) ?? null;
  }

  bySlugOrNull(slug: string): CategoryModel | null {
    return this.bySlug.get(slug) ?? null;
  }

  /** The top-level categories in menu order. */
  topLevel(): CategoryModel[] {
    return [...(this.childrenOf.get(null) ?? [])];
  }

  children(id: string): CategoryModel[] {
    return [...(this.childrenOf.get(id) ?? [])];
  }

  parent(id: string): CategoryModel | null {
    const parentId = this.byId.get(id)?.parentId;
    return parentId ? (this.byId.get(parentId) ?? null) : null;
  }

  /** From the top-level category down to this one, itself included; [] for an unknown id. */
  breadcrumbs(id: string): CategoryModel[] {
    const path: CategoryModel[] = [];
    const seen = new Set<string>();
    for (let c = this.byId.get(id); c && !seen.has(c.id); c = this.parent(c.id) ?? undefined) {
      seen.add(c.id); // a cycle cannot be stored through the service; never loop on one anyway
      path.unshift(c);
    }
    return path;
  }

  /** How deep the category is: 1 for a top-level category. */
  depth(id: string): number {
    return this.breadcrumbs(id).length;
  }

  /** The ids of the category and of all its descendants (breadth first); [] for an unknown id. */
  subtree(id: string): string[] {
    if (!this.byId.has(id)) return [];
    const ids: string[] = [];
    const seen = new Set<string>();
    for (const queue = [id]; queue.length > 0;) {
      const next = queue.shift()!;
      if (seen.has(next)) continue;
      seen.add(next);
      ids.push(next);
      for (const child of this.childrenOf.get(next) ?? []) queue.push(child.id);
    }
    return ids;
  }

  /** How many levels the sub-tree below the category adds (0 for a leaf). */
  height(id: string): number {
    const below = this.children(id);
    return below.length === 0 ? 0 : 1 + Math.max(...below.map((c) => this.height(c.id)));
  }

  /** True when `candidate` is the category itself or one of its descendants. */
  isInSubtree(id: string, candidate: string): boolean {
    return this.subtree(id).includes(candidate);
  }
}
