// Makes the kubepods QoS hierarchy and per-pod cgroups on the host's cgroupfs, and removes a pod's cgroups after teardown.
//
// What we do, and what the kubelet does besides (our departure): we only CREATE the directories
// (<cgroup-root>/kubepods, .../burstable, .../besteffort, and .../pod<uid> before the pod's
// sandbox) in every mounted hierarchy, and remove the pod's after its sandbox is gone. We write no
// limits into them: the kubelet also sets kubepods' cpu.shares and memory limit to the node's
// allocatable, burstable's cpu.shares to the sum of its pods' requests, besteffort's to 2, and
// each pod cgroup's shares, quota and memory limit from the pod (ResourceConfigForPod). Container
// limits are still enforced: the runtime writes them into each container's own cgroup.
import type { V1Pod } from '@kubernetes/client-node';
import { mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { getPodQOS, type QOSClass } from '../status/qos.js';
import { podCgroup, qosHierarchy, type CgroupName } from './cgroups.js';

/** What the pod workers need from the cgroup manager (kubelet: PodContainerManager). */
export interface PodCgroups {
  /** Creates the pod's cgroup (below its QoS class's) in every hierarchy; before its sandbox. */
  ensurePod(pod: V1Pod): Promise<void>;
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

  constructor(private readonly opts: CgroupfsOptions) {
    this.mounts = opts.mounts;
  }

  /**
   * qosContainerManager.Start, directories only: <cgroup-root>/kubepods{,/burstable,/besteffort}.
   * Then a sweep of idle pod cgroups left by an agent that died (kubelet: cleanupOrphanedPodCgroups).
   */
  async start(): Promise<void> {
    this.mounts ??= cgroupMounts(await readFile('/proc/self/mountinfo', 'utf8'));
    if (this.mounts.length === 0) throw new Error('no cgroup hierarchy is mounted (looked in /proc/self/mountinfo)');
    for (const name of qosHierarchy(this.opts.cgroupRoot)) await this.create(name);
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

  async ensurePod(pod: V1Pod): Promise<void> {
    await this.create(podCgroup(this.opts.cgroupRoot, getPodQOS(pod), pod.metadata!.uid!));
  }

  async removePod(uid: string): Promise<void> {
    const dirs = QOS_CLASSES.flatMap((qos) => (this.mounts ?? []).map((mount) => path.join(mount, ...podCgroup(this.opts.cgroupRoot, qos, uid))));
    await Promise.all(dirs.map((dir) => this.removeTree(dir).catch((err: unknown) => {
      this.opts.logger?.warn({ cgroup: dir, err: (err as Error).message }, 'could not remove pod cgroup');
    })));
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

/** cpusetCopyIfNeeded: only where the files exist (the cpuset hierarchy) and the new ones are empty. */
export async function inheritCpuset(parent: string, dir: string): Promise<void> {
  for (const file of ['cpuset.cpus', 'cpuset.mems']) {
    const mine = await readFile(path.join(dir, file), 'utf8').catch(() => undefined);
    if (mine === undefined || mine.trim() !== '') continue;
    const theirs = await readFile(path.join(parent, file), 'utf8').catch(() => undefined);
    if (theirs !== undefined) await writeFile(path.join(dir, file), theirs.trim());
  }
}
