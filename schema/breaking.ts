import { buildSchema, findBreakingChanges, type BreakingChange } from 'graphql';

/** One accepted breaking change of the public contract, as recorded in accepted-public-changes.json. */
export interface AcceptedChange {
  /** graphql-js BreakingChangeType, e.g. FIELD_REMOVED. */
  type: string;
  /** The exact description findBreakingChanges gives, e.g. "Product.sku was removed." */
  description: string;
  /** Why partners can live with it (who was told, when). */
  reason: string;
}

export interface PublicCheck {
  breaking: BreakingChange[];
  /** Breaking changes not listed as accepted: the check fails when there is any. */
  unaccepted: BreakingChange[];
}

/** Compares the public API schema with the one on main; a missing previous schema has nothing to break. */
export function checkPublicSchema(
  current: string,
  previous: string | undefined,
  accepted: AcceptedChange[],
): PublicCheck {
  if (previous === undefined) return { breaking: [], unaccepted: [] };
  const breaking = findBreakingChanges(buildSchema(previous), buildSchema(current));
  const unaccepted = breaking.filter(
    (change) => !accepted.some((a) => a.type === change.type && a.description === change.description),
  );
  return { breaking, unaccepted };
}

/** Parses accepted-public-changes.json: `{ "accepted": [{ type, description, reason }] }`. */
export function parseAccepted(json: string): AcceptedChange[] {
  const value = JSON.parse(json) as { accepted?: unknown };
  if (!Array.isArray(value.accepted))
    throw new Error('accepted-public-changes.json must have an "accepted" array');
  return value.accepted.map((entry, index) => {
    const e = entry as Partial<AcceptedChange>;
    if (
      typeof e.type !== 'string' ||
      typeof e.description !== 'string' ||
      typeof e.reason !== 'string' ||
      !e.reason.trim()
    ) {
      throw new Error(
        `accepted-public-changes.json: entry ${index} needs string "type", "description" and a non-empty "reason"`,
      );
    }
    return { type: e.type, description: e.description, reason: e.reason };
  });
}
