// The static pod source: a directory of manifests (--pod-manifest-path), watched with inotify and re-listed periodically (kubelet: config/file.go, file_linux.go).
//
// Every pass reads the whole directory and emits the FULL set (a SourceSnapshot), as the kubelet's
// file source sends SET updates: podconfig does the diffing. fs.watch makes changes quick, the
// periodic re-list makes them certain (a watch can miss events; editors rename files into place).
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { FILE_SOURCE } from './annotations.js';
import { stampFirstSeen } from './identity.js';
import { parseManifest } from './manifest.js';
import type { Clock, ManifestError, PodSource, SourceLogger, SourceSnapshot } from './types.js';

export interface FileSourceOptions {
  /** A directory of manifests, or a single manifest file (the kubelet accepts both). */
  manifestDir: string;
  /** Already lowercased. */
  nodeName: string;
  /** The kubelet's --file-check-frequency, 20s by default. */
  checkFrequencyMs?: number;
  /** How long a burst of watch events is gathered before one re-list. */
  debounceMs?: number;
  clock?: Clock;
  logger: SourceLogger;
}

const systemClock: Clock = { now: () => Date.now() };

/** The manifest files of a directory: regular files (symlinks followed), not dot-files, not subdirectories, sorted (extractFromDir). */
async function listManifestFiles(dir: string, logger: SourceLogger): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => !n.startsWith('.')).sort();
  const files: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    try {
      const st = await stat(path);
      if (st.isFile()) files.push(path);
      else if (st.isDirectory()) logger.debug({ path }, 'not recursing into manifest path');
      else logger.warn({ path }, 'manifest path is not a regular file; ignoring');
    } catch (err) {
      // Removed between readdir and stat, or a dangling symlink: just not there this pass.
      logger.debug({ path, err: String(err) }, 'cannot stat manifest path');
    }
  }
  return files;
}

export function createFileSource(opts: FileSourceOptions): PodSource {
  const { manifestDir, nodeName, logger } = opts;
  const clock = opts.clock ?? systemClock;
  const checkFrequencyMs = opts.checkFrequencyMs ?? 20_000;
  const debounceMs = opts.debounceMs ?? 100;

  let onSnapshot: ((s: SourceSnapshot) => void) | undefined;
  let watcher: FSWatcher | undefined;
  /** The inode the watch is on: a path deleted and made again needs a new watch. */
  let watchedIno: number | undefined;
  let ticker: NodeJS.Timeout | undefined;
  let debounce: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let missingLogged = false;
  let lastEmitted: string | undefined;
  /** UID → first time seen; pruned when the UID goes away, so a returning pod is seen anew. */
  const firstSeen = new Map<string, number>();
  let loggedErrors = new Set<string>();

  async function readAll(): Promise<{ pods: V1Pod[]; errors: ManifestError[] } | undefined> {
    let st;
    try {
      st = await stat(manifestDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      closeWatch();
      // resetStoreFromPath: a missing path is no error; an empty set lets the source count as seen.
      if (!missingLogged) logger.warn({ path: manifestDir }, 'manifest path does not exist; watching for it');
      missingLogged = true;
      return { pods: [], errors: [] };
    }
    if (missingLogged) logger.info({ path: manifestDir }, 'manifest path appeared');
    missingLogged = false;
    if (st.ino !== watchedIno) {
      closeWatch();
      armWatch(st.ino);
    }
    const files = st.isDirectory() ? await listManifestFiles(manifestDir, logger) : [manifestDir];
    const pods: V1Pod[] = [];
    const errors: ManifestError[] = [];
    for (const path of files) {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        errors.push({ source: FILE_SOURCE, path, message: `cannot read: ${String(err)}` });
        continue;
      }
      const parsed = parseManifest(text, { path, nodeName });
      pods.push(...parsed.pods);
      errors.push(...parsed.errors);
    }
    return { pods, errors };
  }

  function stamp(pods: V1Pod[]): V1Pod[] {
    const now = clock.now();
    const live = new Set<string>();
    for (const pod of pods) {
      const uid = pod.metadata!.uid!;
      live.add(uid);
      if (!firstSeen.has(uid)) firstSeen.set(uid, now);
      stampFirstSeen(pod, firstSeen.get(uid)!);
    }
    for (const uid of firstSeen.keys()) if (!live.has(uid)) firstSeen.delete(uid);
    return pods;
  }

  function logNewErrors(errors: ManifestError[]): void {
    const current = new Set(errors.map((e) => `${e.path}\u0000${e.message}`));
    for (const e of errors) {
      if (!loggedErrors.has(`${e.path}\u0000${e.message}`)) logger.warn({ path: e.path, pod: e.podName, error: e.message }, 'rejected manifest');
    }
    loggedErrors = current;
  }

  async function relist(): Promise<void> {
    const result = await readAll();
    if (!result || stopped) return;
    const snapshot: SourceSnapshot = { source: FILE_SOURCE, pods: stamp(result.pods), errors: result.errors };
    logNewErrors(result.errors);
    // Only changes are news; an unchanged re-list would just make podconfig diff to nothing.
    const key = JSON.stringify(snapshot);
    if (key === lastEmitted) return;
    lastEmitted = key;
    onSnapshot?.(snapshot);
  }

  /** One re-list at a time; a request during one runs once more after it. */
  function resync(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await relist();
        } catch (err) {
          logger.error({ path: manifestDir, err: String(err) }, 'unable to read manifest path');
        }
      } while (again && !stopped);
      running = undefined;
    })();
    return running;
  }

  function schedule(): void {
    if (stopped) return;
    clearTimeout(debounce);
    debounce = setTimeout(() => void resync(), debounceMs);
  }

  function closeWatch(): void {
    watcher?.close();
    watcher = undefined;
    watchedIno = undefined;
  }

  /** Arms the watch on the path as it is now; if that fails, the periodic re-list tries again. */
  function armWatch(ino: number): void {
    if (stopped) return;
    try {
      watcher = watch(manifestDir, { persistent: false }, () => schedule());
      watchedIno = ino;
      watcher.on('error', (err) => {
        // The path went away or was replaced: drop the dead watch and look again.
        logger.debug({ path: manifestDir, err: String(err) }, 'manifest watch ended');
        closeWatch();
        schedule();
      });
    } catch (err) {
      logger.debug({ path: manifestDir, err: String(err) }, 'cannot watch manifest path; relying on re-lists');
    }
  }

  return {
    name: FILE_SOURCE,
    async start(cb) {
      onSnapshot = cb;
      stopped = false;
      await resync();
      ticker = setInterval(() => void resync(), checkFrequencyMs);
    },
    async stop() {
      stopped = true;
      clearInterval(ticker);
      clearTimeout(debounce);
      closeWatch();
      await running;
      closeWatch();
    },
  };
}
