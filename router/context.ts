import type { SubgraphReplay } from './sharing';

/** What the router knows about a request, passed to every subgraph fetch. */
export interface RouterContext {
  requestId: string;
  /**
   * The client's Authorization header (storefront endpoint only; partners never forward one), only
   * when its token is valid (plugins/authentication.ts).
   */
  authorization?: string;
  /** Set when the client's token was expired or invalid and dropped (plugins/authentication.ts). */
  authentication?: 'EXPIRED' | 'INVALID';
  /**
   * The client's address (clientAddressOf: the socket's, or X-Forwarded-For's entry of the nearest
   * trusted proxy), sent to the subgraphs in x-client-address on every request that is not shared.
   */
  clientAddress?: string;
  /** The partner an API key belongs to (partner endpoint only). */
  partner?: string;
  /**
   * Set by the plan executor before it runs a query: the subgraph answers received so far, replayed
   * to Apollo's executor when the query is handed over to it. Unset, every fetch is sent.
   */
  replay?: SubgraphReplay;
  /**
   * Set on the queries the router runs itself to resolve a subscription's event (subscriptions/):
   * their subscription document passed the operation limits when it was subscribed, so the limits
   * plugin does not measure each event's query again.
   */
  limitsChecked?: boolean;
}
