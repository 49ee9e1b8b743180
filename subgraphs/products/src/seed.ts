import mongoose from 'mongoose';
import { loadConfigOrExit } from '@shop/config';
import { createLogger } from '@shop/server';
import { configSchema } from './config';
import { Locks } from './locks';
import { ProductsRepository } from './products.repository';
import { demoCatalogue, seedCatalogue } from './seed-data';

/** `npm run seed -w @shop/products`: loads the demo catalogue into MONGO_URL (idempotent by SKU). */
const config = loadConfigOrExit('products', configSchema);
const log = createLogger({ name: 'products-seed', level: config.LOG_LEVEL });
const connection = await mongoose
  .createConnection(config.MONGO_URL, { serverSelectionTimeoutMS: 5000 })
  .asPromise();
try {
  const repository = new ProductsRepository({ connection, locks: new Locks({ connection }) });
  await repository.init();
  const added = await seedCatalogue(repository);
  log.info(
    { added, catalogue: demoCatalogue.length, total: await repository.count() },
    'demo catalogue seeded',
  );
} finally {
  await connection.close();
}
