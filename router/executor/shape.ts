import {
  getNamedType,
  isAbstractType,
  isCompositeType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { Fallback, isPlainObject, type Json } from './fallback';

// The response

/** A field's type as completion needs it: nullability and list nesting (graphql-js's checks are dear). */
interface TypeShape {
  nonNull: boolean;
  /** Lists: the items' type. */
  item?: TypeShape;
}

function typeShape(type: GraphQLOutputType): TypeShape {
  const nonNull = isNonNullType(type);
  const inner = nonNull ? type.ofType : type;
  return isListType(inner) ? { nonNull, item: typeShape(inner.ofType) } : { nonNull };
}

interface FieldShape {
  key: string;
  /** `__typename`: the object's type name. */
  typename: boolean;
  type: TypeShape;
  /** Leaf fields: is a subgraph's value valid for the type? */
  valid?: (value: unknown) => boolean;
  /** Composite fields: the merged selections. */
  children?: ShapeSet;
}

/** The response fields of one object type. */
interface ObjectShape {
  type: string;
  fields: FieldShape[];
}

/**
 * A selection set of the client's operation (several, merged, where fragments and repeated fields
 * meet) on a field of type `declared`, compiled for each object type a value turns out to have (once,
 * on first sight: compiling every possible type up front could multiply along nested interfaces) into
 * the response's fields in order, as graphql-js's collectFields orders them.
 */
export class ShapeSet {
  private readonly byType = new Map<string, ObjectShape>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    private readonly selectionSets: readonly SelectionSetNode[],
    readonly declared: GraphQLCompositeType,
  ) {}

  /** The runtime type of a value (its __typename, or the declared type) and its response fields. */
  shapeOf(value: Json): ObjectShape {
    const typename = value.__typename;
    const name = typename === undefined && isObjectType(this.declared) ? this.declared.name : typename;
    if (typeof name !== 'string') throw new Fallback(`no __typename where ${this.declared.name} is expected`);
    let shape = this.byType.get(name);
    if (!shape) {
      const type = this.schema.getType(name);
      const possible =
        isObjectType(type) &&
        (type === this.declared ||
          (isAbstractType(this.declared) && this.schema.isSubType(this.declared, type)));
      if (!possible) throw new Fallback(`__typename ${name} where ${this.declared.name} is expected`);
      shape = { type: name, fields: this.compile(type) };
      this.byType.set(name, shape);
    }
    return shape;
  }

  private compile(type: GraphQLObjectType): FieldShape[] {
    const merged = new Map<string, { name: string; sets: SelectionSetNode[] }>();
    const visited = new Set<string>();
    const visit = (set: SelectionSetNode) => {
      for (const selection of set.selections) {
        if (selection.kind === Kind.FIELD) {
          const key = selection.alias?.value ?? selection.name.value;
          let entry = merged.get(key);
          if (!entry) {
            entry = { name: selection.name.value, sets: [] };
            merged.set(key, entry);
          }
          if (selection.selectionSet) entry.sets.push(selection.selectionSet);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          if (this.applies(selection.typeCondition?.name.value, type)) visit(selection.selectionSet);
        } else {
          const name = selection.name.value;
          const fragment = this.fragments.get(name)!; // the document is validated
          if (visited.has(name)) continue;
          visited.add(name);
          if (this.applies(fragment.typeCondition.name.value, type)) visit(fragment.selectionSet);
        }
      }
    };
    for (const set of this.selectionSets) visit(set);
    const fieldMap = type.getFields();
    return [...merged].map(([key, { name, sets }]): FieldShape => {
      if (name === '__typename') return { key, typename: true, type: { nonNull: true } };
      const field = fieldMap[name]!; // validated; introspection fields were refused by unsupported()
      const named = getNamedType(field.type);
      if (isCompositeType(named)) {
        const children = new ShapeSet(this.schema, this.fragments, sets, named);
        return { key, typename: false, type: typeShape(field.type), children };
      }
      return { key, typename: false, type: typeShape(field.type), valid: leafCheck(named) };
    });
  }

  private applies(condition: string | undefined, type: GraphQLObjectType): boolean {
    if (condition === undefined || condition === type.name) return true;
    const conditional = this.schema.getType(condition);
    return !!conditional && isAbstractType(conditional) && this.schema.isSubType(conditional, type);
  }
}

/** The leaf values @apollo/federation-internals' isValidLeafValue accepts. */
function leafCheck(type: GraphQLNamedType): (value: unknown) => boolean {
  const isInteger = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < 1e21;
  switch (type.name) {
    case 'Int':
      return isInteger;
    case 'Float':
      return (v) => typeof v === 'number' && Number.isFinite(v);
    case 'String':
      return (v) => typeof v === 'string';
    case 'Boolean':
      return (v) => typeof v === 'boolean';
    case 'ID':
      return (v) => typeof v === 'string' || isInteger(v);
  }
  if (isEnumType(type)) {
    const values = new Set(type.getValues().map((v) => v.name));
    return (v) => typeof v === 'string' && values.has(v);
  }
  return () => true; // custom scalars: as the subgraph serialized them
}

export function shapeObject(input: Json, set: ShapeSet): Json {
  const { type, fields } = set.shapeOf(input);
  const out: Json = {};
  for (const field of fields) {
    if (field.typename) {
      out[field.key] = type;
      continue;
    }
    const value = Object.hasOwn(input, field.key) ? input[field.key] : undefined;
    out[field.key] = complete(value ?? null, field.type, field);
  }
  return out;
}

function complete(value: unknown, type: TypeShape, field: FieldShape): unknown {
  if (value === null || value === undefined) {
    if (type.nonNull) throw new Fallback(`null for the non-null ${field.key}`); // Apollo's reports it
    return null;
  }
  if (type.item) {
    if (!Array.isArray(value)) throw new Fallback(`not a list for ${field.key}`);
    const items = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) items[i] = complete(value[i], type.item, field);
    return items;
  }
  if (field.children) {
    if (!isPlainObject(value)) throw new Fallback(`not an object for ${field.key}`);
    return shapeObject(value, field.children);
  }
  if (!field.valid!(value)) throw new Fallback(`an invalid value for ${field.key}`);
  return value;
}
