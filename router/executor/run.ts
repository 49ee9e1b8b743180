import type { RouterContext } from '../context';
import { DistinctJson, subgraphRequestBody } from '../representations';
import { Fallback, isPlainObject, type Json } from './fallback';
import type { Fetch, Step } from './plan';

/**
 * Running a compiled plan for one request: fetches in sequence or in parallel, as planned, each
 * distinct representation sent once and every answer merged into the entities it belongs to.
 */

export interface RunState {
  data: Json;
  variables: Record<string, unknown>;
  context: RouterContext;
  share: boolean;
}

export async function run(step: Step, state: RunState): Promise<void> {
  switch (step.kind) {
    case 'sequence':
      for (const s of step.steps) await run(s, state);
      return;
    case 'parallel':
      await Promise.all(step.steps.map((s) => run(s, state)));
      return;
    case 'fetch':
      return runFetch(step, state);
  }
}

async function runFetch(fetch: Fetch, state: RunState): Promise<void> {
  const entities: Json[] = [];
  collect(state.data, fetch.path, 0, entities);
  if (entities.length === 0) return;
  let variables: Record<string, unknown> | undefined;
  for (const name of fetch.variableUsages) {
    const value = state.variables[name];
    if (value !== undefined && Object.hasOwn(state.variables, name)) (variables ??= {})[name] = value;
  }
  if (!fetch.represent) {
    const body = subgraphRequestBody(fetch.operation, fetch.operationName, variables);
    const received = await send(fetch, body, state);
    if (received.errors?.length) throw new Fallback(`errors from ${fetch.source.subgraph}`);
    for (const entity of entities) deepMerge(entity, received.data);
    return;
  }
  // one representation per distinct entity; `slots[i]` is entity i's, -1 when it has none
  const distinct = new DistinctJson();
  const slots = new Array<number>(entities.length);
  for (let i = 0; i < entities.length; i++) {
    const json = fetch.represent(entities[i]!);
    slots[i] = json === null ? -1 : distinct.slotOf(json);
  }
  const representations = distinct.json;
  if (representations.length === 0) return;
  const body = subgraphRequestBody(fetch.operation, fetch.operationName, variables, representations);
  const received = await send(fetch, body, state);
  const answers = (received.data as Json | null | undefined)?._entities;
  if (received.errors?.length || !Array.isArray(answers) || answers.length !== representations.length)
    throw new Fallback(`errors or no matching _entities from ${fetch.source.subgraph}`);
  for (let i = 0; i < entities.length; i++) {
    const slot = slots[i]!;
    if (slot < 0) continue;
    const answer = answers[slot] as Json | null;
    const entity = entities[i]!;
    if (answer && !answer.__typename) answer.__typename = entity.__typename;
    deepMerge(entity, answer);
  }
}

async function send(fetch: Fetch, body: string, state: RunState) {
  try {
    return await fetch.source.fetch(body, state.context, { share: state.share });
  } catch {
    throw new Fallback(`${fetch.source.subgraph} failed`); // logged by the data source
  }
}

/** The non-null objects at `path` (as @apollo/gateway's flattenResultsAtPath, nulls dropped). */
function collect(value: unknown, path: string[], at: number, out: Json[]): void {
  if (value === null || value === undefined) return;
  if (at === path.length) {
    if (Array.isArray(value)) {
      for (const item of value) if (item !== null && item !== undefined) out.push(item as Json);
    } else out.push(value as Json);
    return;
  }
  const key = path[at]!;
  if (key === '@') {
    if (!Array.isArray(value)) throw new Fallback('not a list at a flatten path');
    for (const item of value) collect(item, path, at + 1, out);
    return;
  }
  if (Array.isArray(value) || typeof value !== 'object')
    throw new Fallback('not an object at a flatten path');
  collect(Object.hasOwn(value, key) ? (value as Json)[key] : undefined, path, at + 1, out);
}

/** @apollo/gateway's deepMerge: objects merged key by key, equal-length lists item by item. */
function deepMerge(target: Json, source: unknown): void {
  if (source === null || source === undefined) return;
  for (const key of Object.keys(source as Json)) {
    const value = (source as Json)[key];
    if (value === undefined) continue;
    if (key === '__proto__') throw new Fallback('a __proto__ key');
    const existing = target[key];
    if (existing && isPlainObject(value)) {
      deepMerge(existing as Json, value);
    } else if (Array.isArray(value) && Array.isArray(existing) && value.length === existing.length) {
      for (let i = 0; i < value.length; i++) {
        if (isPlainObject(existing[i]) && isPlainObject(value[i])) deepMerge(existing[i] as Json, value[i]);
        else existing[i] = value[i];
      }
    } else {
      target[key] = value;
    }
  }
}
