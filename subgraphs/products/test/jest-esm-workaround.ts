import { jest } from '@jest/globals';

/**
 * Jest (on Node 20) cannot `require` an ES module, and mercurius requires @fastify/static (for
 * GraphiQL, which we disable), whose dependency content-disposition 3 is ESM-only. Outside jest,
 * Node 20.19+ loads it fine. Test files import this module first and load the app with a dynamic
 * import afterwards, so mercurius gets this stand-in. (A root jest `moduleNameMapper` would make the
 * workaround unnecessary.)
 */
jest.mock('@fastify/static', () => {
  const plugin = async () => undefined;
  return Object.assign(plugin, { default: plugin });
});
