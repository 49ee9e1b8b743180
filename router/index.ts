export { configSchema, DEMO_PARTNER_KEY, type Config } from './config';
export { createRouter, type Router, type RouterOverrides } from './app';
export { measureOperation, operationLimitsPlugin, type OperationLimits } from './plugins/limits';
export { partnerForKey, createRateLimiter } from './plugins/partners';
export {
  createGraphQLApollo,
  subgraphClientFor,
  type GraphQLApollo,
  type GraphQLApolloOptions,
} from './graphql';
export {
  createSubgraphClient,
  dedupeRepresentations,
  fanOutEntities,
  ShopDataSource,
  type RouterContext,
  type SubgraphClient,
} from './datasource';
