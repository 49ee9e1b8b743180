import {
  defaultFieldResolver,
  GraphQLError,
  isInterfaceType,
  isUnionType,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import { ErrorCode } from '@shop/errors';

/** Schemas whose `_entities` is already guarded (guardEntities may be called twice). */
const guarded = new WeakSet<GraphQLSchema>();

/** How much of a client-sent type name an error message repeats. */
const MAX_NAME_IN_MESSAGE = 64;

const quoted = (name: string) =>
  JSON.stringify(name.length > MAX_NAME_IN_MESSAGE ? `${name.slice(0, MAX_NAME_IN_MESSAGE)}…` : name);

const refuse = (message: string, index?: number) =>
  new GraphQLError(message, {
    extensions: {
      code: ErrorCode.BAD_USER_INPUT,
      field: 'representations',
      ...(index === undefined ? {} : { index }),
    },
  });

const hasKey = (type: GraphQLNamedType) =>
  [type.astNode, ...(type.extensionASTNodes ?? [])].some((node) =>
    node?.directives?.some((d) => d.name.value === 'key'),
  );

/** The names `_entities` resolves: the `_Entity` union's members, and interfaces with a @key. */
function entityTypeNames(schema: GraphQLSchema): Set<string> {
  const names = new Set<string>();
  const union = schema.getType('_Entity');
  if (isUnionType(union)) for (const type of union.getTypes()) names.add(type.name);
  for (const type of Object.values(schema.getTypeMap()))
    if (isInterfaceType(type) && hasKey(type)) names.add(type.name);
  return names;
}

/**
 * Checks every representation of an `_entities` call before any of them is resolved: the argument
 * is a list, each item an object whose `__typename` is a string naming an entity of this subgraph.
 * Anything else is BAD_USER_INPUT (`field: representations`, `index`) saying what is wrong, where
 * @apollo/subgraph's resolver throws a plain Error (masked as INTERNAL_SERVER_ERROR) or passes the
 * value on to `__resolveReference`.
 */
export function checkRepresentations(representations: unknown, entities: ReadonlySet<string>): void {
  if (!Array.isArray(representations))
    throw refuse('representations must be a list of entity representations');
  representations.forEach((representation: unknown, index) => {
    if (typeof representation !== 'object' || representation === null || Array.isArray(representation))
      throw refuse(`representations[${index}] must be an object with a __typename`, index);
    if (!Object.hasOwn(representation, '__typename'))
      throw refuse(`representations[${index}] has no __typename`, index);
    const typename = (representation as { __typename: unknown }).__typename;
    if (typeof typename !== 'string')
      throw refuse(`representations[${index}].__typename must be a string`, index);
    if (!entities.has(typename))
      throw refuse(
        `representations[${index}].__typename ${quoted(typename)} is not an entity type of this subgraph`,
        index,
      );
  });
}

/**
 * Guards `Query._entities` of a subgraph schema (from buildSubgraphSchema) in place and returns the
 * schema: a representation with a missing, non-string or unknown `__typename`, one naming a type
 * that is not an entity here (`Money`, `Query`), or one that is not an object is refused with a
 * BAD_USER_INPUT naming it and its index, before any `__resolveReference` runs. Every subgraph's
 * server applies it (createSubgraphServer; products' mercurius server calls it itself).
 */
export function guardEntities(schema: GraphQLSchema): GraphQLSchema {
  if (guarded.has(schema)) return schema;
  const field = schema.getQueryType()?.getFields()._entities;
  if (!field) return schema;
  const entities = entityTypeNames(schema);
  const resolve = field.resolve ?? defaultFieldResolver;
  field.resolve = (source, args: { representations?: unknown }, context, info) => {
    checkRepresentations(args.representations, entities);
    return resolve(source, args, context, info);
  };
  guarded.add(schema);
  return schema;
}
