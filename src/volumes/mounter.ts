// Host mounts the volume code makes (tmpfs) and reads back (/proc/self/mountinfo): the kubelet's mount.Interface, in small.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface MountPoint {
  mountPoint: string;
  fsType: string;
  /** The filesystem's own options (for tmpfs: size=..., mode=...). */
  superOptions: string[];
}

/** What the volume code needs from the host's mount table; tests pass a fake. */
export interface Mounter {
  /** mount -t tmpfs -o OPTIONS tmpfs DIR (the agent runs as root). */
  mountTmpfs(dir: string, options: string[]): Promise<void>;
  unmount(dir: string): Promise<void>;
  /** Every mount point at or below dir, as /proc/self/mountinfo lists them. */
  mountsUnder(dir: string): Promise<MountPoint[]>;
}

/** mountinfo escapes space, tab, newline and backslash as octal (\040 ...). */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parses /proc/<pid>/mountinfo (proc(5)): "id parent maj:min root mountpoint opts [optional...] - fstype source superopts". */
export function parseMountInfo(text: string): MountPoint[] {
  const out: MountPoint[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    const sep = fields.indexOf('-');
    if (fields.length < 7 || sep < 6) continue;
    out.push({
      mountPoint: unescape(fields[4]!),
      fsType: fields[sep + 1] ?? '',
      superOptions: (fields[sep + 3] ?? '').split(',').filter(Boolean),
    });
  }
  return out;
}

export function isUnder(dir: string, p: string): boolean {
  const base = path.resolve(dir);
  return p === base || p.startsWith(base.endsWith(path.sep) ? base : base + path.sep);
}

export class SystemMounter implements Mounter {
  async mountTmpfs(dir: string, options: string[]): Promise<void> {
    const args = ['-t', 'tmpfs', ...(options.length ? ['-o', options.join(',')] : []), 'tmpfs', dir];
    await run('mount', args).catch((err: { stderr?: string; message: string }) => {
      throw new Error(`mount ${args.join(' ')} failed: ${(err.stderr || err.message).trim()}`);
    });
  }

  async unmount(dir: string): Promise<void> {
    await run('umount', [dir]).catch((err: { stderr?: string; message: string }) => {
      throw new Error(`umount ${dir} failed: ${(err.stderr || err.message).trim()}`);
    });
  }

  async mountsUnder(dir: string): Promise<MountPoint[]> {
    const all = parseMountInfo(await readFile('/proc/self/mountinfo', 'utf8'));
    return all.filter((m) => isUnder(dir, m.mountPoint));
  }
}
