// Makes the kubepods QoS hierarchy and per-pod cgroups on the host's cgroupfs with the kubelet's limits in them, and removes a pod's cgroups after teardown.
//
// At start: <cgroup-root>/kubepods, .../burstable and .../besteffort in every mounted hierarchy;
// kubepods gets the node's allocatable (cpu shares from the cpu capacity, memory limit = capacity
// less pre-allocated huge pages: there is no --kube-reserved/--system-reserved), besteffort 2
// shares, burstable the shares of its pods' cpu requests, rewritten whenever one of its pods' cgroups
// is made or removed (pod-resource-config.ts). Before a pod's sandbox: its cgroup below its class,
// with ResourceConfigForPod's shares, CFS quota and memory limit (cgroup v1 or v2 files,
// cgroup-files.ts). After its sandbox is gone: the cgroup is removed.
// Left out, as departures: pod overhead, hugetlb limits, the pids limit (--pod-max-pids, kubepods' pid
// capacity), memory QoS and QOSReserved (alpha), the kubelet's periodic QoS resync (we rewrite on
// change only: a pod made, adopted after an agent restart (trackPod), or removed).
import type { V1Pod } from '@kubernetes/client-node';
import { mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { getPodQOS, type QOSClass } from '../status/qos.js';
import { describeHierarchy, enableControllers, writeResourceConfig, type Hierarchy } from './cgroup-files.js';
import { kubepodsCgroup, podCgroup, qosCgroup, qosHierarchy, toCgroupfs, type CgroupName } from './cgroups.js';
import { nodeAllocatableResourceConfig, podCPURequestMilli, qosResourceConfigs, resourceConfigForPod, type ResourceConfig } from './pod-resource-config.js';

/** What the pod workers need from the cgroup manager (kubelet: PodContainerManager). */
export interface PodCgroups {
  /** Creates the pod's cgroup (below its QoS class's) with its limits in every hierarchy; before its sandbox. */
  ensurePod(pod: V1Pod): Promise<void>;
  /**
   * A pod whose sandbox already runs (adopted after an agent restart): counted in burstable's
   * shares like the pods this process made cgroups for. Cheap when nothing changes.
   */
  trackPod(pod: V1Pod): Promise<void>;
  /** Removes the pod's cgroups, under whichever class they were made; after its sandbox is gone. */
  removePod(uid: string): Promise<void>;
}

export interface CgroupfsOptions {
  /** --cgroup-root: where kubepods goes in each hierarchy ("/" by default). */
  cgroupRoot: string;
  /** The mount points of the hierarchies to manage; default: every cgroup mount in /proc/self/mountinfo. */
  mounts?: string[];
  logger?: Logger;
  /** How long to wait between attempts to remove a busy cgroup (tests pass 0). */
  retryDelayMs?: number;
  /** The Node's status.capacity (cpu, memory, hugepages-*), for kubepods; default: this machine's cpus and MemTotal. */
  capacity?: Record<string, string>;
}

/**
 * The hierarchy mount points on this host: each cgroup v1 mount of a whole hierarchy, or the one
 * cgroup2 mount on a pure cgroup v2 host (a hybrid host's cgroup2 is left alone, as runc does).
 */
export function cgroupMounts(mountinfo: string): string[] {
  const v1: string[] = [];
  const v2: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!pre || !post) continue;
    const f = pre.split(' ');
    const fstype = post.split(' ')[0];
    if (f[3] !== '/' || !f[4]) continue; // a bind mount of a sub-cgroup is not a hierarchy root
    if (fstype === 'cgroup') v1.push(f[4]);
    if (fstype === 'cgroup2') v2.push(f[4]);
  }
  return v1.length > 0 ? v1 : v2.slice(0, 1);
}

const QOS_CLASSES: QOSClass[] = ['Guaranteed', 'Burstable', 'BestEffort'];

export class CgroupfsManager implements PodCgroups {
  private mounts: string[] | undefined;
  private described: Promise<Hierarchy[]> | undefined;
  /** The cpu requests (millicores) of the Burstable pods whose cgroups we made: burstable's shares. */
  private readonly burstable = new Map<string, number>();
  /** QoS updates one at a time, each from the pods at its turn (the kubelet holds a mutex). */
  private qosUpdate: Promise<void> = Promise.resolve();

