// Prepares a pod's volumes on the host and turns a container's volumeMounts into CRI mounts (the kubelet's volume manager and makeMounts, in small).
//
// setUpPod runs before every sandbox or container start and is idempotent: a volume set up once
// keeps its files across container restarts. remountPod runs on the other syncs and rewrites the
// volumes whose files follow the pod or the cluster (downwardAPI, projected: a token refreshed).
// tearDownPod unmounts what the pod mounted (tmpfs) before removing <rootDir>/pods/<uid>, and
// refuses to remove anything still mounted. In cluster mode, `cluster` supplies tokens and
// ConfigMaps; without it those sources are refused, as static pods have no API server.
import type { V1Container, V1Pod, V1Volume } from '@kubernetes/client-node';
import { chmod, mkdir, realpath, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Mount } from '../cri/types.js';
import { makeEnvironmentVariables } from '../podworker/translate/env.js';
import { value } from '../podworker/translate/quantity.js';
import { hasPayload } from './atomic-writer.js';
import type { VolumeClusterSources } from './cluster-sources.js';
import type { DownwardAPISources } from './downward-api.js';
import { setUpEmptyDir } from './empty-dir.js';
import { unsupportedVolume, VolumeError } from './errors.js';
import { setUpHostPath } from './host-path.js';
import { ETC_HOSTS, makeHostsMount } from './hosts-file.js';
import * as layout from './layout.js';
import { SystemMounter, type Mounter } from './mounter.js';
import { absoluteMountPath, makeVolumeMounts, type MountableVolume } from './mounts.js';
import { requiresRemount, writeVolumeFiles } from './file-volumes.js';

export { VolumeError } from './errors.js';

export interface VolumeManager {
  /**
   * Everything the pod's containers mount, made ready before any container is created; throws a
   * VolumeError naming each volume that cannot be set up. A downwardAPI or projected volume
   * written before keeps its files when a rewrite fails: such failures are returned (FailedMount
   * events), and the pod goes on, as the kubelet's does once a volume is mounted.
   */
  setUpPod(pod: V1Pod): Promise<string[]>;
  /**
   * The kubelet's remount on every pod sync (MarkRemountRequired): rewrites the volumes whose
   * files follow the pod or the cluster, so a refreshed token reaches running containers.
   * Returns the failures; the pod keeps the files it has.
   */
  remountPod(pod: V1Pod): Promise<string[]>;
  /**
   * The CRI mounts for one container instance: its volumeMounts, the managed /etc/hosts (which
   * needs the pod's IPs, known once the sandbox runs) and its termination-message file.
   */
  mountsFor(pod: V1Pod, container: V1Container, restartCount: number, podIPs?: string[]): Promise<Mount[]>;
  /** The host file mounted at the container's terminationMessagePath, if any. */
  terminationMessageHostPath(pod: V1Pod, container: V1Container, restartCount: number): string | undefined;
  /** Unmounts the pod's volumes and removes its directory. */
  tearDownPod(uid: string): Promise<void>;
}

export interface HostVolumeManagerOptions {
  /** For the downward API (spec.nodeName) and subPathExpr. */
  nodeName?: string;
  /** For subPathExpr referring to status.hostIP. */
  hostIP?: string;
  /** --cluster-domain: the pod's FQDN in /etc/hosts when it has a subdomain. */
  clusterDomain?: string;
  /** Node allocatable (cpu, memory quantities): unset limits in resourceFieldRef, the tmpfs ceiling. */
  allocatable?: Readonly<Record<string, string>>;
  /** What host-network pods see as /etc/hosts; default /etc/hosts. */
  nodeHostsFile?: string;
  mounter?: Mounter;
  /** Unix ms, names the downward API's timestamped directories. */
  clock?: () => number;
  /** Cluster mode: service-account tokens and ConfigMaps for projected sources; absent, they are refused. */
  cluster?: VolumeClusterSources;
  logger?: Logger;
}

export class HostVolumeManager implements VolumeManager {
  private readonly mounter: Mounter;
  private readonly clock: () => number;

  constructor(
    private readonly rootDir: string,
    private readonly opts: HostVolumeManagerOptions = {},
  ) {
    this.mounter = opts.mounter ?? new SystemMounter();
    this.clock = opts.clock ?? Date.now;
  }

  podDir(uid: string): string {
    return layout.podDir(this.rootDir, uid);
  }

  /** WaitForAttachAndMount, reduced to set-up: every volume is tried, every failure reported. */
  async setUpPod(pod: V1Pod): Promise<string[]> {
    await mkdir(this.podDir(pod.metadata!.uid!), { recursive: true, mode: 0o750 });
    // The kubelet's pod manager registers the pod's ConfigMaps with the manager before any read.
    this.opts.cluster?.configMaps.registerPod(pod);
    const failures: string[] = [];
    const remountFailures: string[] = [];
    for (const v of pod.spec?.volumes ?? []) {
      try {
        await this.setUpVolume(pod, v);
      } catch (err) {
        const message = setUpFailed(v, err);
        if (requiresRemount(v) && (await hasPayload(this.mountable(pod, v)!.hostPath))) remountFailures.push(message);
        else failures.push(message);
      }
    }
    if (failures.length) throw new VolumeError(failures.join('; '));
    return remountFailures;
  }

  async remountPod(pod: V1Pod): Promise<string[]> {
    this.opts.cluster?.configMaps.registerPod(pod);
    const failures: string[] = [];
    for (const v of pod.spec?.volumes ?? []) {
      if (!requiresRemount(v)) continue;
      await this.writeFiles(pod, v).catch((err) => failures.push(setUpFailed(v, err)));
    }
    return failures;
  }

