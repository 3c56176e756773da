// The wire shape of a v1 Pod, read from client-node's generated models: for each model under V1Pod, its fields in API order.
//
// client-node's ObjectSerializer imports every model of the API (about 900 classes, some 30 MB of
// memory) to encode one Pod; a Pod reaches about 130 of them. Each generated model file stands
// alone (its attributeTypeMap names other types as strings), so only those are loaded here, and
// each type expression is parsed once instead of on every field of every encode.

/** How one value is encoded (the cases of the generated ObjectSerializer.serialize). */
export type WireType =
  | { kind: 'plain' } // primitives, and types the models do not describe (IntOrString): as they are
  | { kind: 'date' }
  | { kind: 'model'; fields: WireField[] }
  | { kind: 'array'; of: WireType }
  | { kind: 'map'; of: WireType };

export interface WireField {
  /** The property name on the TypeScript object. */
  name: string;
  /** The JSON name on the wire. */
  baseName: string;
  type: WireType;
}

interface AttributeType {
  name: string;
  baseName: string;
  type: string;
}

const PRIMITIVES = new Set(['string', 'boolean', 'double', 'integer', 'long', 'float', 'number', 'any']);
const PLAIN: WireType = { kind: 'plain' };

/** Loads one generated model class, or undefined when client-node has no such model. */
async function loadModel(name: string): Promise<AttributeType[] | undefined> {
  try {
    const mod = (await import(`@kubernetes/client-node/dist/gen/models/${name}.js`)) as Record<string, { attributeTypeMap?: AttributeType[] }>;
    return mod[name]?.attributeTypeMap;
  } catch {
    return undefined;
  }
}

/**
 * The WireType of `root` (e.g. "V1Pod") with every model it reaches. Models are shared objects,
 * so a type used in many places is described once.
 */
export async function loadWireType(root: string): Promise<WireType> {
  const models = new Map<string, { kind: 'model'; fields: WireField[] }>();
  const attributes = new Map<string, AttributeType[] | undefined>();

  // First every model reachable from the root, a level at a time, loaded in parallel.
  let level = [root];
  while (level.length > 0) {
    const fresh = [...new Set(level)].filter((n) => !attributes.has(n));
    const loaded = await Promise.all(fresh.map(loadModel));
    const next: string[] = [];
    fresh.forEach((name, i) => {
      attributes.set(name, loaded[i]);
      for (const a of loaded[i] ?? []) next.push(...modelNames(a.type));
    });
    level = next;
  }

  // Then the type expressions, with the models linked to each other.
  const resolve = (expr: string): WireType => {
    const t = expr.trim();
    if (t.endsWith(' | null')) return resolve(t.slice(0, -' | null'.length));
    if (t.endsWith(' | undefined')) return resolve(t.slice(0, -' | undefined'.length));
    if (t.startsWith('Array<') && t.endsWith('>')) return { kind: 'array', of: resolve(t.slice('Array<'.length, -1)) };
    if (t.startsWith('{ [key: string]: ') && t.endsWith('; }')) return { kind: 'map', of: resolve(t.slice('{ [key: string]: '.length, -'; }'.length)) };
    if (t === 'Date') return { kind: 'date' };
    if (PRIMITIVES.has(t.toLowerCase())) return PLAIN;
    const attrs = attributes.get(t);
    if (!attrs) return PLAIN;
    let model = models.get(t);
    if (!model) {
      model = { kind: 'model', fields: [] };
      models.set(t, model);
      for (const a of attrs) model.fields.push({ name: a.name, baseName: a.baseName, type: resolve(a.type) });
    }
    return model;
  };
  return resolve(root);
}

/** The model names inside a type expression ("Array<V1Container>" → ["V1Container"]). */
function modelNames(expr: string): string[] {
  const t = expr.replace(/ \| (null|undefined)$/, '');
  if (t.startsWith('Array<') && t.endsWith('>')) return modelNames(t.slice('Array<'.length, -1));
  if (t.startsWith('{ [key: string]: ') && t.endsWith('; }')) return modelNames(t.slice('{ [key: string]: '.length, -'; }'.length));
  if (t === 'Date' || PRIMITIVES.has(t.toLowerCase())) return [];
  return [t];
}