  constructor(private readonly opts: CgroupfsOptions) {
    this.mounts = opts.mounts;
  }

  /**
   * createNodeAllocatableCgroups and qosContainerManager.Start: <cgroup-root>/kubepods{,/burstable,/besteffort}
   * with their limits (a failure stops the agent, as it stops the kubelet). Then a sweep of idle
   * pod cgroups left by an agent that died (kubelet: cleanupOrphanedPodCgroups).
   */
  async start(): Promise<void> {
    this.mounts ??= cgroupMounts(await readFile('/proc/self/mountinfo', 'utf8'));
    if (this.mounts.length === 0) throw new Error('no cgroup hierarchy is mounted (looked in /proc/self/mountinfo)');
    const qos = qosHierarchy(this.opts.cgroupRoot);
    for (const name of qos) await this.create(name);
    // cgroup v2: every ancestor of a pod cgroup, from the mount root down, enables its controllers.
    const kubepods = kubepodsCgroup(this.opts.cgroupRoot);
    const parents = [...kubepods.map((_, i) => kubepods.slice(0, i)), ...qos];
    await Promise.all((await this.hierarchies()).map((h) => enableControllers(h, parents.map((n) => path.join(h.mount, ...n)))));
    const capacity = this.opts.capacity ?? { cpu: String(cpus().length), memory: String(totalmem()) };
    try {
      await this.write(kubepods, nodeAllocatableResourceConfig(capacity));
      await this.writeQOS();
    } catch (err) {
      throw new Error(`failed to apply the limits of the QoS cgroups: ${(err as Error).message}`);
    }
    await this.removeIdlePodCgroups();
  }

  /**
   * Removes every pod cgroup with no process in it. Other agents may share the hierarchy, so only
   * the kernel's rule decides: rmdir fails on a cgroup with tasks. One removed between another
   * agent's ensurePod and its RunPodSandbox costs nothing: the runtime makes the path anyway.
   */
  async removeIdlePodCgroups(): Promise<void> {
    for (const mount of this.mounts ?? []) {
      for (const qos of qosHierarchy(this.opts.cgroupRoot)) {
        const dir = path.join(mount, ...qos);
        const pods = await readdir(dir, { withFileTypes: true }).catch(() => []);
        for (const e of pods) {
          if (e.isDirectory() && e.name.startsWith('pod')) await this.removeTree(path.join(dir, e.name), 0).catch(() => undefined);
        }
      }
    }
  }

  /**
   * UpdateQOSCgroups (its failure only logged), then podContainerManager.EnsureExists: the pod
   * cgroup with ResourceConfigForPod. A failure fails this pod's sync with the kubelet's message.
   */
  async ensurePod(pod: V1Pod): Promise<void> {
    const uid = pod.metadata!.uid!;
    const qos = getPodQOS(pod);
    const before = this.burstable.get(uid);
    if (qos === 'Burstable') this.burstable.set(uid, podCPURequestMilli(pod));
    else this.burstable.delete(uid);
    // Only a change to burstable's pods changes the QoS values; a burst of BestEffort or Guaranteed
    // pods would otherwise queue one rewrite per pod behind each other (the writes are serialized).
    if (this.burstable.get(uid) !== before) await this.updateQOS();
    const name = podCgroup(this.opts.cgroupRoot, qos, uid);
    try {
      await this.create(name);
      await this.write(name, resourceConfigForPod(pod));
    } catch (err) {
      const message = (err as Error).message;
      this.opts.logger?.error({ uid, cgroup: toCgroupfs(name), err: message }, 'could not make the pod cgroup');
      throw new Error(`failed to ensure that the pod: ${uid} cgroups exist and are correctly applied: failed to create container for [${name.join(' ')}] : ${message}`);
    }
  }

  async trackPod(pod: V1Pod): Promise<void> {
    const uid = pod.metadata!.uid!;
    const burstable = getPodQOS(pod) === 'Burstable';
    if (burstable === this.burstable.has(uid)) return;
    if (burstable) this.burstable.set(uid, podCPURequestMilli(pod));
    else this.burstable.delete(uid);
    // kubelet: UpdateQOSCgroups counts every active pod (a failure is only logged, as there).
    await this.updateQOS();
  }

