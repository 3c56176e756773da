// Pods and errors in their wire form: API field names via client-node's ObjectSerializer, RFC3339 times, metav1.Status.
import type { V1Pod } from '@kubernetes/client-node';
// Deep import: the package root does not re-export the serializer, and the root pulls in the
// whole API client (about a second to load) where this file loads only the models.
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';

export type WirePod = Record<string, unknown>;

/** metav1.Time marshals as RFC3339 with whole seconds (metav1.Time.MarshalJSON); toISOString adds milliseconds. */
export function rfc3339(d: Date): string | undefined {
  if (Number.isNaN(d.getTime())) return undefined;
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// Every Date in a Pod is a metav1.Time, so formatting Dates before serializing touches exactly those
// fields; the serializer passes strings through where it expects a Date.
function withWireTimes(value: unknown): unknown {
  if (value instanceof Date) return rfc3339(value);
  if (Array.isArray(value)) return value.map(withWireTimes);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = withWireTimes(v);
    return out;
  }
  return value;
}

/** One pod as the API server would send it (kind and apiVersion set, as kubectl shows them). */
export function encodePod(pod: V1Pod): WirePod {
  const wire = ObjectSerializer.serialize(withWireTimes(pod), 'V1Pod') as WirePod;
  // JSON round trip drops the undefined keys the serializer leaves for every unset field.
  const { apiVersion: _a, kind: _k, ...rest } = JSON.parse(JSON.stringify(wire)) as WirePod;
  return { apiVersion: 'v1', kind: 'Pod', ...rest };
}

/** The API server lists in key order, which is namespace then name. */
export function byNamespaceAndName(a: V1Pod, b: V1Pod): number {
  const ka = `${a.metadata?.namespace ?? ''}/${a.metadata?.name ?? ''}`;
  const kb = `${b.metadata?.namespace ?? ''}/${b.metadata?.name ?? ''}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

export function encodePodList(pods: V1Pod[]): Record<string, unknown> {
  const items = [...pods].sort(byNamespaceAndName).map(encodePod);
  return { kind: 'PodList', apiVersion: 'v1', metadata: {}, items };
}

/** A metav1.Status failure body, the shape the API server answers errors with. */
export function statusBody(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}
