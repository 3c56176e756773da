// The pod's user and group on its volumes' files: fsGroup and group read (the kubelet's SetVolumeOwnership), and the FsUser a token file belongs to.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { chmod, lchown, lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

const RW_MASK = 0o660;
const RO_MASK = 0o440;
const EXEC_MASK = 0o110;
const SETGID = 0o2000;

/**
 * volume.SetVolumeOwnership / changeFilePermission: every file and directory under dir gets group
 * fsGroup and group read (+write unless the volume is read-only); directories also get group
 * search and the setgid bit, so files created later inherit the group. Symlinks are left alone.
 */
export async function setVolumeOwnership(dir: string, fsGroup: number | undefined, readOnly: boolean): Promise<void> {
  if (fsGroup === undefined || fsGroup === null) return;
  const walk = async (p: string): Promise<void> => {
    const st = await lstat(p);
    if (st.isSymbolicLink()) return;
    await lchown(p, st.uid, fsGroup);
    let mask = readOnly ? RO_MASK : RW_MASK;
    if (st.isDirectory()) mask |= SETGID | EXEC_MASK;
    await chmod(p, (st.mode & 0o7777) | mask);
    if (st.isDirectory()) for (const entry of await readdir(p)) await walk(path.join(p, entry));
  };
  await walk(dir);
}

/**
 * util.FsUserFrom: the user every init, regular and ephemeral container runs as (its runAsUser,
 * else the pod's), when they all have one and it is the same; undefined otherwise.
 */
export function fsUserFrom(pod: V1Pod): number | undefined {
  const spec = pod.spec;
  let fsUser: number | undefined;
  const all = [...(spec?.initContainers ?? []), ...(spec?.containers ?? []), ...((spec?.ephemeralContainers ?? []) as V1Container[])];
  for (const c of all) {
    const user = c.securityContext?.runAsUser ?? spec?.securityContext?.runAsUser;
    if (user === undefined || user === null || (fsUser !== undefined && fsUser !== user)) return undefined;
    fsUser = user;
  }
  return fsUser;
}
