import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { execute, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { IN_STOCK, PRODUCTS, REVIEWS, USERS, type ReviewRow } from './data';

/**
 * The four subgraphs of graphql-hive/graphql-gateways-benchmark (accounts, inventory, products,
 * reviews) with @apollo/subgraph, and the quirks of its Rust originals kept on purpose:
 *  - reviews: every `Review.author` is user 1 with username "urigo" (`@provides(fields: "username")`)
 *    and `User.reviews` is always reviews 1 and 2, whoever the user is;
 *  - inventory: `shippingEstimate` `@requires(fields: "price weight")`, yet (like the original, whose
 *    entity resolver only takes the key) computes from inventory's own copy of the product, which
 *    has no price or weight: it is always null. The fields are still requested from products, so the
 *    requires hop (and its fetch) is there.
 *  - products: `topProducts(first: Int = 5)`.
 */

const LINK = (imports: string[]) =>
  `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: [${imports
    .map((i) => `"${i}"`)
    .join(', ')}])`;

export const SUBGRAPH_NAMES = ['accounts', 'inventory', 'products', 'reviews'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

export const typeDefs: Record<SubgraphName, string> = {
  accounts: /* GraphQL */ `
    ${LINK(['@key', '@shareable'])}
    type Query {
      me: User
      user(id: ID!): User
      users: [User]
    }
    type User @key(fields: "id") {
      id: ID!
      name: String
      "Shareable: reviews provides it on Review.author."
      username: String @shareable
      birthday: Int
    }
  `,
  inventory: /* GraphQL */ `
    ${LINK(['@key', '@external', '@requires'])}
    type Product @key(fields: "upc") {
      upc: String!
      weight: Int @external
      price: Int @external
      inStock: Boolean
      shippingEstimate: Int @requires(fields: "price weight")
    }
  `,
  products: /* GraphQL */ `
    ${LINK(['@key'])}
    type Query {
      topProducts(first: Int = 5): [Product]
    }
    type Product @key(fields: "upc") {
      upc: String!
      name: String
      price: Int
      weight: Int
    }
  `,
  reviews: /* GraphQL */ `
    ${LINK(['@key', '@external', '@provides'])}
    type Review @key(fields: "id") {
      id: ID!
      body: String
      product: Product
      author: User @provides(fields: "username")
    }
    type User @key(fields: "id") {
      id: ID!
      username: String @external
      reviews: [Review]
    }
    type Product @key(fields: "upc") {
      upc: String!
      reviews: [Review]
    }
  `,
};

interface InventoryProduct {
  upc: string;
  inStock: boolean | null;
  price: number | null;
  weight: number | null;
}

const reviewOut = (r: ReviewRow) => ({ id: r.id, body: r.body, product: { upc: r.productUpc } });
const AUTHOR_REVIEWS = REVIEWS.slice(0, 2).map(reviewOut);

const resolvers: Record<SubgraphName, GraphQLResolverMap<unknown>> = {
  accounts: {
    Query: {
      me: () => USERS[0],
      user: (_: unknown, { id }: { id: string }) => USERS.find((u) => u.id === id) ?? null,
      users: () => USERS,
    },
    User: {
      __resolveReference: (ref: { id: string }) => USERS.find((u) => u.id === ref.id) ?? null,
    },
  },
  inventory: {
    Product: {
      // like the original: the entity comes from inventory's own list (price and weight unset)
      __resolveReference: (ref: { upc: string }): InventoryProduct | null =>
        ref.upc in IN_STOCK
          ? { upc: ref.upc, inStock: IN_STOCK[ref.upc] ?? null, price: null, weight: null }
          : null,
      shippingEstimate: (p: InventoryProduct) => {
        if (p.price === null) return null;
        if (p.price > 1000) return 0;
        return p.weight === null ? null : Math.trunc(p.weight / 2);
      },
    },
  },
  products: {
    Query: {
      topProducts: (_: unknown, { first }: { first?: number | null }) => PRODUCTS.slice(0, first ?? 5),
    },
    Product: {
      __resolveReference: (ref: { upc: string }) => PRODUCTS.find((p) => p.upc === ref.upc) ?? null,
    },
  },
  reviews: {
    Review: {
      __resolveReference: (ref: { id: string }) => {
        const row = REVIEWS.find((r) => r.id === ref.id);
        return row ? reviewOut(row) : null;
      },
      author: () => ({ id: '1', username: 'urigo' }),
    },
    User: {
      __resolveReference: (ref: { id: string }) => ({ id: ref.id, username: 'user' }),
      reviews: () => AUTHOR_REVIEWS,
    },
    Product: {
      __resolveReference: (ref: { upc: string }) => ({ upc: ref.upc }),
      reviews: (p: { upc: string }) => REVIEWS.filter((r) => r.productUpc === p.upc).map(reviewOut),
    },
  },
};

export function buildSchemas(): Record<SubgraphName, GraphQLSchema> {
  const out = {} as Record<SubgraphName, GraphQLSchema>;
  for (const name of SUBGRAPH_NAMES)
    out[name] = buildSubgraphSchema({ typeDefs: parse(typeDefs[name]), resolvers: resolvers[name] });
  return out;
}

/** Subgraph HTTP requests served, per subgraph. */
export type SubgraphCounts = Record<SubgraphName, number>;

/** Entity representations received in `_entities` requests: all of them, and distinct per request. */
export interface RepresentationCounts {
  representations: number;
  distinct: number;
}

export interface SubgraphsServer {
  /** `http://127.0.0.1:<port>/<name>` per subgraph. */
  urls: Record<SubgraphName, string>;
  port: number;
  counts(): SubgraphCounts;
  total(): number;
  representations(): RepresentationCounts;
  reset(): void;
  stop(): Promise<void>;
}

const MAX_DOCUMENTS = 1000;

/**
 * All four subgraphs on one node:http server (as the benchmark's current Rust server does, one
 * path each), POST GraphQL-over-HTTP JSON. Parsed and validated documents are cached by query text
 * (a gateway sends the same few queries over and over). GET /stats returns
 * `{ requests: {<name>: n}, representations, distinct }`, POST /stats/reset zeroes them.
 */
export async function startSubgraphs(port = 0, host = '127.0.0.1'): Promise<SubgraphsServer> {
  const schemas = buildSchemas();
  const counts: SubgraphCounts = { accounts: 0, inventory: 0, products: 0, reviews: 0 };
  const reps: RepresentationCounts = { representations: 0, distinct: 0 };
  const countRepresentations = (variables: unknown) => {
    const list = (variables as { representations?: unknown } | null | undefined)?.representations;
    if (!Array.isArray(list)) return;
    reps.representations += list.length;
    const seen = new Set<string>();
    for (const r of list as Record<string, unknown>[])
      seen.add(`${String(r.__typename)}:${String(r.id ?? r.upc)}:${String(r.price)}:${String(r.weight)}`);
    reps.distinct += seen.size;
  };
  const documents = new Map<string, { document: DocumentNode } | { error: string }>();

  const reset = () => {
    for (const n of SUBGRAPH_NAMES) counts[n] = 0;
    reps.representations = 0;
    reps.distinct = 0;
  };
  const send = (res: ServerResponse, status: number, body: string) => {
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  };

  const serveGraphQL = (name: SubgraphName, req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      counts[name] += 1;
      let body: { query?: unknown; variables?: unknown; operationName?: unknown };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      } catch {
        send(res, 400, JSON.stringify({ errors: [{ message: 'Request body is not valid JSON' }] }));
        return;
      }
      if (typeof body.query !== 'string') {
        send(res, 400, JSON.stringify({ errors: [{ message: 'Missing query' }] }));
        return;
      }
      const key = `${name}\n${body.query}`;
      let cached = documents.get(key);
      if (!cached) {
        try {
          const document = parse(body.query);
          const errors = validate(schemas[name], document);
          cached = errors.length ? { error: errors.map((e) => e.message).join('; ') } : { document };
        } catch (err) {
          cached = { error: (err as Error).message };
        }
        if (documents.size >= MAX_DOCUMENTS) documents.clear();
        documents.set(key, cached);
      }
      countRepresentations(body.variables);
      if ('error' in cached) {
        send(res, 400, JSON.stringify({ errors: [{ message: cached.error }] }));
        return;
      }
      Promise.resolve(
        execute({
          schema: schemas[name],
          document: cached.document,
          variableValues: (body.variables ?? undefined) as Record<string, unknown> | undefined,
          operationName: typeof body.operationName === 'string' ? body.operationName : undefined,
        }),
      ).then(
        (result) => send(res, 200, JSON.stringify(result)),
        (err: unknown) => send(res, 500, JSON.stringify({ errors: [{ message: String(err) }] })),
      );
    });
  };

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/stats' && req.method === 'GET')
      return send(res, 200, JSON.stringify({ requests: counts, ...reps }));
    if (path === '/stats/reset' && req.method === 'POST') {
      reset();
      req.resume();
      return send(res, 200, JSON.stringify({ requests: counts, ...reps }));
    }
    if (path === '/health') return send(res, 200, '"OK"');
    const name = path.slice(1) as SubgraphName;
    if (req.method === 'POST' && SUBGRAPH_NAMES.includes(name)) return serveGraphQL(name, req, res);
    req.resume();
    send(res, 404, JSON.stringify({ errors: [{ message: 'not found' }] }));
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  const urls = Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, `http://${host}:${actual}/${n}`])) as Record<
    SubgraphName,
    string
  >;
  return {
    urls,
    port: actual,
    counts: () => ({ ...counts }),
    total: () => SUBGRAPH_NAMES.reduce((sum, n) => sum + counts[n], 0),
    representations: () => ({ ...reps }),
    reset,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
