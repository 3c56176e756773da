// downwardAPI, projected, configMap and secret volumes: their files computed and written atomically, once at set-up and again by background remounts (the plugins' SetUpAt).
//
// The kubelet's pod worker waits only for a volume's first mount; its reconciler remounts the
// volumes that RequiresRemount on its own time. So here: a running pod's remount runs in the
// background, one pass per pod at a time, and a slow API server (a token or ConfigMap read that
// hangs until the request deadline) never holds up a sync. The API is read outside any lock;
// only the writes of one pod are serialized, so a set-up and a remount never write together.
// Secret and projected volumes live on a tmpfs (the plugins wrap a Memory emptyDir), mounted
// before their first write, so secrets and tokens never reach the node's disk.
import type { V1Pod, V1Volume } from '@kubernetes/client-node';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { hasPayload, writeAtomically, type FileProjection } from './atomic-writer.js';
import type { VolumeClusterSources } from './cluster-sources.js';
import { DEFAULT_MODE, downwardAPIPayload, type DownwardAPISources } from './downward-api.js';
import { mountMemoryWrapper } from './empty-dir.js';
import { unsupportedVolume } from './errors.js';
import type { Mounter } from './mounter.js';
import { configMapFiles, secretFiles } from './object-volumes.js';
import { fsUserFrom, setVolumeOwnership } from './ownership.js';
import { projectedPayload } from './projected.js';

export interface FileVolumeContext {
  downward: DownwardAPISources;
  /** Asked at each use: absent in static mode. */
  cluster: () => VolumeClusterSources | undefined;
  /** Unix ms: names the timestamped directory of a new payload. */
  now: () => number;
  /** Mounts the tmpfs of secret and projected volumes. */
  mounter: Mounter;
  /** The node's allocatable memory in bytes: the tmpfs ceiling. */
  nodeAllocatableMemory?: number;
}

/** RequiresRemount: the plugins whose files are rewritten on every sync of a running pod. */
export function requiresRemount(v: V1Volume): boolean {
  return !!(v.downwardAPI || v.projected || v.configMap || v.secret);
}

/** The plugins that wrap a Memory emptyDir (secret, projected). */
function memoryBacked(v: V1Volume): boolean {
  return !!(v.secret || v.projected);
}

/** GenerateError("MountVolume.SetUp failed", err): the message of the FailedMount event and the waiting container. */
export function setUpFailed(v: V1Volume, err: unknown): string {
  return `MountVolume.SetUp failed for volume "${v.name}" : ${err instanceof Error ? err.message : String(err)}`;
}

export class FileVolumes {
  /** The remount pass under way, by pod UID. */
  private readonly passes = new Map<string, Promise<void>>();
  /** The tail of each pod's chain of writes. */
  private readonly writes = new Map<string, Promise<unknown>>();

  constructor(private readonly ctx: FileVolumeContext) {}

  /** Whether the volume's files were written before (by this process or an earlier one). */
  written(dir: string): Promise<boolean> {
    return hasPayload(dir);
  }

  /** SetUpAt: CollectData, then the atomic write (only when something changed); throws on failure. */
  async setUp(pod: V1Pod, v: V1Volume, dir: string): Promise<void> {
    const payload = await this.payload(pod, v);
    await this.serialized(pod.metadata!.uid!, () => this.write(pod, v, dir, payload));
  }

  /**
   * A background pass over the volumes already written: each is rewritten when its content
   * changed; each failure goes to onFailure and the old files stay. A call while a pass runs
   * joins it. The promise never rejects.
   */
  remount(pod: V1Pod, volumes: Array<{ volume: V1Volume; dir: string }>, onFailure: (message: string) => void): Promise<void> {
    const uid = pod.metadata!.uid!;
    const running = this.passes.get(uid);
    if (running) return running;
    const pass = (async () => {
      for (const { volume, dir } of volumes) {
        try {
          if (await this.written(dir)) await this.setUp(pod, volume, dir);
        } catch (err) {
          onFailure(setUpFailed(volume, err));
        }
      }
    })().finally(() => this.passes.delete(uid));
    this.passes.set(uid, pass);
    return pass;
  }

  /** Waits for the pod's remount pass and writes, so nothing is written after its directory goes. */
  async settle(uid: string): Promise<void> {
    await this.passes.get(uid);
    await this.writes.get(uid);
  }

  private async payload(pod: V1Pod, v: V1Volume): Promise<Map<string, FileProjection>> {
    const fsGroup = pod.spec?.securityContext?.fsGroup ?? undefined;
    if (v.downwardAPI) return downwardAPIPayload(pod, v.downwardAPI.items ?? [], v.downwardAPI.defaultMode ?? DEFAULT_MODE, this.ctx.downward);
    const cluster = this.ctx.cluster();
    if (v.projected) return projectedPayload(pod, v.projected, { downward: this.ctx.downward, cluster, fsUser: fsUserFrom(pod), fsGroup });
    // configMap and secret volumes: a static pod has no API server to read them from.
    if (!cluster) throw unsupportedVolume(v);
    const ns = pod.metadata?.namespace ?? '';
    if (v.configMap) {
      const ref = { name: v.configMap.name ?? '', items: v.configMap.items, optional: v.configMap.optional === true };
      return configMapFiles(cluster, ns, ref, v.configMap.defaultMode ?? DEFAULT_MODE);
    }
    const ref = { name: v.secret!.secretName ?? '', items: v.secret!.items, optional: v.secret!.optional === true };
    return secretFiles(cluster, ns, ref, v.secret!.defaultMode ?? DEFAULT_MODE);
  }

  private async write(pod: V1Pod, v: V1Volume, dir: string, payload: Map<string, FileProjection>): Promise<void> {
    const fsGroup = pod.spec?.securityContext?.fsGroup ?? undefined;
    await mkdir(path.dirname(dir), { recursive: true });
    // The tmpfs before the first payload only: a volume written before (by an agent that kept it
    // on disk) is what its containers have bind-mounted, and must stay where they see it.
    if (memoryBacked(v) && !(await hasPayload(dir))) await mountMemoryWrapper(pod, dir, this.ctx.mounter, this.ctx.nodeAllocatableMemory);
    await mkdir(dir, { recursive: true, mode: 0o777 });
    // The plugins are ReadOnly, so fsGroup gives group read only (SetVolumeOwnership's roMask).
    await writeAtomically(dir, payload, { now: this.ctx.now(), setPerms: (ts) => setVolumeOwnership(ts, fsGroup, true) });
  }

  /** Runs fn after the pod's earlier writes (a promise chain per pod, dropped when it drains). */
  private serialized<T>(uid: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.writes.get(uid) ?? Promise.resolve()).then(fn);
    const tail = run.catch(() => undefined);
    this.writes.set(uid, tail);
    void tail.then(() => {
      if (this.writes.get(uid) === tail) this.writes.delete(uid);
    });
    return run;
  }
}
