import { buildSchema, parse, type OperationDefinitionNode } from 'graphql';
import { createHash } from 'node:crypto';
import { analyseOperation, createMeasureCache, measureOperation } from '../plugins/limits';
import { operationResolutionError, unsupportedOperationError } from '../plugins/operations';
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

/** `levels` + 1 fragments, each spreading the previous one twice: 2^levels fields once expanded. */
const fragmentBomb = (
  levels: number,
  spreadOn = 'products(first: 1) { edges { node { ...F' + levels + ' } } }',
) => {
  let fragments = 'fragment F0 on Product { name n: name }';
  for (let i = 1; i <= levels; i++) fragments += ` fragment F${i} on Product { ...F${i - 1} ...F${i - 1} }`;
  return `{ ${spreadOn} } ${fragments}`;
};

describe('analyseOperation (fragments are measured once)', () => {
  const analyse = (query: string, limits?: { maxDepth: number; maxAliases: number; maxCost: number }) => {
    const document = parse(query);
    const operation = document.definitions.find(
      (d): d is OperationDefinitionNode => d.kind === 'OperationDefinition',
    )!;
    return analyseOperation(schema, document, operation, {}, limits);
  };

  it('measures a 41-fragment bomb (2^40 fields) exactly, visiting each fragment once', () => {
    const { measure, visits, exceeded } = analyse(fragmentBomb(40));
    // products 1 + 1 * (edges 1 + node (1 + 2^40 * name 1)); 2^40 aliased names
    expect(measure).toEqual({ depth: 4, aliases: 2 ** 40, cost: 1 + 1 + 1 + 2 ** 41 });
    expect(exceeded).toBeUndefined();
    // the operation's 3 fields and 1 spread, 2 spreads in each of F1..F40, the 2 fields of F0
    expect(visits).toBe(4 + 80 + 2);
  });

  it('gives the same figures as expanding the fragments by hand', () => {
    const expanded = `{ products(first: 1) { edges { node { ${'name n: name '.repeat(2 ** 6)} } } } }`;
    expect(analyse(fragmentBomb(6)).measure).toEqual(analyse(expanded).measure);
    // a fragment spread both under a connection and under a plain list counts each way
    const twoWays =
      '{ products(first: 3) { edges { ...E } } product(id: "1") { related { ...P } } } fragment E on ProductEdge { node { ...P } } fragment P on Product { related { name } }';
    const byHand =
      '{ products(first: 3) { edges { node { related { name } } } } product(id: "1") { related { related { name } } } }';
    expect(analyse(twoWays).measure).toEqual(analyse(byHand).measure);
  });

  it('stops at the first limit exceeded, after a handful of visits', () => {
    const limits = { maxDepth: 12, maxAliases: 1000, maxCost: 5000 };
    const aliasesFirst = analyse(fragmentBomb(40), limits);
    expect(aliasesFirst.exceeded).toBe('aliases');
    expect(aliasesFirst.measure.aliases).toBeGreaterThan(1000);
    // down the first spreads to F0 (4 + 40 + 2), then back up until F10 has 2^10 + ... aliases
    expect(aliasesFirst.visits).toBeLessThanOrEqual(60);
    const costFirst = analyse(fragmentBomb(40), { ...limits, maxAliases: Infinity });
    expect(costFirst.exceeded).toBe('cost');
    expect(costFirst.measure.cost).toBeGreaterThan(5000);
    expect(costFirst.visits).toBeLessThanOrEqual(60);
    const deep = analyse('{ product(id: "1") { related { related { related { name } } } } }', {
      ...limits,
      maxDepth: 3,
    });
    expect(deep).toMatchObject({ exceeded: 'depth', measure: { depth: 5 } });
  });

  it('returns the whole measure when it is within the limits', () => {
    const { measure, exceeded } = analyse('{ products(first: 2) { edges { node { name } } } }', {
      maxDepth: 4,
      maxAliases: 0,
      maxCost: 7,
    });
    expect({ measure, exceeded }).toEqual({
      measure: { depth: 4, aliases: 0, cost: 7 },
      exceeded: undefined,
    });
  });

  it('counts nothing for a fragment cycle or an unknown fragment (validation refuses both)', () => {
    expect(analyse('{ product(id: "1") { ...A ...X } } fragment A on Product { name ...A }').measure).toEqual(
      {
        depth: 2,
        aliases: 0,
        cost: 2,
      },
    );
  });
});

describe('operation resolution', () => {
  it('names the unknown operation, or asks for a name when there are several', () => {
    const one = parse('query A { tags }');
    const two = parse('query A { tags } query B { tags }');
    const unknown = operationResolutionError(one, 'B');
    expect({ message: unknown.message, extensions: unknown.extensions }).toEqual({
      message: 'Unknown operation named "B".',
      extensions: { code: 'OPERATION_RESOLUTION_FAILURE', http: { status: 400 } },
    });
    expect(operationResolutionError(two, undefined).message).toBe(
      'Must provide operation name if query contains multiple operations.',
    );
  });

  it('refuses an operation type the schema has no root type for', () => {
    const error = (query: string) => {
      const operation = parse(query).definitions[0] as OperationDefinitionNode;
      const found = unsupportedOperationError(schema, operation);
      return found && { message: found.message, extensions: found.extensions };
    };
    expect(error('subscription { tags }')).toEqual({
      message: 'The subscription operation is not supported by the schema.',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } },
    });
    expect(error('mutation { tags }')?.message).toBe(
      'The mutation operation is not supported by the schema.',
    );
    expect(error('query { tags }')).toBeUndefined();
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

  it('refuses over the limits without caching the partial measure', () => {
    const cache = createMeasureCache();
    const query = fragmentBomb(40);
    const { document, operation } = operationOf(query);
    const limits = { maxDepth: 12, maxAliases: Infinity, maxCost: 5000 };
    const refused = cache.measure(schema, query, document, operation, {}, limits);
    expect(refused).toMatchObject({ exceeded: 'cost', lowerBound: true });
    cache.measure(schema, query, document, operation, {}, limits);
    expect(cache.stats()).toEqual({ hits: 0, misses: 2 });
    // a cached complete measure is checked against the limits it is asked with
    const small = '{ products(first: 5) { edges { node { name } } } }';
    const op = operationOf(small);
    cache.measure(schema, small, op.document, op.operation, {});
    expect(cache.measure(schema, small, op.document, op.operation, {}, { ...limits, maxCost: 10 })).toEqual({
      depth: 4,
      aliases: 0,
      cost: 16,
      exceeded: 'cost',
    });
    expect(cache.stats()).toEqual({ hits: 1, misses: 3 });
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
