// Checks a parsed manifest's field types before anything reads it, as the API server's typed JSON decoding would.
//
// YAML hands us whatever was written (`containerPort: "80"`, `ports: foo`); Go's decoder refuses a
// wrong type with "cannot unmarshal", so we do too, and later code can trust the types. Unknown
// fields are ignored (the kubelet decodes non-strictly), and null means absent (Go's zero value).
import { invalid, type FieldError } from './field-errors.js';
import { POD_SHAPE } from './pod-shape.js';

export type Prim = 'string' | 'int' | 'bool' | 'quantity' | 'intOrString' | 'object' | 'any';
export interface Fields { fields: Record<string, Shape> }
export interface ListOf { list: Shape }
export interface MapOf { map: Shape }
export type Shape = Prim | Fields | ListOf | MapOf;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function describe(v: unknown): unknown {
  if (Array.isArray(v)) return 'list';
  if (isObject(v)) return 'object';
  return v;
}

const INT32_MAX = 2 ** 31 - 1;

function checkPrim(p: Prim, v: unknown, path: string): FieldError[] {
  const bad = (what: string) => [invalid(path, describe(v), `must be ${what}`)];
  switch (p) {
    case 'string': return typeof v === 'string' ? [] : bad('a string');
    case 'bool': return typeof v === 'boolean' ? [] : bad('a boolean');
    // int64 fields (grace periods) fit a double; int32 overflow is caught where it matters.
    case 'int': return Number.isInteger(v) ? [] : bad('an integer');
    case 'intOrString':
      return typeof v === 'string' || (Number.isInteger(v) && Math.abs(v as number) <= INT32_MAX) ? [] : bad('an integer or a string');
    case 'quantity': return typeof v === 'string' || typeof v === 'number' ? [] : bad('a quantity');
    case 'object': return isObject(v) ? [] : bad('an object');
    case 'any': return [];
  }
}

/** Field errors for every value whose type does not match `shape`; [] when it all fits. */
export function checkShape(v: unknown, shape: Shape, path: string): FieldError[] {
  if (v === null || v === undefined) return [];
  if (typeof shape === 'string') return checkPrim(shape, v, path);
  if ('list' in shape) {
    if (!Array.isArray(v)) return [invalid(path, describe(v), 'must be a list')];
    return v.flatMap((item, i) => checkShape(item, shape.list, `${path}[${i}]`));
  }
  if (!isObject(v)) return [invalid(path, describe(v), 'must be an object')];
  if ('map' in shape) {
    return Object.entries(v).flatMap(([k, item]) => checkShape(item, shape.map, `${path}[${k}]`));
  }
  return Object.entries(shape.fields).flatMap(([k, s]) => checkShape(v[k], s, path ? `${path}.${k}` : k));
}

/** Checks a whole Pod document. */
export function checkPodShape(doc: unknown): FieldError[] {
  return checkShape(doc, POD_SHAPE, '');
}

/** Drops null-valued object fields, recursively: Go decodes `ports:` (null) as "not set". */
export function dropNulls<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => dropNulls(x)) as T;
  if (!isObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = dropNulls(x);
  return out as T;
}
