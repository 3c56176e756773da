// Prepares a pod's volumes on the host and turns a container's volumeMounts into CRI mounts (the kubelet's volume manager and makeMounts, in small).
//
// setUpPod runs before every sandbox or container start and is idempotent: a volume set up once
// keeps its files across container restarts. remountPod, on every sync of a running pod, rewrites
// in the background the volumes whose files follow the pod or the cluster (downwardAPI,
// projected: a token refreshed), as the kubelet's reconciler does apart from its pod workers.
// tearDownPod unmounts what the pod mounted (tmpfs) before removing <rootDir>/pods/<uid>, and
// refuses to remove anything still mounted. In cluster mode, `cluster` supplies tokens,
// ConfigMaps and Secrets; without it those sources are refused, as static pods have no API server.
import type { V1Container, V1Pod, V1Volume } from '@kubernetes/client-node';
import { chmod, mkdir, realpath, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Mount } from '../cri/types.js';
import { makeEnvironmentVariables, type EnvSources } from '../podworker/translate/env.js';
import { value } from '../podworker/translate/quantity.js';
import type { VolumeClusterSources } from './cluster-sources.js';
import type { DownwardAPISources } from './downward-api.js';
import { setUpEmptyDir } from './empty-dir.js';
import { unsupportedVolume, VolumeError } from './errors.js';
import { setUpHostPath } from './host-path.js';
import { ETC_HOSTS, hostsFileSpec, hostsMount, makeHostsMount } from './hosts-file.js';
import * as layout from './layout.js';
import { SystemMounter, type Mounter } from './mounter.js';
import { absoluteMountPath, makeVolumeMounts, type MountableVolume } from './mounts.js';
import { checkSubPath, prepareSubPath } from './subpath.js';
import { FileVolumes, requiresRemount, setUpFailed } from './file-volumes.js';

export { VolumeError } from './errors.js';

export interface VolumeManager {
  /**
   * Everything the pod's containers mount, made ready before any container is created; throws a
   * VolumeError naming each volume that cannot be set up. downwardAPI and projected volumes
   * written before are left to remountPod, as the kubelet waits only for a volume's first mount.
   */
  setUpPod(pod: V1Pod): Promise<void>;
  /**
   * The kubelet's remount (MarkRemountRequired, carried out by its reconciler): rewrites the
   * downwardAPI and projected volumes written before, so a refreshed token or a changed label
   * reaches running containers. Runs in the background, one pass per pod at a time (a call while
   * one runs joins it); each failure goes to onFailure and the old files stay. Never rejects.
   */
  remountPod(pod: V1Pod, onFailure?: (message: string) => void): Promise<void>;
  /**
   * The CRI mounts for one container instance: its volumeMounts, the managed /etc/hosts (which
   * needs the pod's IPs, known once the sandbox runs) and its termination-message file. `env`:
   * the cluster objects the container's environment reads, for subPathExpr.
   */
  mountsFor(pod: V1Pod, container: V1Container, restartCount: number, podIPs?: string[], env?: ClusterEnv): Promise<Mount[]>;
  /** The host file mounted at the container's terminationMessagePath, if any. */
  terminationMessageHostPath(pod: V1Pod, container: V1Container, restartCount: number): string | undefined;
  /** Unmounts the pod's volumes and removes its directory. */
  tearDownPod(uid: string): Promise<void>;
}

/** What a container's environment read from the cluster (podworker/cluster-objects.ts). */
export type ClusterEnv = Pick<EnvSources, 'configMaps' | 'secrets' | 'services'>;

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
  /**
   * Cluster mode: service-account tokens and ConfigMaps for projected sources; absent (or
   * undefined when asked), they are refused. A function is asked at each use, so run.ts may
   * build the cluster parts after the volume manager.
   */
  cluster?: VolumeClusterSources | (() => VolumeClusterSources | undefined);
  logger?: Logger;
}

