import {
  Kind,
  parse,
  print,
  visit,
  type ASTNode,
  type ConstDirectiveNode,
  type DocumentNode,
  type FieldDefinitionNode,
  type InputValueDefinitionNode,
  type TypeNode,
} from 'graphql';

/**
 * The partner contract: every schema element without `@tag(name: "public")` becomes `@inaccessible`.
 *
 * The public set is computed over all subgraphs at once (tags merge in composition, and a shared
 * type such as Money must be marked the same way everywhere):
 *
 * 1. Reachability starts at the root operation types and their fields tagged public; a root type
 *    other than Query without a public field (e.g. Mutation) is made inaccessible as a whole.
 * 2. A type named by a public field, argument or input field is public (connection and edge wrappers
 *    need no tag of their own). A tagged type that no public field reaches is hidden.
 * 3. Fields of a public type: when any field of the type is tagged (in any subgraph), exactly the
 *    tagged fields are public; when none is, the type-level tag (or the reference) exposes them all.
 *    Enum values and input fields follow the same rule; so do the arguments of a public field.
 * 4. Union members: the tagged members when any is tagged, else all. Interfaces: implementations
 *    are public when tagged or otherwise reached; a public implementation of a public interface
 *    exposes the interface's public fields (composition requires it).
 */

export const PUBLIC_TAG = 'public';

const BUILT_IN_SCALARS = new Set(['String', 'Int', 'Float', 'Boolean', 'ID']);
const isFederationInternal = (name: string) =>
  name.startsWith('_') ||
  name.startsWith('link__') ||
  name.startsWith('federation__') ||
  name.startsWith('join__');

interface FieldInfo {
  tagged: boolean;
  type: string;
  args: Map<string, { tagged: boolean; type: string }>;
}

interface TypeInfo {
  kind: 'object' | 'interface' | 'union' | 'enum' | 'input' | 'scalar';
  tagged: boolean;
  fields: Map<string, FieldInfo>;
  interfaces: Set<string>;
  members: Map<string, boolean>;
  values: Map<string, boolean>;
}

export interface ContractPlan {
  /** Coordinates ("Type", "Type.field", "Type.field(arg:)", "Enum.VALUE") that stay public. */
  public: Set<string>;
  rootTypes: Set<string>;
  /** The query root stays even without public fields (a schema needs one); other roots go. */
  queryType: string;
}

const namedType = (type: TypeNode): string =>
  type.kind === Kind.NAMED_TYPE ? type.name.value : namedType(type.type);

const hasPublicTag = (directives: readonly ConstDirectiveNode[] | undefined): boolean =>
  (directives ?? []).some(
    (d) =>
      (d.name.value === 'tag' || d.name.value === 'federation__tag') &&
      d.arguments?.some(
        (a) => a.name.value === 'name' && a.value.kind === Kind.STRING && a.value.value === PUBLIC_TAG,
      ),
  );

function collect(documents: DocumentNode[]) {
  const types = new Map<string, TypeInfo>();
  const roots = { query: 'Query', mutation: 'Mutation', subscription: 'Subscription' };
  const typeOf = (name: string, kind: TypeInfo['kind']): TypeInfo => {
    let info = types.get(name);
    if (!info) {
      info = {
        kind,
        tagged: false,
        fields: new Map(),
        interfaces: new Set(),
        members: new Map(),
        values: new Map(),
      };
      types.set(name, info);
    }
    return info;
  };
  const addField = (info: TypeInfo, field: FieldDefinitionNode | InputValueDefinitionNode) => {
    const existing = info.fields.get(field.name.value);
    const entry: FieldInfo = existing ?? { tagged: false, type: namedType(field.type), args: new Map() };
    entry.tagged ||= hasPublicTag(field.directives);
    if (field.kind === Kind.FIELD_DEFINITION) {
      for (const arg of field.arguments ?? []) {
        const a = entry.args.get(arg.name.value) ?? { tagged: false, type: namedType(arg.type) };
        a.tagged ||= hasPublicTag(arg.directives);
        entry.args.set(arg.name.value, a);
      }
    }
    info.fields.set(field.name.value, entry);
  };

  for (const document of documents) {
    for (const def of document.definitions) {
      switch (def.kind) {
        case Kind.SCHEMA_DEFINITION:
        case Kind.SCHEMA_EXTENSION:
          for (const op of def.operationTypes ?? []) roots[op.operation] = op.type.name.value;
          break;
        case Kind.OBJECT_TYPE_DEFINITION:
        case Kind.OBJECT_TYPE_EXTENSION:
        case Kind.INTERFACE_TYPE_DEFINITION:
        case Kind.INTERFACE_TYPE_EXTENSION: {
          const kind =
            def.kind === Kind.OBJECT_TYPE_DEFINITION || def.kind === Kind.OBJECT_TYPE_EXTENSION
              ? 'object'
              : 'interface';
          const info = typeOf(def.name.value, kind);
          info.tagged ||= hasPublicTag(def.directives);
          for (const i of def.interfaces ?? []) info.interfaces.add(i.name.value);
          for (const field of def.fields ?? []) addField(info, field);
          break;
        }
        case Kind.INPUT_OBJECT_TYPE_DEFINITION:
        case Kind.INPUT_OBJECT_TYPE_EXTENSION: {
          const info = typeOf(def.name.value, 'input');
          info.tagged ||= hasPublicTag(def.directives);
          for (const field of def.fields ?? []) addField(info, field);
          break;
        }
        case Kind.UNION_TYPE_DEFINITION:
        case Kind.UNION_TYPE_EXTENSION: {
          const info = typeOf(def.name.value, 'union');
          info.tagged ||= hasPublicTag(def.directives);
          for (const m of def.types ?? []) info.members.set(m.name.value, false);
          break;
        }
        case Kind.ENUM_TYPE_DEFINITION:
        case Kind.ENUM_TYPE_EXTENSION: {
          const info = typeOf(def.name.value, 'enum');
          info.tagged ||= hasPublicTag(def.directives);
          for (const v of def.values ?? []) {
            info.values.set(
              v.name.value,
              (info.values.get(v.name.value) ?? false) || hasPublicTag(v.directives),
            );
          }
          break;
        }
        case Kind.SCALAR_TYPE_DEFINITION:
        case Kind.SCALAR_TYPE_EXTENSION: {
          const info = typeOf(def.name.value, 'scalar');
          info.tagged ||= hasPublicTag(def.directives);
          break;
        }
        default:
          break;
      }
    }
  }
  // a union member is "tagged" for rule 4 when the member type itself carries the tag
  for (const info of types.values()) {
    for (const member of info.members.keys()) info.members.set(member, types.get(member)?.tagged ?? false);
  }
  return { types, rootTypes: new Set(Object.values(roots)), queryType: roots.query };
}

