// The file side of container log rotation: a log's rotated files, gzip through a .tmp, and every file of a container's log (for its removal).
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { COMPRESS_SUFFIX, TMP_SUFFIX } from './rotation.js';

/** The entries next to `log` whose names start with `prefix`, as full paths; none when the directory is gone. */
async function siblings(log: string, prefix: string, keep: (e: { isFile(): boolean; isDirectory(): boolean }) => boolean): Promise<string[]> {
  const dir = path.dirname(log);
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.name.startsWith(prefix) && keep(e)).map((e) => path.join(dir, e.name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/**
 * kubelet's `<log>.*` glob: the rotated, compressed and half-compressed files of one live log.
 * Regular files only: rotation reads and renames them, and must not follow a link elsewhere.
 */
export function rotatedLogFiles(log: string): Promise<string[]> {
  return siblings(log, `${path.basename(log)}.`, (e) => e.isFile());
}

/**
 * kubelet containerLogManager.Clean's `<log>*` glob: the live log and all its rotated files.
 * Links are included (removing one removes the link, not what it points at); directories are not.
 */
export function allContainerLogFiles(log: string): Promise<string[]> {
  return siblings(log, path.basename(log), (e) => !e.isDirectory());
}

/** True when file lies strictly inside dir (the runtime reports log paths; they are not trusted outside --pod-logs-dir). */
export function isUnderDir(dir: string, file: string): boolean {
  const rel = path.relative(path.resolve(dir), path.resolve(file));
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/**
 * kubelet compressLog: gzip `file` into <file>.tmp with the file's mode, rename that to
 * <file>.gz, then remove `file`. A failure leaves no .tmp behind (and a crash's .tmp is removed
 * by the next rotation's plan); the original stays until its .gz is complete.
 */
export async function compressLogFile(file: string): Promise<string> {
  const { mode } = await stat(file);
  const tmp = file + TMP_SUFFIX;
  const gz = file + COMPRESS_SUFFIX;
  try {
    await pipeline(createReadStream(file), createGzip(), createWriteStream(tmp, { mode: mode & 0o777 }));
    await rename(tmp, gz);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  await rm(file, { force: true });
  return gz;
}

/** Removes files in order; one already gone is fine. */
export async function removeFiles(files: readonly string[]): Promise<void> {
  for (const f of files) await rm(f, { force: true });
}