/** What making a container's mounts does on the host: the agent's effects act, plan's only describe. */
interface MountEffects {
  subPath(volumePath: string, subPath: string, mountName: string, containerName: string): Promise<string>;
  hostsFile(file: string): Promise<Mount>;
  terminationLog(file: string): Promise<void>;
}

/** Tries every volume of the pod and reports every failure at once, as the volume manager's SetUp errors. */
async function eachVolume(pod: V1Pod, fn: (v: V1Volume) => Promise<void>): Promise<void> {
  const failures: string[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    try {
      await fn(v);
    } catch (err) {
      failures.push(setUpFailed(v, err));
    }
  }
  if (failures.length) throw new VolumeError(failures.join('; '));
}

export class HostVolumeManager implements VolumeManager {
  private readonly mounter: Mounter;
  private readonly clock: () => number;
  private readonly files: FileVolumes;
  private readonly cluster: () => VolumeClusterSources | undefined;

  constructor(
    private readonly rootDir: string,
    private readonly opts: HostVolumeManagerOptions = {},
  ) {
    this.mounter = opts.mounter ?? new SystemMounter();
    this.clock = opts.clock ?? Date.now;
    const cluster = opts.cluster;
    this.cluster = typeof cluster === 'function' ? cluster : () => cluster;
    const memory = opts.allocatable?.memory;
    this.files = new FileVolumes({
      downward: this.downwardSources(), cluster: this.cluster, now: this.clock, mounter: this.mounter,
      nodeAllocatableMemory: memory === undefined ? undefined : value(memory),
    });
  }

  podDir(uid: string): string {
    return layout.podDir(this.rootDir, uid);
  }

  /** WaitForAttachAndMount, reduced to set-up: every volume is tried, every failure reported. */
  async setUpPod(pod: V1Pod): Promise<void> {
    await mkdir(this.podDir(pod.metadata!.uid!), { recursive: true, mode: 0o750 });
    // The kubelet's pod manager registers the pod's ConfigMaps and Secrets (volumes, environment,
    // pull secrets) with their managers before any read: each first reference starts its watch.
    this.register(pod);
    await eachVolume(pod, (v) => this.setUpVolume(pod, v));
  }

  remountPod(pod: V1Pod, onFailure: (message: string) => void = () => {}): Promise<void> {
    this.register(pod);
    const volumes = (pod.spec?.volumes ?? []).filter(requiresRemount).map((volume) => ({ volume, dir: this.mountable(pod, volume)!.hostPath }));
    return this.files.remount(pod, volumes, onFailure);
  }

  /** Resolves once the pod's background remount (if any) has finished. */
  remountsSettled(uid: string): Promise<void> {
    return this.files.settle(uid);
  }

  /**
   * For `plan`: where each volume would be on the host, touching nothing; a volume kind setUpPod
   * cannot serve fails here with the same error. (HostPath types are not checked on disk.)
   */
  async describeVolumes(pod: V1Pod): Promise<{ name: string; hostPath: string }[]> {
    const out: { name: string; hostPath: string }[] = [];
    await eachVolume(pod, async (v) => {
      const m = this.mountable(pod, v);
      if (!m) throw unsupportedVolume(v);
      out.push({ name: v.name, hostPath: m.hostPath });
    });
    return out;
  }

  mountsFor(pod: V1Pod, container: V1Container, restartCount: number, podIPs: string[] = [], env: ClusterEnv = {}): Promise<Mount[]> {
    return this.computeMounts(pod, container, restartCount, podIPs, env, {
      subPath: prepareSubPath,
      hostsFile: (file) => makeHostsMount(file, pod, podIPs, this.opts),
      terminationLog: async (tm) => {
        await mkdir(path.dirname(tm), { recursive: true });
        await writeFile(tm, '', { mode: 0o666 });
        // makeMounts chmods it: the create mode is cut by the umask, and a non-root container must be able to write it.
        await chmod(tm, 0o666);
      },
    });
  }