  /** Removes the pod's cgroups; burstable's shares drop by its request (kubelet: killPod's UpdateQOSCgroups). */
  async removePod(uid: string): Promise<void> {
    const dirs = QOS_CLASSES.flatMap((qos) => (this.mounts ?? []).map((mount) => path.join(mount, ...podCgroup(this.opts.cgroupRoot, qos, uid))));
    await Promise.all(dirs.map((dir) => this.removeTree(dir).catch((err: unknown) => {
      this.opts.logger?.warn({ cgroup: dir, err: (err as Error).message }, 'could not remove pod cgroup');
    })));
    if (this.burstable.delete(uid)) await this.updateQOS();
  }

  private hierarchies(): Promise<Hierarchy[]> {
    this.described ??= Promise.all((this.mounts ?? []).map(describeHierarchy));
    return this.described;
  }

  /** A config into one cgroup of every hierarchy that has the controllers (cpu, memory). */
  private async write(name: CgroupName, config: ResourceConfig): Promise<void> {
    await Promise.all((await this.hierarchies()).map((h) => writeResourceConfig(h, path.join(h.mount, ...name), config)));
  }

  private async writeQOS(): Promise<void> {
    const qos = qosResourceConfigs(this.burstable.values());
    await this.write(qosCgroup(this.opts.cgroupRoot, 'Burstable'), qos.burstable);
    await this.write(qosCgroup(this.opts.cgroupRoot, 'BestEffort'), qos.besteffort);
  }

  private updateQOS(): Promise<void> {
    this.qosUpdate = this.qosUpdate.then(() => this.writeQOS()).catch((err: unknown) => {
      this.opts.logger?.warn({ err: (err as Error).message }, 'failed to update QoS cgroups');
    });
    return this.qosUpdate;
  }

  /** mkdir -p in every hierarchy at once (a pod start waits on this; one at a time was ~12 × 3 mkdirs). */
  private async create(name: CgroupName): Promise<void> {
    await Promise.all((this.mounts ?? []).map((mount) => makeCgroup(mount, name)));
  }

  /** Removes a cgroup and any cgroups left inside it, deepest first (cgroups.RemovePaths); retries while busy. */
  private async removeTree(dir: string, retries = 4): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) if (e.isDirectory()) await this.removeTree(path.join(dir, e.name), retries);
    for (let attempt = 0; ; attempt++) {
      try {
        await rmdir(dir);
        return;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return;
        if (code !== 'EBUSY' || attempt >= retries) throw err;
        await new Promise((r) => setTimeout(r, this.opts.retryDelayMs ?? 100));
      }
    }
  }
}

/**
 * mkdir -p of one cgroup in one hierarchy, leaf first: the QoS parents exist after the first pod,
 * so the usual case is one mkdir. A new cpuset cgroup gets its parent's cpus and mems, or no task
 * could join it.
 */
async function makeCgroup(mount: string, name: CgroupName): Promise<void> {
  if (name.length === 0) return;
  const dir = path.join(mount, ...name);
  try {
    await mkdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT') throw err;
    await makeCgroup(mount, name.slice(0, -1));
    try {
      await mkdir(dir);
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code === 'EEXIST') return;
      throw again;
    }
  }
  // Only a v1 cpuset hierarchy needs it (under v2 an empty cpuset means the parent's).
  if (path.basename(mount).split(',').includes('cpuset')) await inheritCpuset(path.join(mount, ...name.slice(0, -1)), dir);
}

/** cpusetCopyIfNeeded: only where the files exist (the cpuset hierarchy) and the new ones are empty; both files at once. */
export async function inheritCpuset(parent: string, dir: string): Promise<void> {
  await Promise.all(['cpuset.cpus', 'cpuset.mems'].map(async (file) => {
    const mine = await readFile(path.join(dir, file), 'utf8').catch(() => undefined);
    if (mine === undefined || mine.trim() !== '') return;
    const theirs = await readFile(path.join(parent, file), 'utf8').catch(() => undefined);
    if (theirs !== undefined) await writeFile(path.join(dir, file), theirs.trim());
  }));
}
