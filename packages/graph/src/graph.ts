/**
 * The graph's processes, from the one service table of @shop/config: their start order and the
 * variables that point them at each other, and a launcher for all of them.
 */
import {
  PSP,
  ROUTER,
  SUBGRAPH_NAMES,
  SUBGRAPHS,
  subgraphUrlVariable,
  type ProcessName,
  type SubgraphName,
} from '@shop/config';
import { createLauncher, type Launcher, type LauncherOptions, type ProcessSpec } from './launcher';

/** Every process of the graph: the five subgraphs, the test PSP and the router. */
export const PROCESSES: readonly ProcessSpec<ProcessName>[] = [...SUBGRAPHS, PSP, ROUTER];

/** The subgraph that issues tokens: the others fetch its JWKS when they start. */
export const TOKEN_ISSUER: SubgraphName = 'users';

/**
 * Start order: the token issuer with the test PSP (payments charges through it, so it is up before
 * payments), then the other subgraphs together, the router last (it composes all five).
 */
export const START_ORDER: readonly (readonly ProcessName[])[] = [
  [TOKEN_ISSUER, PSP.name],
  SUBGRAPH_NAMES.filter((name) => name !== TOKEN_ISSUER),
  [ROUTER.name],
];

/**
 * The variables that point a process at the others on these ports: JWKS_URL, the router's USERS_URL,
 * ..., payments' PSP_URL, and the PSP's WEBHOOK_URL (payments' endpoint) and PUBLIC_URL (itself, as
 * a browser on this machine reaches it).
 */
export function wiringEnv(name: ProcessName, ports: Record<ProcessName, number>): Record<string, string> {
  if (name === PSP.name)
    return {
      WEBHOOK_URL: `http://127.0.0.1:${ports.payments}/webhooks/provider`,
      PUBLIC_URL: `http://localhost:${ports[PSP.name]}`,
    };
  const env: Record<string, string> = {
    JWKS_URL: `http://127.0.0.1:${ports[TOKEN_ISSUER]}/.well-known/jwks.json`,
  };
  if (name === 'payments') env.PSP_URL = `http://127.0.0.1:${ports[PSP.name]}`;
  if (name === ROUTER.name)
    for (const subgraph of SUBGRAPH_NAMES)
      env[subgraphUrlVariable(subgraph)] = `http://127.0.0.1:${ports[subgraph]}/graphql`;
  return env;
}

export type GraphLauncherOptions = Omit<LauncherOptions<ProcessName>, 'processes' | 'stages'>;
export type GraphLauncher = Launcher<ProcessName>;

/**
 * A launcher for the whole graph in START_ORDER. On free ports (the default) every process is told
 * where the others are; on the table's ports their own defaults already say so.
 */
export function createGraphLauncher(options: GraphLauncherOptions): Promise<GraphLauncher> {
  const free = options.ports !== 'table';
  return createLauncher<ProcessName>({
    ...options,
    processes: PROCESSES,
    stages: START_ORDER,
    envFor: (name, ports) => ({
      ...(free ? wiringEnv(name, ports) : {}),
      ...options.envFor?.(name, ports),
    }),
  });
}

/** The router's /graphql URL of a running graph. */
export const gatewayUrl = (graph: GraphLauncher) => `${graph.url(ROUTER.name)}/graphql`;
