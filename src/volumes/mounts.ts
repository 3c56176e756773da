// A container's volumeMounts as CRI mounts: paths, readOnly, subPath(Expr), mountPropagation (the kubelet's makeMounts, minus /etc/hosts).
import type { V1Container, V1VolumeMount } from '@kubernetes/client-node';
import path from 'node:path';
import type { KeyValue, Mount, MountPropagation } from '../cri/types.js';
import { VolumeError } from './errors.js';
import { expandSubPathExpr, prepareSubPath } from './subpath.js';

/** A set-up volume as a container may mount it. */
export interface MountableVolume {
  hostPath: string;
  /** The plugin's ReadOnly attribute (downwardAPI, projected): mounted read-only whatever the mount says. */
  readOnly: boolean;
}

export interface MakeMountsContext {
  /** The container's final environment, for subPathExpr; asked for only when one is used. */
  envs: () => KeyValue[];
  /** Makes a subPath inside its volume and returns its host path; default prepareSubPath (plan only describes it). */
  subPath?: (volumePath: string, subPath: string, mountName: string, containerName: string) => Promise<string>;
}

/** translateMountPropagation */
export function translateMountPropagation(mode: string | undefined): MountPropagation {
  switch (mode ?? 'None') {
    case 'None': return 'PROPAGATION_PRIVATE';
    case 'HostToContainer': return 'PROPAGATION_HOST_TO_CONTAINER';
    case 'Bidirectional': return 'PROPAGATION_BIDIRECTIONAL';
    default: throw new VolumeError(`invalid MountPropagation mode: "${mode}"`);
  }
}

/** resolveRecursiveReadOnly: whether the mount is recursively read-only, or why it cannot be. */
export function resolveRecursiveReadOnly(m: V1VolumeMount, supported: boolean): boolean {
  const mode = m.recursiveReadOnly;
  if (mode === undefined || mode === 'Disabled') return false;
  if (!m.readOnly) throw new VolumeError(`volume "${m.name}" requested recursive read-only mode, but it is not read-only`);
  if (m.mountPropagation && m.mountPropagation !== 'None') {
    throw new VolumeError(`volume "${m.name}" requested recursive read-only mode, but it is not compatible with propagation "${m.mountPropagation}"`);
  }
  if (mode === 'IfPossible') return supported;
  if (mode === 'Enabled') {
    if (!supported) throw new VolumeError(`volume "${m.name}" requested recursive read-only mode, but it is not supported by the runtime`);
    return true;
  }
  throw new VolumeError(`unknown recursive read-only mode "${mode}"`);
}

/** MakeAbsolutePath: the API allows a relative mountPath; it means the same path from /. */
export function absoluteMountPath(p: string): string {
  return path.posix.isAbsolute(p) ? p : path.posix.join('/', p);
}

/** makeMounts over container.volumeMounts, in order. */
export async function makeVolumeMounts(
  container: V1Container,
  volumes: ReadonlyMap<string, MountableVolume>,
  ctx: MakeMountsContext,
): Promise<Mount[]> {
  const mounts: Mount[] = [];
  for (const m of container.volumeMounts ?? []) {
    const vol = volumes.get(m.name);
    if (!vol) throw new VolumeError(`cannot find volume "${m.name}" to mount into container "${container.name}"`);
    const propagation = translateMountPropagation(m.mountPropagation);
    // validateMountPropagation: only a privileged container may propagate mounts back to the host.
    if (propagation === 'PROPAGATION_BIDIRECTIONAL' && container.securityContext?.privileged !== true) {
      throw new VolumeError(`volumeMount "${m.name}" of container "${container.name}": Bidirectional mount propagation is available only to privileged containers`);
    }
    // Recursive read-only needs the runtime's support (containerd 2.0, CRI Mount.recursive_read_only): Enabled is refused.
    resolveRecursiveReadOnly(m, false);
    let hostPath = vol.hostPath;
    const subPath = m.subPathExpr ? expandSubPathExpr(m.subPathExpr, ctx.envs()) : m.subPath;
    if (subPath) hostPath = await (ctx.subPath ?? prepareSubPath)(vol.hostPath, subPath, m.name, container.name);
    mounts.push({
      containerPath: absoluteMountPath(m.mountPath),
      hostPath,
      readonly: m.readOnly === true || vol.readOnly,
      propagation,
    });
  }
  return mounts;
}
