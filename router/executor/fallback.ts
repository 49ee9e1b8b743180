/** A response object, as subgraphs answer and the plan executor builds it. */
export type Json = Record<string, unknown>;

/**
 * Thrown wherever the plan executor meets something it leaves to Apollo's executor: a subgraph error
 * or failure, a null in a non-null position, a value of the wrong type. Queries only ever take this
 * way out, and Apollo's executor then answers the request with exactly its own errors and nulls,
 * replaying the subgraph responses already received (RouterContext's `replay`) instead of asking again.
 */
export class Fallback extends Error {}

/** Unsupported plans and operations: Apollo's executor takes them (compileOperation returns null). */
export class Unsupported extends Error {}

export const isPlainObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
