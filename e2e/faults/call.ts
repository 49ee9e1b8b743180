/**
 * A GraphQL call that never throws: the outcome is data, a GraphQL error, an HTTP error or a
 * transport error, so a load can count what clients saw during faults.
 */
import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';

export type Outcome<TData> =
  | { kind: 'data'; data: TData }
  | { kind: 'graphql-error'; status: number; codes: string[] }
  | { kind: 'http-error'; status: number }
  | { kind: 'transport-error'; message: string };

export async function call<TData, TVariables>(
  url: string,
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  headers: Record<string, string> = {},
  timeoutMs = 20_000,
): Promise<Outcome<TData>> {
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query: print(document), variables }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await res.text();
  } catch (error) {
    return { kind: 'transport-error', message: (error as Error).message };
  }
  let body: { data?: TData | null; errors?: { message: string; extensions?: { code?: string } }[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return { kind: 'http-error', status: res.status };
  }
  if (body.errors?.length) {
    return {
      kind: 'graphql-error',
      status: res.status,
      codes: body.errors.map((e) => e.extensions?.code ?? 'NONE'),
    };
  }
  if (!res.ok || !body.data) return { kind: 'http-error', status: res.status };
  return { kind: 'data', data: body.data };
}

/** Counts outcomes by kind (and GraphQL error code), for the report. */
export class OutcomeStats {
  readonly counts = new Map<string, number>();
  add(outcome: Outcome<unknown>, label: string) {
    const key =
      outcome.kind === 'graphql-error'
        ? `${label}:graphql-error:${[...new Set(outcome.codes)].join('+')}`
        : outcome.kind === 'data'
          ? `${label}:${typenameOf(outcome.data)}`
          : `${label}:${outcome.kind}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
  count(predicate: (key: string) => boolean) {
    let total = 0;
    for (const [key, n] of this.counts) if (predicate(key)) total += n;
    return total;
  }
  toJSON() {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }
}

/** The __typename of a mutation's result union (its one top-level field), else "data". */
function typenameOf(data: unknown): string {
  const first = Object.values((data ?? {}) as Record<string, { __typename?: string } | null>)[0];
  return first?.__typename ?? 'data';
}
