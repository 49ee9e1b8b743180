// The router's front door: what the start command, the e2e environment, the docs script and the
// benchmarks use. Everything else is internal (the router's tests import it by relative path).
export { configSchema, DEMO_PARTNER_KEY, type Config } from './config';
export { createRouter, type Router, type RouterOverrides } from './app';
export { createGraphQLApollo, type GraphQLApollo, type GraphQLApolloOptions } from './graphql';
// the types in createGraphQLApollo's signature
export type { RouterContext } from './context';
export type { SubgraphClient } from './subgraph-client';
export type { SubscriptionStats } from './subscriptions';
