/** Where the graph and the test PSP are, fixed at build time (vite.config.ts). */
export const GRAPHQL_URL: string = import.meta.env.VITE_GRAPHQL_URL ?? 'http://localhost:4000/graphql';
export const PSP_URL: string = import.meta.env.VITE_PSP_URL ?? 'http://localhost:4010';
