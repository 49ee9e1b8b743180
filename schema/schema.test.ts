import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSchema, isObjectType } from 'graphql';
import { checkPublicSchema, parseAccepted } from './breaking';
import { composeAll, readSubgraphs, SUBGRAPHS, type SubgraphSdl } from './composition';

const schemaDir = dirname(fileURLToPath(import.meta.url));
const root = join(schemaDir, '..');
const fixture = (name: string) =>
  readFileSync(join(root, 'router', 'test', 'fixtures', `${name}.graphql`), 'utf8');
const fixtures: SubgraphSdl[] = SUBGRAPHS.map(({ name, url }) => ({ name, url, sdl: fixture(name) }));
const HIDDEN_TYPES = ['User', 'Order', 'OrderItem', 'Payment', 'Notification'];

/** The names of the public contract's types and the fields of each object type. */
function shape(sdl: string) {
  const schema = buildSchema(sdl);
  const types = Object.keys(schema.getTypeMap()).filter((n) => !n.startsWith('__'));
  const fields = (name: string) => {
    const type = schema.getType(name);
    return isObjectType(type) ? Object.keys(type.getFields()) : [];
  };
  return { schema, types, fields };
}

describe('committed schema files', () => {
  it('equal a fresh composition of every subgraph schema.graphql (run npm run compose)', () => {
    const { subgraphs, missing } = readSubgraphs(root);
    expect(missing).toEqual([]);
    const { files } = composeAll(subgraphs);
    for (const [name, content] of Object.entries(files)) {
      const file = join(schemaDir, name);
      expect(existsSync(file) ? readFileSync(file, 'utf8') : `(schema/${name} missing)`).toBe(content);
    }
  });

  it('the committed public contract exposes no user, order, payment or notification type, and no stock', () => {
    const { types, fields } = shape(readFileSync(join(schemaDir, 'public.graphql'), 'utf8'));
    for (const hidden of HIDDEN_TYPES) expect(types).not.toContain(hidden);
    expect(types).toContain('Product');
    expect(fields('Product')).not.toContain('stock');
  });

  it('accepted-public-changes.json is well-formed', () => {
    expect(() =>
      parseAccepted(readFileSync(join(schemaDir, 'accepted-public-changes.json'), 'utf8')),
    ).not.toThrow();
  });
});

describe('public contract transform', () => {
  const { files } = composeAll(fixtures);
  const contract = shape(files['public.graphql']!);

  it('keeps tagged fields, the types they reach, and whole value types tagged at type level', () => {
    expect(contract.fields('Query').sort()).toEqual(['product', 'products']);
    expect(contract.fields('ProductConnection')).toEqual(['edges', 'pageInfo']);
    expect(contract.fields('Money')).toEqual(['amount', 'currency']);
    expect(contract.fields('Product')).toEqual(['id', 'sku', 'name', 'price', 'category']);
  });

  it('hides untagged types, fields, mutations and types only reachable through hidden fields', () => {
    for (const hidden of [
      ...HIDDEN_TYPES,
      'RegisterInput',
      'RegisterResult',
      'InvalidInputError',
      'Error',
      'OrderStatus',
    ]) {
      expect(contract.types).not.toContain(hidden);
    }
    expect(contract.schema.getMutationType()).toBeUndefined();
  });

  it('leaves the full API schema untouched', () => {
    const full = shape(files['supergraph-api.graphql']!);
    expect(full.fields('Product')).toContain('stock');
    expect(full.types).toEqual(expect.arrayContaining(HIDDEN_TYPES));
  });
});

describe('public breaking-change check', () => {
  const before =
    'type Query { product(id: ID!): Product }\ntype Product { id: ID!  name: String!  sku: String! }';
  const after = 'type Query { product(id: ID!): Product }\ntype Product { id: ID!  name: String! }';

  it('has nothing to compare without a previous schema', () => {
    expect(checkPublicSchema(after, undefined, []).unaccepted).toEqual([]);
  });

  it('fails on a removed field unless it is recorded as accepted', () => {
    const check = checkPublicSchema(after, before, []);
    expect(check.unaccepted.map((c) => c.description)).toEqual(['Product.sku was removed.']);
    const accepted = [
      {
        type: 'FIELD_REMOVED',
        description: 'Product.sku was removed.',
        reason: 'replaced by id, partners told on 2026-01-10',
      },
    ];
    expect(checkPublicSchema(after, before, accepted)).toEqual({ breaking: check.breaking, unaccepted: [] });
  });

  it('accepts additions', () => {
    expect(checkPublicSchema(before, after, []).breaking).toEqual([]);
  });

  it('rejects an accepted entry without a reason', () => {
    expect(() =>
      parseAccepted('{"accepted":[{"type":"FIELD_REMOVED","description":"x","reason":" "}]}'),
    ).toThrow(/reason/);
  });
});
