import { isCategoryId } from './categories.repository';
import { categoryNotFound, type CategoryNotFound } from './categories.service';
import { checkImages, MAX_PRODUCT_IMAGES, type ImageInput, type ImageStore } from './images';
import type { ImageModel, NewProduct, ProductPatch } from './models';
import {
  CONTROL,
  descriptionProblem,
  invalid,
  isInvalid,
  nameProblem,
  textProblem,
  type InvalidInput,
} from './products.inputs';
import { isSlug, slugify } from './slugs';
import type { SlugChoice } from './slugs.repository';
import {
  checkProductVariants,
  isProblem,
  type Limits,
  type OptionInput,
  type VariantInput,
  type VariantProblem,
} from './variants';

/**
 * createProduct's and updateProduct's input rules for the catalogue's fields (name, slug,
 * description, categories, images); the variants' rules (sku, price, stock, options, variants) are
 * variants.ts's. Everything here is checked before anything is written.
 */

export const MAX_NAME_LENGTH = 200;
export const MAX_DESCRIPTION_LENGTH = 10_000;
/** Categories per product. */
export const MAX_PRODUCT_CATEGORIES = 10;
/** The legacy `category` string (a slug, or text made one). */
export const MAX_LEGACY_CATEGORY_LENGTH = 64;

export const SLUG_RULE = 'slug must be 1-100 lower-case letters a-z, digits and single "-" between them';

export interface MoneyInput {
  amount: number;
  currency: string;
}

export interface CreateProductInput {
  sku: string;
  name: string;
  slug?: string | null;
  description?: string | null;
  price: MoneyInput;
  stock?: number | null;
  category?: string | null;
  categoryIds?: readonly string[] | null;
  images?: readonly ImageInput[] | null;
  options?: readonly OptionInput[] | null;
  variants?: readonly VariantInput[] | null;
}

export interface UpdateProductInput {
  sku?: string | null;
  name?: string | null;
  description?: string | null;
  price?: MoneyInput | null;
  slug?: string | null;
  category?: string | null;
  categoryIds?: readonly string[] | null;
  images?: readonly ImageInput[] | null;
}

/** Which categories the input names: by id (checked against the tree later) or a legacy string. */
export type CategoryChoice = { ids: string[] } | { legacy: string };

/** The categories of createProduct / updateProduct: exactly one of categoryIds (1-10) and category. */
export function checkCategoryChoice(
  input: Pick<CreateProductInput, 'category' | 'categoryIds'>,
  required: boolean,
): InvalidInput | CategoryNotFound | CategoryChoice | null {
  if (input.category != null && input.categoryIds != null)
    return invalid('categoryIds', 'give category or categoryIds, not both');
  if (input.categoryIds != null) {
    const ids = input.categoryIds;
    if (ids.length < 1 || ids.length > MAX_PRODUCT_CATEGORIES)
      return invalid('categoryIds', `a product belongs to 1 to ${MAX_PRODUCT_CATEGORIES} categories`);
    if (new Set(ids).size !== ids.length) return invalid('categoryIds', 'a category is given twice');
    const malformed = ids.find((id) => !isCategoryId(id));
    if (malformed !== undefined) return categoryNotFound(malformed);
    return { ids: [...ids] };
  }
  if (input.category != null) {
    const text = input.category.trim();
    const problem =
      textProblem('category', text, CONTROL) ??
      (text.length >= 1 && text.length <= MAX_LEGACY_CATEGORY_LENGTH
        ? null
        : `category must be 1-${MAX_LEGACY_CATEGORY_LENGTH} characters`);
    if (problem) return invalid('category', problem);
    return { legacy: text };
  }
  return required ? invalid('categoryIds', 'give categoryIds (or the legacy category)') : null;
}

/** A new product's catalogue fields and variants, with the slug chosen and the categories still to resolve. */
export interface CheckedNew {
  product: Omit<NewProduct, 'categoryIds'>;
  slug: SlugChoice;
  categories: CategoryChoice;
}

export function checkNewProduct(
  input: CreateProductInput,
  limits: Limits,
  store: ImageStore,
): InvalidInput | VariantProblem | CategoryNotFound | CheckedNew {
  const name = input.name.trim();
  const nameP = nameProblem('name', input.name, MAX_NAME_LENGTH);
  if (nameP) return invalid('name', nameP);
  if (input.slug != null && !isSlug(input.slug)) return invalid('slug', SLUG_RULE);
  const description = input.description ?? '';
  const descriptionP = descriptionProblem('description', description, MAX_DESCRIPTION_LENGTH);
  if (descriptionP) return invalid('description', descriptionP);
  const categories = checkCategoryChoice(input, true) ?? invalid('categoryIds', 'give categoryIds');
  if ('__typename' in categories) return categories;
  const variants = checkProductVariants(input, limits);
  if (isProblem(variants)) return variants;
  const images = checkImages(input.images, { field: 'images', max: MAX_PRODUCT_IMAGES, store });
  if (isInvalid(images)) return images;
  const slug: SlugChoice = input.slug != null ? { exact: input.slug } : { base: slugify(name, 'product') };
  return {
    product: {
      name,
      slug: 'exact' in slug ? slug.exact : slug.base,
      description,
      images,
      options: variants.options,
      variants: variants.variants,
    },
    slug,
    categories,
  };
}

/** updateProduct's catalogue fields (sku and price are the only variant's: variants.ts checks them). */
export interface CheckedPatch {
  patch: Omit<ProductPatch, 'categoryIds'>;
  categories: CategoryChoice | null;
}

export function checkProductPatch(
  input: UpdateProductInput,
  store: ImageStore,
): InvalidInput | CategoryNotFound | CheckedPatch {
  const patch: CheckedPatch['patch'] = {};
  if (input.name != null) {
    const problem = nameProblem('name', input.name, MAX_NAME_LENGTH);
    if (problem) return invalid('name', problem);
    patch.name = input.name.trim();
  }
  if (input.description != null) {
    const problem = descriptionProblem('description', input.description, MAX_DESCRIPTION_LENGTH);
    if (problem) return invalid('description', problem);
    patch.description = input.description;
  }
  if (input.slug != null) {
    if (!isSlug(input.slug)) return invalid('slug', SLUG_RULE);
    patch.slug = input.slug;
  }
  if (input.images != null) {
    const images: InvalidInput | ImageModel[] = checkImages(input.images, {
      field: 'images',
      max: MAX_PRODUCT_IMAGES,
      store,
    });
    if (isInvalid(images)) return images;
    patch.images = images;
  }
  const categories = checkCategoryChoice(input, false);
  if (categories !== null && '__typename' in categories) return categories;
  return { patch, categories };
}
