import { buildSchema, parse, type OperationDefinitionNode } from 'graphql';
import { createHash } from 'node:crypto';
import { createMeasureCache, measureOperation } from '../plugins/limits';
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

describe('createMeasureCache', () => {
  const operationOf = (query: string) => {
    const document = parse(query);
    const operation = document.definitions.find(
      (d): d is OperationDefinitionNode => d.kind === 'OperationDefinition',
    )!;
    return { document, operation };
  };

  it('measures an operation once per schema and query text', () => {
    const cache = createMeasureCache();
    const query = '{ products(first: 5) { edges { node { name } } } }';
    const { document, operation } = operationOf(query);
    const first = cache.measure(schema, query, document, operation, {});
    const second = cache.measure(schema, query, document, operation, {});
    expect(second).toEqual(first);
    expect(cache.stats()).toEqual({ hits: 1, misses: 1 });
    const other = buildSchema('type Query { products(first: Int): [String] }');
    cache.measure(other, query, document, operation, {});
    expect(cache.stats()).toEqual({ hits: 1, misses: 2 });
  });

  it('measures again when `first` comes from a variable', () => {
    const cache = createMeasureCache();
    const query = 'query P($n: Int) { products(first: $n) { edges { node { name } } } }';
    const { document, operation } = operationOf(query);
    const small = cache.measure(schema, query, document, operation, { n: 2 });
    const large = cache.measure(schema, query, document, operation, { n: 50 });
    expect(large.cost).toBeGreaterThan(small.cost);
    expect(cache.stats()).toEqual({ hits: 0, misses: 2 });
  });

  it('keeps at most `size` operations, dropping the least recently used', () => {
    const cache = createMeasureCache(2);
    const queries = ['{ tags }', '{ product(id: "1") { name } }', '{ product(id: "2") { name } }'];
    const ops = queries.map(operationOf);
    cache.measure(schema, queries[0]!, ops[0]!.document, ops[0]!.operation, {});
    cache.measure(schema, queries[1]!, ops[1]!.document, ops[1]!.operation, {});
    cache.measure(schema, queries[0]!, ops[0]!.document, ops[0]!.operation, {}); // hit: 0 is recent
    cache.measure(schema, queries[2]!, ops[2]!.document, ops[2]!.operation, {}); // evicts 1
    cache.measure(schema, queries[0]!, ops[0]!.document, ops[0]!.operation, {}); // still cached
    expect(cache.stats()).toEqual({ hits: 2, misses: 3 });
    cache.measure(schema, queries[1]!, ops[1]!.document, ops[1]!.operation, {}); // measured again
    expect(cache.stats()).toEqual({ hits: 2, misses: 4 });
  });
});
