// Lists the manifest files of a directory and reads one of them, never more than MAX_MANIFEST_BYTES (kubelet: config/file.go extractFromDir, extractFromFile).
import { createHash } from 'node:crypto';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SourceLogger } from './types.js';

/**
 * The largest manifest file read: 1.5 MiB, etcd's default request limit (--max-request-bytes),
 * so no Pod stored in a cluster is larger. The kubelet reads a file whatever its size; here a
 * larger file is reported as too large and not read, so a log or a disk image dropped in the
 * directory costs a stat, not its size in memory. (A --manifest-url body has the kubelet's own
 * 10 MiB limit, see http-source.ts.)
 */
export const MAX_MANIFEST_BYTES = 1536 * 1024;

/**
 * A file's bytes and their digest, or that it is over the limit (then it was not read), or that
 * it is unchanged since the read that gave `stamp`. The stamp is the inode, size, modification
 * and change times: a file rewritten in place changes its ctime, which no one can set back.
 */
export type ManifestFile = ({ text: string; digest: string } | { tooLarge: true } | { unchanged: true }) & { stamp: string };

export const TOO_LARGE_MESSAGE = `file is too large: a manifest may have at most ${MAX_MANIFEST_BYTES} bytes (1.5 MiB); not read`;

/**
 * Reads at most MAX_MANIFEST_BYTES: the size is checked first, and the read stops one byte past
 * the limit, so a file that grows between the two is still not read whole. A file whose stamp is
 * `known` is not read again: the periodic re-list would otherwise read and hash every file, and
 * a megabyte of garbage per file and period only goes at the next full collection.
 */
export async function readManifestFile(path: string, known?: string): Promise<ManifestFile> {
  const fh = await open(path, 'r');
  try {
    const st = await fh.stat({ bigint: true });
    const stamp = `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    if (stamp === known) return { unchanged: true, stamp };
    const size = Number(st.size);
    if (size > MAX_MANIFEST_BYTES) return { tooLarge: true, stamp };
    // Sized by the stat, one byte more to see growth; grown (never past the limit) if the file grew.
    let buf = Buffer.allocUnsafe(size + 1);
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        if (n > MAX_MANIFEST_BYTES) return { tooLarge: true, stamp };
        const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, MAX_MANIFEST_BYTES + 1));
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    const bytes = buf.subarray(0, n);
    // The digest, not the text, is what later passes compare, so no copy of a file is kept for that.
    return { text: bytes.toString('utf8'), digest: createHash('sha256').update(bytes).digest('hex'), stamp };
  } finally {
    await fh.close();
  }
}

/**
 * The manifest files of a directory: regular files (symlinks followed), not dot-files, not
 * subdirectories, sorted (extractFromDir). The entry types come with the listing; only symlinks
 * (and the rare filesystem that gives no type) cost a stat.
 */
export async function listManifestFiles(dir: string, logger: SourceLogger): Promise<string[]> {
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.'));
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isFile()) {
      files.push(path);
      continue;
    }
    try {
      const st = entry.isDirectory() ? undefined : await stat(path);
      if (st?.isFile()) files.push(path);
      else if (!st || st.isDirectory()) logger.debug({ path }, 'not recursing into manifest path');
      else logger.warn({ path }, 'manifest path is not a regular file; ignoring');
    } catch (err) {
      // Removed between readdir and stat, or a dangling symlink: just not there this pass.
      logger.debug({ path, err: String(err) }, 'cannot stat manifest path');
    }
  }
  return files;
}
