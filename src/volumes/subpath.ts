// subPath and subPathExpr: a path inside a volume, created when missing, never reaching outside it (kubelet_pods.go makeMounts, subpath.SafeMakeDir).
import { chmod, lstat, mkdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { KeyValue } from '../cri/types.js';
import { expand } from '../podworker/translate/expansion.js';
import { VolumeError } from './errors.js';
import { isUnder } from './mounter.js';

/** kubecontainer.ExpandContainerVolumeMounts: $(VAR) from the container's environment; an unset or empty VAR is an error. */
export function expandSubPathExpr(expr: string, envs: KeyValue[]): string {
  const env = new Map(envs.map((e) => [e.key, e.value]));
  const missing = new Set<string>();
  const out = expand(expr, (name) => {
    const v = env.get(name);
    if (!v) missing.add(name);
    return v ?? '';
  });
  if (missing.size > 0) throw new VolumeError(`subPathExpr "${expr}": missing value for ${[...missing].sort().join(', ')}`);
  return out;
}

/** makeMounts' checks of a subPath as written: relative, and no '..' step. */
export function checkSubPath(subPath: string): void {
  if (path.isAbsolute(subPath)) throw new VolumeError(`error SubPath \`${subPath}\` must not be an absolute path`);
  if (subPath.split('/').includes('..')) throw new VolumeError(`unable to provision SubPath \`${subPath}\`: must not contain '..'`);
}

/**
 * makeMounts' subPath steps: refuse an absolute path or a '..' step, then walk the path inside
 * the volume component by component, creating missing directories with the volume's own mode
 * (SafeMakeDir) and following existing symlinks only while they stay inside the volume. Returns
 * the resolved host path, so the runtime never follows a link itself. (The kubelet also
 * bind-mounts the result to close the race with a container swapping a directory for a link
 * between this check and the mount; mini-kubelet does not.)
 */
export async function prepareSubPath(volumePath: string, subPath: string, mountName: string, containerName: string): Promise<string> {
  checkSubPath(subPath);
  const fail = (why: string) =>
    new VolumeError(`failed to prepare subPath for volumeMount "${mountName}" of container "${containerName}": ${why}`);
  const base = await realpath(volumePath).catch(() => {
    throw fail(`the volume's path does not exist`);
  });
  const perm = (await stat(base)).mode & 0o7777;
  let current = base;
  for (const part of subPath.split('/').filter((p) => p !== '' && p !== '.')) {
    const next = path.join(current, part);
    let resolved: string;
    try {
      resolved = await realpath(next);
    } catch {
      // Nothing there, or a dangling link: create a directory, but never through a link.
      if (await lstat(next).then(() => true, () => false)) throw fail(`subPath "${subPath}" holds a symlink that resolves nowhere`);
      await mkdir(next, { mode: perm });
      await chmod(next, perm);
      resolved = next;
    }
    if (!isUnder(base, resolved)) throw fail(`subPath "${subPath}" resolves outside the volume`);
    current = resolved;
  }
  return current;
}
