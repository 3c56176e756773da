// downwardAPI volumes (and projected downwardAPI sources): the pod's own fields as files (the kubelet's downwardapi.CollectData).
import type { V1Container, V1DownwardAPIVolumeFile, V1Pod } from '@kubernetes/client-node';
import { makeEnvironmentVariables } from '../podworker/translate/env.js';
import { ContainerConfigError } from '../podworker/translate/errors.js';
import type { FileProjection } from './atomic-writer.js';
import { VolumeError } from './errors.js';

/** What the values may draw on besides the Pod itself. */
export interface DownwardAPISources {
  nodeName: string;
  /** The node's allocatable resources: what an unset limit means to resourceFieldRef. */
  allocatable?: Readonly<Record<string, string>>;
}

export const DEFAULT_MODE = 0o644;

/**
 * fieldpath.ExtractFieldPathAsString's paths, plus spec.nodeName and spec.serviceAccountName,
 * which the kubelet's volume plugin refuses (the API server rejects them in a volume) but a static
 * pod cannot be refused by an API server. status.* is unknown when volumes are set up.
 */
const FIELD_PATHS = new Set([
  'metadata.name', 'metadata.namespace', 'metadata.uid', 'metadata.labels', 'metadata.annotations',
  'spec.nodeName', 'spec.serviceAccountName',
]);
const SUBSCRIPTED = /^metadata\.(labels|annotations)\['.*'\]$/;

/** One file's content. The values are the env var rules' (translate/env.ts), so one place holds them. */
function itemValue(pod: V1Pod, item: V1DownwardAPIVolumeFile, src: DownwardAPISources): string {
  if (item.fieldRef) {
    const fp = item.fieldRef.fieldPath;
    if (!FIELD_PATHS.has(fp) && !SUBSCRIPTED.test(fp)) throw new VolumeError(`unsupported fieldPath: ${fp}`);
  } else if (item.resourceFieldRef) {
    if (!item.resourceFieldRef.containerName) throw new VolumeError(`${item.path}: resourceFieldRef.containerName is required in a volume`);
  } else {
    throw new VolumeError(`${item.path}: one of fieldRef and resourceFieldRef is required`);
  }
  const probe: V1Container = { name: '', env: [{ name: 'value', valueFrom: { fieldRef: item.fieldRef, resourceFieldRef: item.resourceFieldRef } }] };
  try {
    return makeEnvironmentVariables(pod, probe, src)[0]!.value ?? '';
  } catch (err) {
    if (err instanceof ContainerConfigError) throw new VolumeError(err.message);
    throw err;
  }
}

/** utilerrors.NewAggregate's message. */
export function aggregate(errors: Error[]): VolumeError | undefined {
  if (errors.length === 0) return undefined;
  return new VolumeError(errors.length === 1 ? errors[0]!.message : `[${errors.map((e) => e.message).join(', ')}]`);
}

function normalize(p: string): string {
  return p.split('/').filter((s) => s !== '' && s !== '.').join('/');
}

/** downwardapi.CollectData: path → content and mode (the item's, else defaultMode); every failing item is reported. */
export function downwardAPIPayload(
  pod: V1Pod,
  items: V1DownwardAPIVolumeFile[],
  defaultMode: number | undefined,
  src: DownwardAPISources,
): Map<string, FileProjection> {
  const out = new Map<string, FileProjection>();
  const errors: Error[] = [];
  for (const item of items) {
    try {
      out.set(normalize(item.path), { data: itemValue(pod, item, src), mode: item.mode ?? defaultMode ?? DEFAULT_MODE });
    } catch (err) {
      errors.push(err as Error);
    }
  }
  const err = aggregate(errors);
  if (err) throw err;
  return out;
}
