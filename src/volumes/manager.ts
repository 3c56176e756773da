// Prepares a pod's directories and volumes on the host and turns volumeMounts into CRI mounts (the kubelet's volume manager and makeMounts, in small).
//
// Layout, as the kubelet's under its --root-dir:
//   <rootDir>/pods/<uid>/volumes/kubernetes.io~empty-dir/<volume>
//   <rootDir>/pods/<uid>/containers/<container>/<restartCount>.termination-log
import type { V1Container, V1Pod, V1Volume } from '@kubernetes/client-node';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Mount } from '../cri/types.js';

/** A volume or mount that cannot be set up; the executor reports it as CreateContainerConfigError. */
export class VolumeError extends Error {
  override readonly name = 'VolumeError';
}

export interface VolumeManager {
  /** Everything the pod's containers mount, made ready before any container is created. */
  setUpPod(pod: V1Pod): Promise<void>;
  /** The CRI mounts for one container instance (volumeMounts plus its termination-message file). */
  mountsFor(pod: V1Pod, container: V1Container, restartCount: number): Promise<Mount[]>;
  /** The host file mounted at the container's terminationMessagePath, if any. */
  terminationMessageHostPath(pod: V1Pod, container: V1Container, restartCount: number): string | undefined;
  /** Removes the pod's directory and every volume in it. */
  tearDownPod(uid: string): Promise<void>;
}

export class HostVolumeManager implements VolumeManager {
  constructor(private readonly rootDir: string) {}

  podDir(uid: string): string {
    return path.join(this.rootDir, 'pods', uid);
  }

  async setUpPod(pod: V1Pod): Promise<void> {
    for (const v of pod.spec?.volumes ?? []) await this.setUpVolume(pod, v);
  }

  async mountsFor(pod: V1Pod, container: V1Container, restartCount: number): Promise<Mount[]> {
    const mounts: Mount[] = [];
    const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
    for (const vm of container.volumeMounts ?? []) {
      const v = volumes.get(vm.name);
      if (!v) throw new VolumeError(`cannot find volume "${vm.name}" to mount into container "${container.name}"`);
      let hostPath = this.hostPathOf(pod, v);
      if (vm.subPath) hostPath = safeJoin(hostPath, vm.subPath, vm.name);
      mounts.push({
        containerPath: vm.mountPath,
        hostPath,
        readonly: vm.readOnly ?? false,
        propagation: propagationOf(vm.mountPropagation),
      });
    }
    const tm = this.terminationMessageHostPath(pod, container, restartCount);
    if (tm) {
      await mkdir(path.dirname(tm), { recursive: true });
      await writeFile(tm, '', { mode: 0o666 });
      mounts.push({ containerPath: container.terminationMessagePath!, hostPath: tm, readonly: false });
    }
    return mounts;
  }

  terminationMessageHostPath(pod: V1Pod, container: V1Container, restartCount: number): string | undefined {
    if (!container.terminationMessagePath) return undefined;
    return path.join(this.podDir(pod.metadata!.uid!), 'containers', container.name, `${restartCount}.termination-log`);
  }

  async tearDownPod(uid: string): Promise<void> {
    await rm(this.podDir(uid), { recursive: true, force: true });
  }

  private hostPathOf(pod: V1Pod, v: V1Volume): string {
    if (v.hostPath) return v.hostPath.path;
    if (v.emptyDir) return path.join(this.podDir(pod.metadata!.uid!), 'volumes', 'kubernetes.io~empty-dir', v.name);
    throw new VolumeError(`volume "${v.name}": this volume type is not supported by mini-kubelet yet`);
  }

  private async setUpVolume(pod: V1Pod, v: V1Volume): Promise<void> {
    if (v.emptyDir) await mkdir(this.hostPathOf(pod, v), { recursive: true, mode: 0o777 });
    else if (v.hostPath?.type === 'DirectoryOrCreate') await mkdir(v.hostPath.path, { recursive: true, mode: 0o755 });
    else if (!v.hostPath) this.hostPathOf(pod, v); // throws for unsupported types
  }
}

/** Joins a subPath under a volume, refusing one that escapes it (kubelet: subpath checks). */
function safeJoin(base: string, sub: string, volume: string): string {
  const joined = path.resolve(base, sub);
  if (path.isAbsolute(sub) || (joined !== base && !joined.startsWith(base + path.sep))) {
    throw new VolumeError(`subPath "${sub}" of volume "${volume}" must not escape the volume`);
  }
  return joined;
}

function propagationOf(p: string | undefined): Mount['propagation'] {
  if (p === 'HostToContainer') return 'PROPAGATION_HOST_TO_CONTAINER';
  if (p === 'Bidirectional') return 'PROPAGATION_BIDIRECTIONAL';
  return 'PROPAGATION_PRIVATE';
}
