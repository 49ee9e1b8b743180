import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';

export interface Result<TData> {
  status: number;
  data?: TData | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** Sends a typed operation (generated from e2e/operations by codegen's client preset). */
export async function execute<TData, TVariables>(
  url: string,
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  headers: Record<string, string> = {},
): Promise<Result<TData>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await res.json()) as Omit<Result<TData>, 'status'>;
  return { status: res.status, ...body };
}

/** Like execute, but fails on any GraphQL error and returns the data. */
export async function data<TData, TVariables>(
  url: string,
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  headers: Record<string, string> = {},
): Promise<TData> {
  const result = await execute(url, document, variables, headers);
  if (result.errors?.length || !result.data) {
    throw new Error(`${result.status}: ${JSON.stringify(result.errors ?? result)}`);
  }
  return result.data;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
