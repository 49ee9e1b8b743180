import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { SUBGRAPH_NAMES, typeDefs, type SubgraphName } from './subgraphs';

/** The fixed query of graphql-hive/graphql-gateways-benchmark (its k6 scenario's `TestQuery`). */
export const BENCH_QUERY = /* GraphQL */ `
  fragment User on User {
    id
    username
    name
  }

  fragment Review on Review {
    id
    body
  }

  fragment Product on Product {
    inStock
    name
    price
    shippingEstimate
    upc
    weight
  }

  query TestQuery {
    users {
      ...User
      reviews {
        ...Review
        product {
          ...Product
          reviews {
            ...Review
            author {
              ...User
              reviews {
                ...Review
                product {
                  ...Product
                }
              }
            }
          }
        }
      }
    }
    topProducts {
      ...Product
      reviews {
        ...Review
        author {
          ...User
          reviews {
            ...Review
            product {
              ...Product
            }
          }
        }
      }
    }
  }
`;

/** The request body every load generator sends. */
export const BENCH_BODY = JSON.stringify({ query: BENCH_QUERY, operationName: 'TestQuery' });

/** Length in bytes of the `{"data":...}` JSON response (compact, no trailing newline). */
export const EXPECTED_RESPONSE_BYTES = 87_599;
/**
 * sha256 of that response (`{"data":...}`, compact, without a trailing newline). Apollo Server adds a
 * newline (87,600 bytes on the wire); the harness compares the body with the newline trimmed.
 */
export const EXPECTED_RESPONSE_SHA256 = '0e2e4499acbc2256c73d29376bfbeb54084e9b22a2414d87d8990a6408c1c90e';
/**
 * Subgraph fetches of @apollo/gateway's query plan: 16, the two root fields' branches in parallel,
 * the longest chain 4 sequential fetches (accounts -> reviews -> products -> inventory's
 * `@requires` fetch). Gateways that batch entity fetches per subgraph and hop
 * (Hive Gateway) send fewer.
 */
export const EXPECTED_SUBGRAPH_FETCHES = 16;

/** The supergraph of the four subgraphs, composed with @apollo/composition. */
export function composeBenchSupergraph(urls: Record<SubgraphName, string>): string {
  const result = composeServices(
    SUBGRAPH_NAMES.map((name) => ({ name, url: urls[name], typeDefs: parse(typeDefs[name]) })),
  );
  if (result.errors) {
    throw new Error(`composition failed:\n${result.errors.map((e) => `  - ${e.message}`).join('\n')}`);
  }
  return result.supergraphSdl;
}
