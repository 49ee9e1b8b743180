/**
 * MongoDB protocol through `mongoose`, the client the products subgraph uses; locally the server is
 * FerretDB. Each run uses its own database and drops it afterwards.
 */
import { randomBytes } from 'node:crypto';
import { endpointFields, loadConfig, z } from '@shop/config';
import mongoose from 'mongoose';

const { MONGO_URL } = loadConfig(z.object({ MONGO_URL: endpointFields.MONGO_URL }));
const dbName = `test_mongo_${randomBytes(4).toString('hex')}`;

interface Product {
  sku: string;
  name: string;
  stock: number;
}

const productSchema = new mongoose.Schema<Product>({
  sku: { type: String, required: true, unique: true },
  name: { type: String, required: true },
  stock: { type: Number, required: true, min: 0 },
});

let connection: mongoose.Connection;
let Products: mongoose.Model<Product>;

beforeAll(async () => {
  connection = await mongoose.createConnection(MONGO_URL, { dbName, autoIndex: false }).asPromise();
  Products = connection.model<Product>('Product', productSchema);
  await Products.createIndexes();
});

afterAll(async () => {
  await connection?.dropDatabase();
  await connection?.close();
});

test('creates a document and finds it', async () => {
  await Products.create({ sku: 'MUG-1', name: 'Mug', stock: 5 });

  const found = await Products.find({ sku: 'MUG-1' }).lean();

  expect(found.map(({ sku, name, stock }) => ({ sku, name, stock }))).toEqual([
    { sku: 'MUG-1', name: 'Mug', stock: 5 },
  ]);
});

test('a unique index rejects a duplicate with code 11000', async () => {
  await Products.create({ sku: 'TEE-1', name: 'T-shirt', stock: 1 });

  await expect(Products.create({ sku: 'TEE-1', name: 'Another', stock: 2 })).rejects.toMatchObject({
    code: 11000,
  });
  expect(await Products.countDocuments({ sku: 'TEE-1' })).toBe(1);
});

test('a $gte-guarded $inc takes stock but never below zero', async () => {
  await Products.create({ sku: 'CAP-1', name: 'Cap', stock: 3 });
  const take = (n: number) =>
    Products.findOneAndUpdate(
      { sku: 'CAP-1', stock: { $gte: n } },
      { $inc: { stock: -n } },
      { returnDocument: 'after' },
    ).lean();

  const taken = await take(2);
  expect(taken?.stock).toBe(1);

  const refused = await take(2);
  expect(refused).toBeNull();
  expect((await Products.findOne({ sku: 'CAP-1' }).lean())?.stock).toBe(1);
});
