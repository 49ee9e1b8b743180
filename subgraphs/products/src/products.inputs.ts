import { isWellFormed } from '@shop/graphql';

/**
 * Input rules shared by the catalogue's services (products, categories, images): the typed
 * InvalidInputError and the text checks. Bad input is answered with one of these and writes nothing.
 */

export type InvalidInput = { __typename: 'InvalidInputError'; message: string; field: string };

export const invalid = (field: string, message: string): InvalidInput => ({
  __typename: 'InvalidInputError',
  field,
  message,
});

export const isInvalid = (value: unknown): value is InvalidInput =>
  typeof value === 'object' &&
  value !== null &&
  (value as { __typename?: unknown }).__typename === 'InvalidInputError';

/** C0/C1 controls and DEL: never part of a name. */
export const CONTROL = /\p{Cc}/u;
/** The same, except tab and line breaks, which a description may hold. */
export const CONTROL_BUT_LAYOUT = /(?![\t\n\r])\p{Cc}/u;

/** Stored text must be well-formed (else it would be stored altered) and free of control characters. */
export function textProblem(field: string, v: string, control: RegExp): string | null {
  if (!isWellFormed(v)) return `${field} must be well-formed Unicode text`;
  if (control.test(v)) return `${field} must not contain control characters`;
  return null;
}

/** A one-line name of 1 to max characters (after trimming). */
export const nameProblem = (field: string, v: string, max: number): string | null =>
  textProblem(field, v, CONTROL) ??
  (v.trim().length >= 1 && v.length <= max ? null : `${field} must be 1-${max} characters`);

/** A description of at most max characters (tab and line breaks allowed). */
export const descriptionProblem = (field: string, v: string, max: number): string | null =>
  textProblem(field, v, CONTROL_BUT_LAYOUT) ??
  (v.length <= max ? null : `${field} must be at most ${max} characters`);
