// downwardAPI and projected volumes: their files computed and written atomically, on set-up and on every remount (the plugins' SetUpAt).
import type { V1Pod, V1Volume } from '@kubernetes/client-node';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { writeAtomically } from './atomic-writer.js';
import type { VolumeClusterSources } from './cluster-sources.js';
import { DEFAULT_MODE, downwardAPIPayload, type DownwardAPISources } from './downward-api.js';
import { fsUserFrom, setVolumeOwnership } from './ownership.js';
import { projectedPayload } from './projected.js';

export interface FileVolumeContext {
  downward: DownwardAPISources;
  cluster?: VolumeClusterSources;
  /** Unix ms: names the timestamped directory of a new payload. */
  now: number;
}

/** RequiresRemount: the plugins whose files are rewritten on every sync (configMap and secret volumes join them with issue #12). */
export function requiresRemount(v: V1Volume): boolean {
  return !!(v.downwardAPI || v.projected);
}

/**
 * CollectData, then AtomicWriter.Write into dir (only when something changed, so a sync that
 * finds the same values writes nothing), then SetVolumeOwnership for fsGroup.
 */
export async function writeVolumeFiles(pod: V1Pod, v: V1Volume, dir: string, ctx: FileVolumeContext): Promise<void> {
  const fsGroup = pod.spec?.securityContext?.fsGroup ?? undefined;
  const payload = v.downwardAPI
    ? downwardAPIPayload(pod, v.downwardAPI.items ?? [], v.downwardAPI.defaultMode ?? DEFAULT_MODE, ctx.downward)
    : await projectedPayload(pod, v.projected!, { downward: ctx.downward, cluster: ctx.cluster, fsUser: fsUserFrom(pod), fsGroup });
  await mkdir(path.dirname(dir), { recursive: true });
  await mkdir(dir, { recursive: true, mode: 0o777 });
  // The plugins are ReadOnly, so fsGroup gives group read only (SetVolumeOwnership's roMask).
  await writeAtomically(dir, payload, { now: ctx.now, setPerms: (ts) => setVolumeOwnership(ts, fsGroup, true) });
}
