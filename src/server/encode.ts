// Pods and errors in their wire form: API field names and field set from client-node's Pod models, RFC3339 times, metav1.Status.
import { truncate } from '../bounded.js';
import type { V1Pod } from '@kubernetes/client-node';
import { loadWireType, type WireType } from './wire-types.js';

export type WirePod = Record<string, unknown>;

/** metav1.Time marshals as RFC3339 with whole seconds (metav1.Time.MarshalJSON); toISOString adds milliseconds. */
export function rfc3339(d: Date): string | undefined {
  if (Number.isNaN(d.getTime())) return undefined;
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// Loaded once, when this module is first imported (about 130 small model files).
const POD: WireType = await loadWireType('V1Pod');

// A value the models do not type (a primitive, IntOrString, free-form): as it is, with every Date a
// metav1.Time in RFC3339 and unset keys gone, as a JSON round trip would leave it.
function plain(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return rfc3339(value);
  if (Array.isArray(value)) return value.map((v) => plain(v) ?? null);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const w = plain(v);
    if (w !== undefined) out[k] = w;
  }
  return out;
}

/**
 * The generated ObjectSerializer.serialize, with the type expressions parsed in advance: model
 * fields in API order under their JSON names, fields the model does not know left out.
 */
function encode(value: unknown, type: WireType): unknown {
  if (value === null || value === undefined) return value;
  switch (type.kind) {
    case 'plain':
      return plain(value);
    case 'date':
      return value instanceof Date ? rfc3339(value) : plain(value);
    case 'array': {
      const out: unknown[] = [];
      for (const v of value as unknown[]) out.push(encode(v, type.of) ?? null);
      return out;
    }
    case 'map': {
      const out: Record<string, unknown> = {};
      const obj = value as Record<string, unknown>;
      for (const k in obj) {
        const w = encode(obj[k], type.of);
        if (w !== undefined) out[k] = w;
      }
      return out;
    }
    case 'model': {
      const out: Record<string, unknown> = {};
      const obj = value as Record<string, unknown>;
      for (const f of type.fields) {
        const w = encode(obj[f.name], f.type);
        if (w !== undefined) out[f.baseName] = w;
      }
      return out;
    }
  }
}

/**
 * Encodings by pod object: the agent's view hands out the same object while a pod and its status
 * are unchanged (Kubelet.pods), so a watch or a poll of /pods encodes only the pods that changed.
 * Pod objects are never modified once made, which is what makes identity a safe key.
 */
const encoded = new WeakMap<V1Pod, { object: WirePod; json?: string }>();

function encodedEntry(pod: V1Pod): { object: WirePod; json?: string } {
  let entry = encoded.get(pod);
  if (!entry) {
    const { apiVersion: _a, kind: _k, ...rest } = encode(pod, POD) as WirePod;
    entry = { object: { apiVersion: 'v1', kind: 'Pod', ...rest } };
    encoded.set(pod, entry);
  }
  return entry;
}

/** One pod as the API server would send it (kind and apiVersion set, as kubectl shows them). Shared: do not modify. */
export function encodePod(pod: V1Pod): WirePod {
  return encodedEntry(pod).object;
}

/** encodePod as JSON text, also cached. */
export function encodePodJSON(pod: V1Pod): string {
  const entry = encodedEntry(pod);
  return (entry.json ??= JSON.stringify(entry.object));
}

/** The API server lists in key order, which is namespace then name. */
export function byNamespaceAndName(a: V1Pod, b: V1Pod): number {
  const ka = `${a.metadata?.namespace ?? ''}/${a.metadata?.name ?? ''}`;
  const kb = `${b.metadata?.namespace ?? ''}/${b.metadata?.name ?? ''}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** A v1 PodList as JSON text (GET /pods), sorted as the API server lists, joined from the pods' cached encodings. */
export function encodePodListJSON(pods: V1Pod[]): string {
  const items = [...pods].sort(byNamespaceAndName).map(encodePodJSON);
  return `{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[${items.join(',')}]}`;
}

/** A metav1.Status failure body, the shape the API server answers errors with. */
export function statusBody(code: number, reason: string, message: string): Record<string, unknown> {
  // The message may quote the request (a pod name from the URL) or an error's text: bounded.
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: truncate(message), reason, code };
}