  async mountsFor(pod: V1Pod, container: V1Container, restartCount: number, podIPs: string[] = []): Promise<Mount[]> {
    const volumes = new Map<string, MountableVolume>();
    for (const v of pod.spec?.volumes ?? []) {
      const m = this.mountable(pod, v);
      if (m) volumes.set(v.name, m);
    }
    const envs = () => makeEnvironmentVariables(pod, container, this.envSources(podIPs));
    const mounts = await makeVolumeMounts(container, volumes, { envs });
    // makeMounts: the managed /etc/hosts, unless the container mounts its own or the pod has no IP yet.
    if (podIPs.length > 0 && !mounts.some((m) => m.containerPath === ETC_HOSTS)) {
      mounts.push(await makeHostsMount(layout.hostsFilePath(this.rootDir, pod.metadata!.uid!), pod, podIPs, this.opts));
    }
    const tm = this.terminationMessageHostPath(pod, container, restartCount);
    if (tm) {
      await mkdir(path.dirname(tm), { recursive: true });
      await writeFile(tm, '', { mode: 0o666 });
      // makeMounts chmods it: the create mode is cut by the umask, and a non-root container must be able to write it.
      await chmod(tm, 0o666);
      mounts.push({ containerPath: absoluteMountPath(container.terminationMessagePath!), hostPath: tm, readonly: false });
    }
    return mounts;
  }

  terminationMessageHostPath(pod: V1Pod, container: V1Container, restartCount: number): string | undefined {
    if (!container.terminationMessagePath) return undefined;
    return layout.terminationLogPath(this.rootDir, pod.metadata!.uid!, container.name, restartCount);
  }

  /** Unmounts everything mounted below the pod's directory (deepest first), then removes it. */
  async tearDownPod(uid: string): Promise<void> {
    try {
      await this.removePodDir(uid);
    } finally {
      // The projected plugin's TearDownAt drops the pod's tokens; the pod manager unregisters it.
      this.opts.cluster?.tokens.deleteServiceAccountToken(uid);
      this.opts.cluster?.configMaps.unregisterPod(uid);
    }
  }

  private async removePodDir(uid: string): Promise<void> {
    const dir = this.podDir(uid);
    const real = await realpath(dir).catch(() => undefined);
    if (!real) return;
    const mounted = async () => (await this.mounter.mountsUnder(real)).map((m) => m.mountPoint).sort((a, b) => b.length - a.length);
    for (const mp of await mounted()) {
      await this.mounter.unmount(mp);
      this.opts.logger?.debug({ uid, mountPoint: mp }, 'unmounted pod volume');
    }
    const left = await mounted();
    if (left.length) throw new Error(`pod ${uid}: cannot remove ${dir}, still mounted: ${left.join(', ')}`);
    await rm(dir, { recursive: true, force: true });
  }

  private envSources(podIPs: string[]) {
    return {
      nodeName: this.opts.nodeName ?? '',
      podIP: podIPs[0],
      podIPs,
      hostIP: this.opts.hostIP,
      allocatable: this.opts.allocatable,
    };
  }

  private downwardSources(): DownwardAPISources {
    return { nodeName: this.opts.nodeName ?? '', allocatable: this.opts.allocatable };
  }

  private async setUpVolume(pod: V1Pod, v: V1Volume): Promise<void> {
    const uid = pod.metadata!.uid!;
    if (v.emptyDir) {
      const memory = this.opts.allocatable?.memory;
      const dir = await setUpEmptyDir(pod, v, {
        rootDir: this.rootDir,
        mounter: this.mounter,
        nodeAllocatableMemory: memory === undefined ? undefined : value(memory),
      });
      this.opts.logger?.debug({ uid, volume: v.name, dir, medium: v.emptyDir.medium ?? '' }, 'emptyDir ready');
    } else if (v.hostPath) {
      await setUpHostPath(v.hostPath);
    } else if (requiresRemount(v)) {
      await this.writeFiles(pod, v);
    } else {
      throw unsupportedVolume(v);
    }
  }

  private writeFiles(pod: V1Pod, v: V1Volume): Promise<void> {
    const ctx = { downward: this.downwardSources(), cluster: this.opts.cluster, now: this.clock() };
    return writeVolumeFiles(pod, v, this.mountable(pod, v)!.hostPath, ctx);
  }

  /** Where a volume is on the host, and whether its plugin forces read-only; undefined for unsupported kinds. */
  private mountable(pod: V1Pod, v: V1Volume): MountableVolume | undefined {
    const uid = pod.metadata!.uid!;
    if (v.emptyDir) return { hostPath: layout.volumeDir(this.rootDir, uid, layout.EMPTY_DIR_PLUGIN, v.name), readOnly: false };
    if (v.hostPath) return { hostPath: v.hostPath.path, readOnly: false };
    if (v.downwardAPI) return { hostPath: layout.volumeDir(this.rootDir, uid, layout.DOWNWARD_API_PLUGIN, v.name), readOnly: true };
    if (v.projected) return { hostPath: layout.volumeDir(this.rootDir, uid, layout.PROJECTED_PLUGIN, v.name), readOnly: true };
    return undefined;
  }

}

/** GenerateError("MountVolume.SetUp failed", err): the message of the FailedMount event and the waiting container. */
function setUpFailed(v: V1Volume, err: unknown): string {
  return `MountVolume.SetUp failed for volume "${v.name}" : ${err instanceof Error ? err.message : String(err)}`;
}
