import type { SubgraphResponse } from './subgraph-client';

/**
 * Subgraph requests in flight that identical ones share, across the requests of one data source:
 * same body, same Authorization, one request (the subgraph sees the first request's id). Only for
 * queries, whose answer does not depend on who else asks (SHARE_SUBGRAPH_FETCHES).
 */
export class InflightRequests {
  private readonly inflight = new Map<string, Promise<SubgraphResponse>>();

  /** The answer of the identical request in flight, else `send()`'s, shared until it settles. */
  share(
    body: string,
    authorization: string | undefined,
    send: () => Promise<SubgraphResponse>,
  ): Promise<SubgraphResponse> {
    const key = authorization ? `${authorization}\n${body}` : body;
    let response = this.inflight.get(key);
    if (!response) {
      response = send();
      this.inflight.set(key, response);
      const done = () => this.inflight.delete(key);
      response.then(done, done);
    }
    return response;
  }
}

/**
 * The subgraph answers one client request has received, kept with the request (RouterContext's
 * `replay`): a request body sent again to the same subgraph gets the kept answer (or failure)
 * instead of a new request. The plan executor sets it before it runs a query, so that when it hands
 * the query to Apollo's executor (an error to report, say), Apollo's executor, which sends the same
 * bodies, replays the fetches already made.
 */
export class SubgraphReplay {
  /** Subgraph name -> request body -> the raw answer. */
  private readonly answers = new Map<string, Map<string, Promise<SubgraphResponse>>>();

  /** The answer recorded for `body` to `subgraph`, else `send()`'s, recorded. */
  answer(subgraph: string, body: string, send: () => Promise<SubgraphResponse>): Promise<SubgraphResponse> {
    let bodies = this.answers.get(subgraph);
    if (!bodies) this.answers.set(subgraph, (bodies = new Map()));
    let response = bodies.get(body);
    if (!response) {
      response = send();
      response.catch(() => {}); // whoever awaits it handles the failure
      bodies.set(body, response);
    }
    return response;
  }
}
