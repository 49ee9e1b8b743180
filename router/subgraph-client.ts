import { Pool } from 'undici';
import type { Config } from './config';

export interface SubgraphClientOptions {
  connectTimeoutMs: number;
  /** Headers and body timeout of one subgraph request. */
  timeoutMs: number;
  /** Keep-alive connections per subgraph origin (default 32). */
  connections?: number;
}

export interface SubgraphResponse {
  status: number;
  contentType: string;
  body: string;
}

export interface SubgraphClient {
  /** POSTs a JSON body to a subgraph URL; rejects on connection errors and timeouts only. */
  post(url: string, body: string, headers: Record<string, string>): Promise<SubgraphResponse>;
  close(): Promise<void>;
}

/**
 * The subgraph HTTP client: one undici `Pool` per subgraph origin (keep-alive, no pipelining,
 * `connections` sockets), connect, headers and body timeouts. `Pool.request` directly, not `fetch`:
 * no WHATWG Request/Response/Headers objects and streams per call, which cost more CPU than the
 * request itself on a private network.
 */
export function createSubgraphClient(options: SubgraphClientOptions): SubgraphClient {
  const pools = new Map<string, Pool>();
  const poolFor = (origin: string) => {
    let pool = pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: options.connections ?? 32,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 60_000,
        connect: { timeout: options.connectTimeoutMs },
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
      pools.set(origin, pool);
    }
    return pool;
  };
  const targets = new Map<string, { pool: Pool; path: string }>();
  return {
    async post(url, body, headers) {
      let target = targets.get(url);
      if (!target) {
        const parsed = new URL(url);
        target = { pool: poolFor(parsed.origin), path: `${parsed.pathname}${parsed.search}` };
        targets.set(url, target);
      }
      const res = await target.pool.request({ path: target.path, method: 'POST', headers, body });
      const contentType = res.headers['content-type'];
      return {
        status: res.statusCode,
        contentType: (Array.isArray(contentType) ? contentType[0] : contentType) ?? '',
        body: await res.body.text(),
      };
    },
    async close() {
      await Promise.all([...pools.values()].map((pool) => pool.close()));
      pools.clear();
      targets.clear();
    },
  };
}

/** The subgraph client of a router config. */
export const subgraphClientFor = (config: Config) =>
  createSubgraphClient({
    connectTimeoutMs: config.SUBGRAPH_CONNECT_TIMEOUT_MS,
    timeoutMs: config.SUBGRAPH_TIMEOUT_MS,
    connections: config.SUBGRAPH_CONNECTIONS,
  });
