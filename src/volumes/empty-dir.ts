// emptyDir volumes: a directory per pod on disk, or a tmpfs for medium Memory, set up once per pod (the kubelet's emptydir plugin).
import type { V1Container, V1Pod, V1Volume } from '@kubernetes/client-node';
import { chmod, mkdir, realpath, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { value } from '../podworker/translate/quantity.js';
import { VolumeError } from './errors.js';
import { EMPTY_DIR_PLUGIN, pluginDir, volumeDir } from './layout.js';
import type { Mounter } from './mounter.js';
import { setVolumeOwnership } from './ownership.js';

/** emptydir defaultPerm: everyone may write, whatever user the containers run as. */
const DEFAULT_PERM = 0o777;

export interface EmptyDirContext {
  rootDir: string;
  mounter: Mounter;
  /** The node's allocatable memory in bytes: a tmpfs emptyDir never gets more. */
  nodeAllocatableMemory?: number;
}

const exists = (p: string) => stat(p).then(() => true, () => false);

/** ResourceConfigForPod's memory limit: only when every container has one (sidecars add up, init containers take the max). */
export function podMemoryLimit(pod: V1Pod): number | undefined {
  const init = pod.spec?.initContainers ?? [];
  const regular = pod.spec?.containers ?? [];
  const limit = (c: V1Container) => value(c.resources?.limits?.memory);
  if ([...init, ...regular].some((c) => limit(c) === 0)) return undefined;
  let sidecars = 0;
  let initMax = 0;
  for (const c of init) {
    if (c.restartPolicy === 'Always') sidecars += limit(c);
    else initMax = Math.max(initMax, limit(c) + sidecars);
  }
  return Math.max(regular.reduce((sum, c) => sum + limit(c), 0) + sidecars, initMax);
}

/**
 * calculateEmptyDirMemorySize: the tmpfs size is the smallest positive of the node's allocatable
 * memory, the pod's memory limit and the volume's sizeLimit. Undefined: no size option (the
 * kernel's default, half of RAM).
 */
export function tmpfsSizeBytes(pod: V1Pod, volume: V1Volume, nodeAllocatableMemory?: number): number | undefined {
  let size = nodeAllocatableMemory;
  const fits = (q: number | undefined): q is number => q !== undefined && q > 0 && (size === undefined || q <= size);
  const podLimit = podMemoryLimit(pod);
  if (fits(podLimit)) size = podLimit;
  const sizeLimit = volume.emptyDir?.sizeLimit === undefined ? undefined : value(volume.emptyDir.sizeLimit);
  if (fits(sizeLimit)) size = sizeLimit;
  return size;
}

export async function isTmpfsMount(dir: string, mounter: Mounter): Promise<boolean> {
  const real = await realpath(dir).catch(() => undefined);
  if (!real) return false;
  return (await mounter.mountsUnder(real)).some((m) => m.mountPoint === real && m.fsType === 'tmpfs');
}

/** setupDir: 0777 whatever the agent's umask; the parents keep the default mode. */
async function setupDir(dir: string): Promise<void> {
  await mkdir(path.dirname(dir), { recursive: true });
  await mkdir(dir, { recursive: true, mode: DEFAULT_PERM });
  if (((await stat(dir)).mode & 0o777) !== DEFAULT_PERM) await chmod(dir, DEFAULT_PERM);
}

/**
 * emptyDir.SetUpAt. A volume already set up (its ready marker, and for Memory the tmpfs still
 * mounted) is left as it is: its files outlive container restarts, and fsGroup is applied once.
 */
export async function setUpEmptyDir(pod: V1Pod, volume: V1Volume, ctx: EmptyDirContext): Promise<string> {
  const uid = pod.metadata!.uid!;
  const dir = volumeDir(ctx.rootDir, uid, EMPTY_DIR_PLUGIN, volume.name);
  const ready = path.join(pluginDir(ctx.rootDir, uid, EMPTY_DIR_PLUGIN, volume.name), 'ready');
  const medium = volume.emptyDir?.medium ?? '';
  if (medium !== '' && medium !== 'Memory') {
    if (medium.startsWith('HugePages')) throw new VolumeError(`emptyDir medium "${medium}" is not supported by mini-kubelet`);
    throw new VolumeError(`unknown storage medium "${medium}"`);
  }
  if (await exists(ready)) {
    if (medium === 'Memory' ? await isTmpfsMount(dir, ctx.mounter) : await exists(dir)) return dir;
  }
  await setupDir(dir);
  if (medium === 'Memory' && !(await isTmpfsMount(dir, ctx.mounter))) {
    const size = tmpfsSizeBytes(pod, volume, ctx.nodeAllocatableMemory);
    await ctx.mounter.mountTmpfs(dir, size === undefined ? [] : [`size=${size}`]);
  }
  await setVolumeOwnership(dir, pod.spec?.securityContext?.fsGroup, false);
  await mkdir(path.dirname(ready), { recursive: true });
  await writeFile(ready, '');
  return dir;
}

/**
 * The memory-backed emptyDir the secret and projected plugins wrap (NewWrapperMounter with
 * medium Memory): a tmpfs at the volume's own directory, sized as a Memory emptyDir without a
 * sizeLimit, so secrets and tokens never touch the node's disk. Mounted once; a tmpfs already
 * there is kept.
 */
export async function mountMemoryWrapper(pod: V1Pod, dir: string, mounter: Mounter, nodeAllocatableMemory?: number): Promise<void> {
  await setupDir(dir);
  if (await isTmpfsMount(dir, mounter)) return;
  const size = tmpfsSizeBytes(pod, { name: 'wrapped', emptyDir: { medium: 'Memory' } }, nodeAllocatableMemory);
  await mounter.mountTmpfs(dir, size === undefined ? [] : [`size=${size}`]);
}
