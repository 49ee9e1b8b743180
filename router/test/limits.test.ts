import { buildSchema, parse, type OperationDefinitionNode } from 'graphql';
import { createHash } from 'node:crypto';
import { measureOperation } from '../plugins/limits';
import { partnerForKey } from '../plugins/partners';

const schema = buildSchema(/* GraphQL */ `
  type Query {
    products(first: Int): ProductConnection!
    product(id: ID!): Product
    tags: [String!]!
  }
  type ProductConnection {
    edges: [ProductEdge!]!
  }
  type ProductEdge {
    node: Product!
  }
  type Product {
    name: String!
    related: [Product!]!
    reviews(first: Int): [Review!]!
  }
  type Review {
    text: String!
  }
`);

const measure = (query: string, variables: Record<string, unknown> = {}) => {
  const document = parse(query);
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === 'OperationDefinition',
  )!;
  return measureOperation(schema, document, operation, variables);
};

describe('measureOperation', () => {
  it('counts one per field and the depth of the deepest field', () => {
    expect(measure('{ product(id: "1") { name } }')).toEqual({ depth: 2, aliases: 0, cost: 2 });
  });

  it('multiplies a connection by first, without counting its edges list again', () => {
    // products: 1 + 50 * (edges 1 + node (1 + name 1))
    expect(measure('{ products(first: 50) { edges { node { name } } } }').cost).toBe(1 + 50 * 3);
  });

  it('reads first from variables and multiplies a list without first by 10', () => {
    expect(
      measure('query ($n: Int) { product(id: "1") { reviews(first: $n) { text } } }', { n: 7 }).cost,
    ).toBe(1 + 1 + 7);
    expect(measure('{ product(id: "1") { related { name } } }').cost).toBe(1 + 1 + 10);
  });

  it('counts aliases and fields inside fragments wherever they are spread', () => {
    const m = measure(
      '{ a: product(id: "1") { ...F } b: product(id: "2") { ...F } } fragment F on Product { n: name related { name } }',
    );
    expect(m.aliases).toBe(4);
    expect(m.depth).toBe(3);
    expect(m.cost).toBe(2 * (1 + 1 + 1 + 10));
  });

  it('leaves introspection fields free', () => {
    expect(
      measure('{ __schema { types { name fields { name type { ofType { ofType { name } } } } } } }'),
    ).toEqual({ depth: 0, aliases: 0, cost: 0 });
  });
});

describe('partnerForKey', () => {
  const keys = [
    { name: 'acme', hash: createHash('sha256').update('acme-key').digest('hex') },
    { name: 'globex', hash: createHash('sha256').update('globex-key').digest('hex') },
  ];
  it('finds the partner whose hash matches the presented key', () => {
    expect(partnerForKey(keys, 'globex-key')?.name).toBe('globex');
  });
  it('finds nothing for a missing, unknown or repeated header', () => {
    expect(partnerForKey(keys, undefined)).toBeUndefined();
    expect(partnerForKey(keys, 'acme-key ')).toBeUndefined();
    expect(partnerForKey(keys, ['acme-key', 'acme-key'])).toBeUndefined();
  });
});
