import { watch, readFileSync, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { ApolloGateway } from '@apollo/gateway';
import type { Logger } from '@shop/observability';
import { ShopDataSource, type RouterContext } from './datasource';

export interface GatewayOptions {
  /** Path of a composed supergraph file (schema/supergraph.graphql or the contract's). */
  supergraphPath: string;
  /** Subgraph name -> URL; overrides the routing URLs written in the supergraph. */
  subgraphUrls: Record<string, string>;
  routerSecret: string;
  fetcher: ShopDataSource['fetcher'];
  /** Reload when the file changes (development). */
  watch: boolean;
  log: Logger;
}

/**
 * An ApolloGateway serving a committed supergraph file: no introspect-and-compose, so the router
 * starts and serves even when a subgraph is down (queries touching it get an error for that part).
 * With `watch`, the file is watched and a changed, valid supergraph replaces the running one.
 */
export function createGateway(options: GatewayOptions): ApolloGateway {
  const { log } = options;
  return new ApolloGateway({
    logger: log,
    buildService: ({ name, url }) =>
      new ShopDataSource({
        name,
        url: options.subgraphUrls[name] ?? url ?? '',
        fetcher: options.fetcher,
        routerSecret: options.routerSecret,
        log,
      }),
    supergraphSdl: async ({ update }) => {
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
}

export type { RouterContext };
