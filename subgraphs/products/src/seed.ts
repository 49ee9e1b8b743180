import mongoose from 'mongoose';
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '@shop/config';
import { createLogger } from '@shop/server';
import { migrateCatalogue } from './catalogue.migrations';
import { CategoriesRepository } from './categories.repository';
import { CategoriesService } from './categories.service';
import { configSchema } from './config';
import { Locks } from './locks';
import { ProductsRepository } from './products.repository';
import { demoCatalogue, seedCatalogue } from './seed-data';
import { seedGenerated, MAX_GENERATED } from './seed-generated';
import { SlugRegistry } from './slugs.repository';
import { SkuRegistry } from './variants.skus';

/**
 * `npm run seed -w @shop/products [-- --products N]`: loads the demo catalogue into MONGO_URL
 * (idempotent: categories by slug, products by SKU); with --products, also N generated products
 * (for the search benchmark; generated SKUs are numbered, so a second run adds none).
 */
const { values } = parseArgs({ options: { products: { type: 'string' } }, allowPositionals: false });
const generated = values.products === undefined ? 0 : Number(values.products);
const config = loadConfigOrExit('products', configSchema);
const log = createLogger({ name: 'products-seed', level: config.LOG_LEVEL });
if (!Number.isInteger(generated) || generated < 0 || generated > MAX_GENERATED) {
  log.error(`--products must be a whole number from 0 to ${MAX_GENERATED}`);
  process.exit(2);
}
const connection = await mongoose
  .createConnection(config.MONGO_URL, { serverSelectionTimeoutMS: 5000 })
  .asPromise();
try {
  const locks = new Locks({ connection });
  const slugs = new SlugRegistry({ connection, locks });
  const products = new ProductsRepository({
    connection,
    locks,
    slugs,
    skus: new SkuRegistry({ connection, locks }),
  });
  const categories = new CategoriesService({
    repository: new CategoriesRepository({ connection, locks, slugs }),
    countProducts: (ids) => products.countInCategories(ids),
  });
  await products.init();
  await migrateCatalogue({ products, categories, log });
  // Search index: the products' index writes are deferred to one rebuild at the end (search.repository.ts).
  products.search.log = log;
  const { added, addedGenerated } = await products.search.deferred(async () => ({
    added: await seedCatalogue({ products, categories }),
    addedGenerated: generated > 0 ? await seedGenerated({ products, categories }, generated) : 0,
  }));
  log.info(
    { added, addedGenerated, catalogue: demoCatalogue.length, total: await products.count() },
    'demo catalogue seeded',
  );
} finally {
  await connection.close();
}
