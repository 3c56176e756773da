// Writes a volume's files so a reader never sees a half-updated set (the kubelet's AtomicWriter: a timestamped dir behind a ..data symlink).
//
//   <dir>/..2024_05_01_10_00_00.123456789/labels   the payload, written whole
//   <dir>/..data -> ..2024_05_01_10_00_00.123456789 swapped by rename(2), which is atomic
//   <dir>/labels -> ..data/labels                    what the container sees
import { chmod, lchown, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { VolumeError } from './errors.js';

export interface FileProjection {
  /** Text, or bytes (a ConfigMap's binaryData). */
  data: string | Uint8Array;
  /** Permission bits, e.g. 0o644. */
  mode: number;
  /** The file's owner (a service-account token for a pod whose containers all run as one user). */
  fsUser?: number;
}

const DATA_DIR = '..data';
const DATA_TMP = '..data_tmp';

/** validatePayload: relative, no '..' step, not starting with '..' (reserved for the writer's own names). */
function validatePath(p: string): void {
  if (p === '') throw new VolumeError('invalid path: must not be empty');
  if (path.isAbsolute(p)) throw new VolumeError(`invalid path: "${p}" must be relative`);
  if (p.split('/').includes('..')) throw new VolumeError(`invalid path: "${p}" must not contain '..'`);
  if (p.startsWith('..')) throw new VolumeError(`invalid path: "${p}" must not start with '..'`);
}

/** Files under dir, relative, recursively. */
async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = path.join(prefix, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else out.push(rel);
  }
  return out;
}

/** shouldWritePayload / shouldWriteFile: a file added, removed or changed in content (modes cannot change within a pod). */
async function differs(current: string, payload: Map<string, FileProjection>): Promise<boolean> {
  const files = await listFiles(current).catch(() => undefined);
  if (!files || files.length !== payload.size) return true;
  for (const [p, f] of payload) {
    const same = await readFile(path.join(current, p)).then((data) => data.equals(Buffer.from(f.data)), () => false);
    if (!same) return true;
  }
  return false;
}

/** Whether the writer has written dir before (its ..data link is there): the volume was set up once. */
export async function hasPayload(dir: string): Promise<boolean> {
  return lstat(path.join(dir, DATA_DIR)).then(() => true, () => false);
}

/** "..2006_01_02_15_04_05." in UTC, as the kubelet names its timestamped directories. */
function timestampPrefix(now: number): string {
  const iso = new Date(now).toISOString(); // 2006-01-02T15:04:05.000Z
  return `..${iso.slice(0, 19).replace(/[-T:]/g, '_')}.`;
}

/**
 * AtomicWriter.Write. Returns whether anything was written. setPerms runs on the new files before
 * they become visible (the kubelet applies fsGroup there).
 */
export async function writeAtomically(
  dir: string,
  payload: Map<string, FileProjection>,
  opts: { now: number; setPerms?: (dir: string) => Promise<void> },
): Promise<boolean> {
  for (const p of payload.keys()) validatePath(p);
  await mkdir(dir, { recursive: true });
  const old = await readlink(path.join(dir, DATA_DIR)).catch(() => undefined);
  if (old !== undefined && !(await differs(path.join(dir, old), payload))) return false;

  const ts = await mkdtemp(path.join(dir, timestampPrefix(opts.now)));
  await chmod(ts, 0o755);
  for (const [p, f] of payload) {
    const full = path.join(ts, p);
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, f.data, { mode: f.mode });
    await chmod(full, f.mode); // the umask may have taken bits away
    if (f.fsUser !== undefined) await lchown(full, f.fsUser, -1);
  }
  await opts.setPerms?.(ts);

  await rm(path.join(dir, DATA_TMP), { force: true });
  await symlink(path.basename(ts), path.join(dir, DATA_TMP));
  await rename(path.join(dir, DATA_TMP), path.join(dir, DATA_DIR));

  // createUserVisibleFiles / removeUserVisiblePaths: one link per top-level name, stale ones go.
  const visible = new Set([...payload.keys()].map((p) => p.split('/')[0]!));
  for (const name of visible) {
    const link = path.join(dir, name);
    if (!(await lstat(link).then(() => true, () => false))) await symlink(path.join(DATA_DIR, name), link);
  }
  for (const name of await readdir(dir)) {
    if (!name.startsWith('..') && !visible.has(name)) await rm(path.join(dir, name), { recursive: true, force: true });
  }
  if (old !== undefined && old !== path.basename(ts)) await rm(path.join(dir, old), { recursive: true, force: true });
  return true;
}
