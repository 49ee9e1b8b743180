import type { Logger } from '@shop/server';
import type { CategoriesService } from './categories.service';
import type { ProductsRepository } from './products.repository';
import { slugify } from './slugs';

/**
 * The start-up migration of products from before categories and slugs (issue 18), idempotent:
 *
 * - every product without `categoryIds` gets the category its old free-text `category` names: the
 *   category whose slug is made from that text (`Kitchen` → `kitchen`), created top-level with a
 *   title-cased name when there is none (one per distinct text, under the tree lock);
 * - every product without a `slug` gets one made from its name (suffixed `-2`, `-3` … when taken).
 *
 * Each product is completed under its own lock with one write that sets only what it lacks, so a
 * second run (or a second instance starting at the same time) changes nothing, and a run that died
 * half-way is finished by the next. Returns how many products it completed.
 */
export async function migrateCatalogue(deps: {
  products: ProductsRepository;
  categories: CategoriesService;
  log?: Logger;
}): Promise<number> {
  const legacy = await deps.products.legacyProducts();
  if (legacy.length === 0) return 0;
  const texts = [...new Set(legacy.map((p) => p.category ?? 'uncategorised'))];
  const idOf = await deps.categories.withTree(async (tree) => {
    const ids = new Map<string, string>();
    const bySlug = new Map<string, string>();
    for (const text of texts) {
      const slug = slugify(text, 'uncategorised');
      let id = bySlug.get(slug);
      if (id === undefined) {
        id = (await deps.categories.ensureLegacy(tree, text)).id;
        bySlug.set(slug, id);
      }
      ids.set(text, id);
    }
    return ids;
  });
  for (const product of legacy) {
    await deps.products.completeLegacy(product.id, [idOf.get(product.category ?? 'uncategorised')!]);
  }
  deps.log?.info(
    { products: legacy.length, categories: idOf.size },
    'catalogue migrated: categories and slugs',
  );
  return legacy.length;
}
