import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse, printSchema } from 'graphql';
import { defaultSubgraphUrl, SUBGRAPHS as SERVICE_TABLE } from '@shop/config';
import { extendApiSdl } from '../router/subscriptions/schema';
import { applyContract, planContract } from './contract';

/** The subgraphs of the supergraph (the service table of @shop/config) and the routing URLs written into it. */
export const SUBGRAPHS = SERVICE_TABLE.map(({ name }) => ({ name, url: defaultSubgraphUrl(name) }));

export interface SubgraphSdl {
  name: string;
  url: string;
  sdl: string;
}

/** The SDL of every subgraph that has one (`subgraphs/<name>/src/schema.graphql`), and those missing. */
export function readSubgraphs(root: string): { subgraphs: SubgraphSdl[]; missing: string[] } {
  const subgraphs: SubgraphSdl[] = [];
  const missing: string[] = [];
  for (const { name, url } of SUBGRAPHS) {
    const file = join(root, 'subgraphs', name, 'src', 'schema.graphql');
    if (existsSync(file)) subgraphs.push({ name, url, sdl: readFileSync(file, 'utf8') });
    else missing.push(name);
  }
  return { subgraphs, missing };
}

export class CompositionError extends Error {
  constructor(
    readonly label: string,
    readonly errors: string[],
  ) {
    super(`Composition of the ${label} failed:\n${errors.map((e) => `  - ${e}`).join('\n')}`);
    this.name = 'CompositionError';
  }
}

export interface Composed {
  supergraphSdl: string;
  /** The API schema clients see (printSchema of the supergraph's API schema). */
  apiSdl: string;
  hints: string[];
}

/** Composes subgraph SDLs into a supergraph; throws CompositionError with every error. */
export function composeSupergraph(subgraphs: SubgraphSdl[], label = 'supergraph'): Composed {
  if (subgraphs.length === 0) throw new CompositionError(label, ['no subgraph has a schema.graphql yet']);
  const result = composeServices(
    subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) })),
  );
  if (result.errors)
    throw new CompositionError(
      label,
      result.errors.map((e) => e.message),
    );
  return {
    supergraphSdl: result.supergraphSdl.endsWith('\n') ? result.supergraphSdl : `${result.supergraphSdl}\n`,
    apiSdl: `${printSchema(result.schema.toAPISchema().toGraphQLJSSchema())}\n`,
    hints: result.hints.map((h) => `${h.definition.code}: ${h.message}`),
  };
}

/** The partner contract: the subgraphs rewritten so that only `@tag(name: "public")` stays accessible. */
export function contractSubgraphs(subgraphs: SubgraphSdl[]): SubgraphSdl[] {
  const plan = planContract(subgraphs.map((s) => s.sdl));
  return subgraphs.map((s) => ({ ...s, sdl: applyContract(s.sdl, plan) }));
}

/** Everything compose.ts writes, as file name (inside schema/) -> content. */
export function composeAll(subgraphs: SubgraphSdl[]): { files: Record<string, string>; hints: string[] } {
  const full = composeSupergraph(subgraphs, 'supergraph');
  const contract = composeSupergraph(contractSubgraphs(subgraphs), 'public contract');
  return {
    files: {
      'supergraph.graphql': full.supergraphSdl,
      // with the router-level subscriptions (router/subscriptions.graphql), for client codegen;
      // the supergraph and the partner contract never get them
      'supergraph-api.graphql': extendApiSdl(full.apiSdl),
      'public.supergraph.graphql': contract.supergraphSdl,
      'public.graphql': contract.apiSdl,
    },
    hints: full.hints,
  };
}
