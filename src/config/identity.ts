// A static pod's identity, the kubelet's way (config/common.go applyDefaults): UID = hash of the manifest, name + node suffix.
import { createHash } from 'node:crypto';
import type { V1Pod, V1Toleration } from '@kubernetes/client-node';
import {
  CONFIG_FIRST_SEEN_ANNOTATION, CONFIG_HASH_ANNOTATION, CONFIG_PATH_ANNOTATION, CONFIG_SOURCE_ANNOTATION,
} from './annotations.js';

/** JSON with object keys sorted at every level, so equal pods hash equally whatever the key order. */
export function canonicalJSON(v: unknown): string {
  if (v instanceof Date) return JSON.stringify(v.toISOString());
  if (Array.isArray(v)) return `[${v.map(canonicalJSON).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJSON(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/**
 * The static pod UID (applyDefaults): md5 over the node, the file and the (defaulted) pod, so the
 * same file on the same node keeps its UID across restarts and any edit makes a new pod.
 */
export function staticPodUID(pod: V1Pod, nodeName: string, filePath: string): string {
  const h = createHash('md5');
  h.update(`host:${nodeName}`);
  h.update(`file:${filePath}`);
  h.update(canonicalJSON(pod));
  return h.digest('hex');
}

/** generatePodName: unique among nodes (nodeName comes lowercased from the caller). */
export const staticPodName = (name: string, nodeName: string): string => `${name}-${nodeName}`;

/** The toleration every static pod gets so node problems never evict it. */
const TOLERATE_NO_EXECUTE: V1Toleration = { operator: 'Exists', effect: 'NoExecute' };

/** helper.AddOrUpdateTolerationInPod: replace a matching toleration (key, operator, value, effect), else append. */
function addOrUpdateToleration(pod: V1Pod, t: V1Toleration): void {
  const list = (pod.spec!.tolerations ??= []);
  const same = (x: V1Toleration) =>
    (x.key ?? '') === (t.key ?? '') && (x.operator ?? 'Equal') === t.operator && (x.value ?? '') === (t.value ?? '') && (x.effect ?? '') === t.effect;
  const i = list.findIndex(same);
  if (i >= 0) list[i] = { ...t };
  else list.push({ ...t });
}

export interface StaticPodIdentity {
  nodeName: string;
  /** The manifest file, part of the UID. */
  filePath: string;
  /** What the path annotation says: the file, plus "#<index>" for a document of a multi-document file. */
  configPath: string;
  source: string;
}

/**
 * applyDefaults for a file pod, on a pod that is already defaulted and valid: UID (kept if the
 * manifest sets one), name suffix, namespace, node, config annotations, the NoExecute toleration,
 * phase Pending. Mutates and returns `pod`.
 */
export function applyStaticPodIdentity(pod: V1Pod, id: StaticPodIdentity): V1Pod {
  const meta = (pod.metadata ??= {});
  // Hash before any of the fields below are touched: they are derived, not part of the manifest.
  meta.uid ||= staticPodUID(pod, id.nodeName, id.filePath);
  meta.name = staticPodName(meta.name ?? '', id.nodeName);
  meta.namespace ||= 'default';
  pod.spec!.nodeName = id.nodeName;
  meta.annotations = {
    ...meta.annotations,
    [CONFIG_HASH_ANNOTATION]: meta.uid,
    [CONFIG_SOURCE_ANNOTATION]: id.source,
    [CONFIG_PATH_ANNOTATION]: id.configPath,
  };
  addOrUpdateToleration(pod, TOLERATE_NO_EXECUTE);
  pod.status = { ...pod.status, phase: 'Pending' };
  return pod;
}

/**
 * Stamps config.seen (and creationTimestamp when the manifest has none) with the time the pod was
 * first seen. Neither is part of the UID, so re-reading an unchanged file keeps the pod.
 */
export function stampFirstSeen(pod: V1Pod, firstSeenMs: number): V1Pod {
  const meta = (pod.metadata ??= {});
  const seen = new Date(firstSeenMs);
  meta.annotations = { ...meta.annotations, [CONFIG_FIRST_SEEN_ANNOTATION]: seen.toISOString() };
  meta.creationTimestamp ??= seen;
  return pod;
}
