import { watch, readFileSync, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { ApolloGateway } from '@apollo/gateway';
import type { Logger } from '@shop/server';
import { ShopDataSource } from './datasource';
import { PlanExecutor } from './executor';
import type { SubgraphClient } from './subgraph-client';

interface GatewayBaseOptions {
  /** Subgraph name -> URL; overrides the routing URLs written in the supergraph. */
  subgraphUrls: Record<string, string>;
  routerSecret: string;
  /** The subgraph HTTP client (createSubgraphClient), shared by every data source. */
  client: SubgraphClient;
  /** Approximate size of the query plan cache (LRU), in MiB (QUERY_PLAN_CACHE_MIB; Apollo's default is 30). */
  queryPlanCacheMiB: number;
  /** Who executes query plans: the router's PlanExecutor (default) or Apollo's executor only. */
  executor?: QueryExecutor;
  /** Identical subgraph requests of concurrent queries share one (default true; router executor only). */
  shareFetches?: boolean;
  log: Logger;
}

export type GatewayOptions = GatewayBaseOptions &
  (
    | {
        /** Path of a composed supergraph file (schema/supergraph.graphql or the contract's). */
        supergraphPath: string;
        /** Reload when the file changes (development). */
        watch: boolean;
      }
    | {
        /** A composed supergraph, as a string (no reloading). */
        supergraphSdl: string;
      }
  );

export type QueryExecutor = 'router' | 'apollo';

/**
 * An ApolloGateway serving a committed supergraph file (or a given SDL): no introspect-and-compose,
 * so the router starts and serves even when a subgraph is down (queries touching it get an error
 * for that part). With `watch`, the file is watched and a changed, valid supergraph replaces the
 * running one.
 *
 * Apollo's usage telemetry (an OpenTelemetry meter provider with cloud metadata detectors that
 * reports to Apollo) is switched off with APOLLO_TELEMETRY_DISABLED unless the environment sets it,
 * and the query plan is never returned to clients (`Apollo-Query-Plan-Experimental` header).
 *
 * Queries are executed by the router's PlanExecutor (executor/), which hands Apollo's executor
 * whatever it does not do itself; `executor: 'apollo'` leaves every operation to Apollo's.
 */
export function createGateway(options: GatewayOptions): ApolloGateway {
  const { log } = options;
  process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
  const sources = new Map<string, ShopDataSource>();
  const gateway = new ApolloGateway({
    logger: log,
    __exposeQueryPlanExperimental: false,
    experimental_approximateQueryPlanStoreMiB: options.queryPlanCacheMiB,
    buildService: ({ name, url }) => {
      const source = new ShopDataSource({
        name,
        url: options.subgraphUrls[name] ?? url ?? '',
        client: options.client,
        routerSecret: options.routerSecret,
        log,
      });
      sources.set(name, source);
      return source;
    },
    supergraphSdl: async ({ update }) => {
      if ('supergraphSdl' in options) return { supergraphSdl: options.supergraphSdl };
      const supergraphSdl = readFileSync(options.supergraphPath, 'utf8');
      if (!options.watch) return { supergraphSdl };
      let current = supergraphSdl;
      let timer: NodeJS.Timeout | undefined;
      const reload = () => {
        let next: string;
        try {
          next = readFileSync(options.supergraphPath, 'utf8');
        } catch (err) {
          log.warn(
            { err, path: options.supergraphPath },
            'supergraph file unreadable; keeping the running schema',
          );
          return;
        }
        if (next === current || next.trim() === '') return;
        try {
          update(next);
          current = next;
          log.info({ path: options.supergraphPath }, 'supergraph reloaded');
        } catch (err) {
          log.error(
            { err, path: options.supergraphPath },
            'supergraph update rejected; keeping the running schema',
          );
        }
      };
      // the directory, not the file: an editor that replaces the file would end a file watch
      const file = basename(options.supergraphPath);
      const watcher: FSWatcher = watch(dirname(options.supergraphPath), (_event, changed) => {
        if (changed !== null && changed !== file) return;
        // compose and editors write in several steps: settle first
        clearTimeout(timer);
        timer = setTimeout(reload, 100);
      });
      return {
        supergraphSdl,
        cleanup: async () => {
          clearTimeout(timer);
          watcher.close();
        },
      };
    },
  });
  if ((options.executor ?? 'router') === 'router') {
    const planExecutor = new PlanExecutor(sources, log, options.shareFetches ?? true);
    gateway.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) =>
      planExecutor.update(apiSchema, coreSupergraphSdl),
    );
    // load() hands Apollo Server `gateway.executor`: ours, with Apollo's behind it
    const apolloExecutor = gateway.executor;
    gateway.executor = (requestContext) => planExecutor.execute(requestContext, apolloExecutor);
  }
  return gateway;
}