  /**
   * For `plan`: the mounts mountsFor would give the container, computed by the same code with
   * nothing made on the host: a subPath is shown joined to its volume (not created or resolved),
   * the hosts file and the termination log are not written.
   */
  describeMounts(pod: V1Pod, container: V1Container, restartCount: number, podIPs: string[] = []): Promise<Mount[]> {
    return this.computeMounts(pod, container, restartCount, podIPs, {}, {
      subPath: async (volumePath, subPath) => {
        checkSubPath(subPath);
        return path.join(volumePath, subPath);
      },
      hostsFile: async (file) => {
        hostsFileSpec(pod, podIPs, this.opts);
        return hostsMount(file);
      },
      terminationLog: async () => {},
    });
  }

  /** makeMounts: the volumeMounts, the managed /etc/hosts, the termination log; what touches the host is in `effects`. */
  private async computeMounts(pod: V1Pod, container: V1Container, restartCount: number, podIPs: string[], env: ClusterEnv, effects: MountEffects): Promise<Mount[]> {
    const volumes = new Map<string, MountableVolume>();
    for (const v of pod.spec?.volumes ?? []) {
      const m = this.mountable(pod, v);
      if (m) volumes.set(v.name, m);
    }
    const envs = () => makeEnvironmentVariables(pod, container, { ...this.envSources(podIPs), ...env });
    const mounts = await makeVolumeMounts(container, volumes, { envs, subPath: effects.subPath });
    // makeMounts: the managed /etc/hosts, unless the container mounts its own or the pod has no IP yet.
    if (podIPs.length > 0 && !mounts.some((m) => m.containerPath === ETC_HOSTS)) {
      mounts.push(await effects.hostsFile(layout.hostsFilePath(this.rootDir, pod.metadata!.uid!)));
    }
    const tm = this.terminationMessageHostPath(pod, container, restartCount);
    if (tm) {
      await effects.terminationLog(tm);
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
      await this.files.settle(uid);
      await this.removePodDir(uid);
    } finally {
      // The projected plugin's TearDownAt drops the pod's tokens; the pod manager unregisters it.
      this.cluster()?.tokens.deleteServiceAccountToken(uid);
      this.cluster()?.configMaps.unregisterPod(uid);
      this.cluster()?.secrets.unregisterPod(uid);
    }
  }

  private register(pod: V1Pod): void {
    const cluster = this.cluster();
    cluster?.configMaps.registerPod(pod);
    cluster?.secrets.registerPod(pod);
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
      const dir = this.mountable(pod, v)!.hostPath;
      if (!(await this.files.written(dir))) await this.files.setUp(pod, v, dir);
    } else {
      throw unsupportedVolume(v);
    }
  }

  /** Where a volume is on the host, and whether its plugin forces read-only; undefined for unsupported kinds. */
  private mountable(pod: V1Pod, v: V1Volume): MountableVolume | undefined {
    const uid = pod.metadata!.uid!;
    if (v.emptyDir) return { hostPath: layout.volumeDir(this.rootDir, uid, layout.EMPTY_DIR_PLUGIN, v.name), readOnly: false };
    if (v.hostPath) return { hostPath: v.hostPath.path, readOnly: false };
    if (v.downwardAPI) return { hostPath: layout.volumeDir(this.rootDir, uid, layout.DOWNWARD_API_PLUGIN, v.name), readOnly: true };
    if (v.projected) return { hostPath: layout.volumeDir(this.rootDir, uid, layout.PROJECTED_PLUGIN, v.name), readOnly: true };
    if (v.configMap) return { hostPath: layout.volumeDir(this.rootDir, uid, layout.CONFIGMAP_PLUGIN, v.name), readOnly: true };
    if (v.secret) return { hostPath: layout.volumeDir(this.rootDir, uid, layout.SECRET_PLUGIN, v.name), readOnly: true };
    return undefined;
  }

}