/** Works out which coordinates stay public, from the SDL of every subgraph. */
export function planContract(sdls: string[]): ContractPlan {
  const { types, rootTypes, queryType } = collect(sdls.map((sdl) => parse(sdl)));
  const publicSet = new Set<string>();
  const queue: string[] = [];
  const reach = (typeName: string) => {
    if (BUILT_IN_SCALARS.has(typeName) || isFederationInternal(typeName) || publicSet.has(typeName)) return;
    if (!types.has(typeName)) return;
    publicSet.add(typeName);
    queue.push(typeName);
  };

  const publicFieldsOf = (name: string, info: TypeInfo): string[] => {
    const fields = [...info.fields.entries()];
    const anyTagged = fields.some(([, f]) => f.tagged);
    // root types only ever expose tagged fields
    if (rootTypes.has(name) || anyTagged) return fields.filter(([, f]) => f.tagged).map(([n]) => n);
    return fields.map(([n]) => n);
  };

  for (const root of rootTypes) {
    const info = types.get(root);
    if (info && publicFieldsOf(root, info).length > 0) reach(root);
  }

  // Fixpoint: reaching a type can expose fields of other types (interfaces), so loop until stable.
  let changed = true;
  while (changed) {
    changed = false;
    while (queue.length > 0) {
      const name = queue.shift()!;
      const info = types.get(name)!;
      if (info.kind === 'object' || info.kind === 'interface' || info.kind === 'input') {
        for (const fieldName of publicFieldsOf(name, info)) {
          const field = info.fields.get(fieldName)!;
          publicSet.add(`${name}.${fieldName}`);
          reach(field.type);
          const args = [...field.args.entries()];
          const anyArgTagged = args.some(([, a]) => a.tagged);
          for (const [argName, arg] of args) {
            if (anyArgTagged && !arg.tagged) continue;
            publicSet.add(`${name}.${fieldName}(${argName}:)`);
            reach(arg.type);
          }
        }
      }
      if (info.kind === 'union') {
        const members = [...info.members.entries()];
        const anyTagged = members.some(([, tagged]) => tagged);
        for (const [member, tagged] of members) if (!anyTagged || tagged) reach(member);
      }
      if (info.kind === 'interface') {
        for (const [implName, impl] of types) {
          if (impl.interfaces.has(name) && impl.tagged) reach(implName);
        }
      }
      if (info.kind === 'enum') {
        const values = [...info.values.entries()];
        const anyTagged = values.some(([, tagged]) => tagged);
        for (const [value, tagged] of values) if (!anyTagged || tagged) publicSet.add(`${name}.${value}`);
      }
    }
    // A public implementation must keep every public field of its public interfaces.
    for (const [name, info] of types) {
      if (!publicSet.has(name)) continue;
      for (const iface of info.interfaces) {
        if (!publicSet.has(iface)) continue;
        for (const fieldName of types.get(iface)?.fields.keys() ?? []) {
          const coordinate = `${iface}.${fieldName}`;
          if (
            publicSet.has(coordinate) &&
            !publicSet.has(`${name}.${fieldName}`) &&
            info.fields.has(fieldName)
          ) {
            publicSet.add(`${name}.${fieldName}`);
            const field = info.fields.get(fieldName)!;
            reach(field.type);
            for (const argName of field.args.keys()) publicSet.add(`${name}.${fieldName}(${argName}:)`);
            changed = true;
          }
        }
      }
    }
    if (queue.length > 0) changed = true;
  }
  return { public: publicSet, rootTypes, queryType };
}

