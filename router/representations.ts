import type { GraphQLDataSource } from '@apollo/gateway';
import type { GraphQLFormattedError } from 'graphql';

/** A subgraph's GraphQL response as the gateway consumes it. */
export type GatewayGraphQLResponse = Awaited<ReturnType<GraphQLDataSource['process']>>;

/** One `_entities` fetch's representations, each distinct one once, and where each original went. */
export interface DedupedRepresentations {
  /** The distinct representations, serialized (JSON), in first-seen order. */
  json: string[];
  /** For every original representation, the index of its distinct one in `json`. */
  slots: number[];
}

/** Distinct strings in first-seen order (representations as JSON), with an index to find each. */
export class DistinctJson {
  readonly json: string[] = [];
  private readonly index = new Map<string, number>();

  /** The slot of `key`, added when new. */
  slotOf(key: string): number {
    let slot = this.index.get(key);
    if (slot === undefined) {
      slot = this.json.length;
      this.index.set(key, slot);
      this.json.push(key);
    }
    return slot;
  }
}

/**
 * Representations are compared by their JSON: the gateway builds each one from the same selection
 * set, so equal entities serialize to equal strings (key order included).
 */
export function dedupeRepresentations(representations: readonly unknown[]): DedupedRepresentations {
  const distinct = new DistinctJson();
  const slots = new Array<number>(representations.length);
  for (let i = 0; i < representations.length; i++)
    slots[i] = distinct.slotOf(JSON.stringify(representations[i]));
  return { json: distinct.json, slots };
}

/**
 * Fans a deduplicated `_entities` response back out to the original representations: entity i is
 * the answer for its distinct representation (the same object for duplicates: the gateway only
 * merges it into each entity, identically); an error at `_entities.<distinct>` is repeated for every
 * original representation with that one, with its own index. Errors without an entity index are
 * kept as they are. A response whose `_entities` has the wrong length is left untouched (the gateway
 * reports it).
 */
export function fanOutEntities(
  response: GatewayGraphQLResponse,
  deduped: DedupedRepresentations,
): GatewayGraphQLResponse {
  const { slots, json } = deduped;
  const data = response.data as Record<string, unknown> | null | undefined;
  const entities = data?._entities;
  let out = response;
  if (data && Array.isArray(entities) && entities.length === json.length) {
    const expanded = new Array<unknown>(slots.length);
    for (let i = 0; i < slots.length; i++) expanded[i] = entities[slots[i]!];
    out = { ...response, data: { ...data, _entities: expanded } };
  }
  if (response.errors?.length) {
    let originals: number[][] | undefined;
    const errors: GraphQLFormattedError[] = [];
    for (const error of response.errors) {
      const path = error.path;
      const slot = path?.[1];
      if (!path || path[0] !== '_entities' || typeof slot !== 'number') {
        errors.push(error);
        continue;
      }
      if (!originals) {
        originals = json.map(() => []);
        for (let i = 0; i < slots.length; i++) originals[slots[i]!]!.push(i);
      }
      const rest = path.slice(2);
      const targets = originals[slot];
      if (!targets || targets.length === 0) {
        errors.push(error); // an index the subgraph made up: the gateway will not map it either
        continue;
      }
      for (const i of targets) errors.push({ ...error, path: ['_entities', i, ...rest] });
    }
    out = { ...out, errors };
  }
  return out;
}

/** The JSON body of a subgraph request; representations, when given, are spliced in pre-serialized. */
export function subgraphRequestBody(
  query: string,
  operationName: string | undefined,
  variables: Record<string, unknown> | undefined,
  representationsJson?: string[],
): string {
  let body = `{"query":${JSON.stringify(query)}`;
  if (operationName) body += `,"operationName":${JSON.stringify(operationName)}`;
  if (representationsJson) {
    const { representations: _ignored, ...rest } = variables ?? {};
    const others = JSON.stringify(rest);
    body += `,"variables":{${others.length > 2 ? `${others.slice(1, -1)},` : ''}"representations":[${representationsJson.join(',')}]}`;
  } else if (variables && Object.keys(variables).length > 0) {
    body += `,"variables":${JSON.stringify(variables)}`;
  }
  return `${body}}`;
}
