import { existsSync } from 'node:fs';

/** @type {[string, Record<string, unknown>]} */
const swc = [
  '@swc/jest',
  { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } },
];

/**
 * One project per workspace folder, so `npm run test:only -- --selectProjects users` runs one
 * subgraph's tests.
 * @param {string} displayName
 * @param {string[]} roots
 * @returns {import('jest').Config}
 */
const project = (displayName, roots) => ({
  displayName,
  roots,
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: { '^@fastify/static$': '<rootDir>/test/stubs/fastify-static.cjs' },
  setupFilesAfterEnv: ['<rootDir>/jest.setup.ts'],
  testEnvironment: 'node',
});

/** @type {import('jest').Config} */
export default {
  projects: [
    project('packages', ['<rootDir>/packages']),
    project('users', ['<rootDir>/subgraphs/users']),
    project('products', ['<rootDir>/subgraphs/products']),
    project('orders', ['<rootDir>/subgraphs/orders']),
    project('payments', ['<rootDir>/subgraphs/payments']),
    project('notifications', ['<rootDir>/subgraphs/notifications']),
    project('psp', ['<rootDir>/psp']),
    project('router', ['<rootDir>/router', '<rootDir>/schema']),
    project('e2e', ['<rootDir>/e2e']),
    project('storefront', ['<rootDir>/storefront/test']),
    project('bench', ['<rootDir>/bench/test']),
    project('repo', ['<rootDir>/test']),
  ].filter((p) => (p.roots ?? []).every((root) => existsSync(root.replace('<rootDir>', '.')))),
  testTimeout: 30_000,
  maxWorkers: 2,
};