const INACCESSIBLE: ConstDirectiveNode = {
  kind: Kind.DIRECTIVE,
  name: { kind: Kind.NAME, value: 'inaccessible' },
  arguments: [],
};

const withInaccessible = <T extends { directives?: readonly ConstDirectiveNode[] }>(node: T): T => {
  if (
    (node.directives ?? []).some(
      (d) => d.name.value === 'inaccessible' || d.name.value === 'federation__inaccessible',
    )
  )
    return node;
  return { ...node, directives: [...(node.directives ?? []), INACCESSIBLE] };
};

/** Makes sure the federation @link imports @inaccessible (and @tag), so the marks resolve. */
function ensureImports(document: DocumentNode): DocumentNode {
  return visit(document, {
    Directive(node) {
      if (node.name.value !== 'link') return undefined;
      const url = node.arguments?.find((a) => a.name.value === 'url');
      if (!url || url.value.kind !== Kind.STRING || !url.value.value.includes('specs.apollo.dev/federation/'))
        return undefined;
      const imports = node.arguments?.find((a) => a.name.value === 'import');
      const list = imports && imports.value.kind === Kind.LIST ? imports.value.values : [];
      const names = new Set(list.map((v) => (v.kind === Kind.STRING ? v.value : '')));
      const missing = ['@inaccessible', '@tag'].filter((n) => !names.has(n));
      if (missing.length === 0) return undefined;
      const values = [...list, ...missing.map((value) => ({ kind: Kind.STRING, value }) as const)];
      return {
        ...node,
        arguments: [
          ...(node.arguments ?? []).filter((a) => a.name.value !== 'import'),
          {
            kind: Kind.ARGUMENT,
            name: { kind: Kind.NAME, value: 'import' },
            value: { kind: Kind.LIST, values },
          },
        ],
      };
    },
  });
}

/** Rewrites one subgraph's SDL for the contract: every element outside the plan gets @inaccessible. */
export function applyContract(sdl: string, plan: ContractPlan): string {
  const document = ensureImports(parse(sdl));
  const isPublic = (coordinate: string) => plan.public.has(coordinate);
  const markType = (name: string) =>
    name !== plan.queryType && !isFederationInternal(name) && !isPublic(name);

  const markFields = (typeName: string, fields: readonly FieldDefinitionNode[] | undefined) =>
    fields?.map((field) => {
      const coordinate = `${typeName}.${field.name.value}`;
      const args = field.arguments?.map((arg) =>
        isPublic(coordinate) && !isPublic(`${coordinate}(${arg.name.value}:)`) ? withInaccessible(arg) : arg,
      );
      const next = { ...field, ...(args ? { arguments: args } : {}) };
      return isPublic(coordinate) ? next : withInaccessible(next);
    });

  const definitions = document.definitions.map((def): (typeof document.definitions)[number] => {
    switch (def.kind) {
      case Kind.OBJECT_TYPE_DEFINITION:
      case Kind.OBJECT_TYPE_EXTENSION:
      case Kind.INTERFACE_TYPE_DEFINITION:
      case Kind.INTERFACE_TYPE_EXTENSION: {
        const name = def.name.value;
        if (isFederationInternal(name)) return def;
        const next = { ...def, fields: markFields(name, def.fields) };
        return markType(name) ? withInaccessible(next) : next;
      }
      case Kind.INPUT_OBJECT_TYPE_DEFINITION:
      case Kind.INPUT_OBJECT_TYPE_EXTENSION: {
        const name = def.name.value;
        const fields = def.fields?.map((f) =>
          isPublic(`${name}.${f.name.value}`) ? f : withInaccessible(f),
        );
        const next = { ...def, fields };
        return markType(name) ? withInaccessible(next) : next;
      }
      case Kind.ENUM_TYPE_DEFINITION:
      case Kind.ENUM_TYPE_EXTENSION: {
        const name = def.name.value;
        const values = def.values?.map((v) =>
          isPublic(`${name}.${v.name.value}`) ? v : withInaccessible(v),
        );
        const next = { ...def, values };
        return markType(name) ? withInaccessible(next) : next;
      }
      case Kind.UNION_TYPE_DEFINITION:
      case Kind.UNION_TYPE_EXTENSION:
      case Kind.SCALAR_TYPE_DEFINITION:
      case Kind.SCALAR_TYPE_EXTENSION:
        return markType(def.name.value) ? withInaccessible(def) : def;
      default:
        return def;
    }
  });
  return print({ ...document, definitions } as ASTNode);
}
