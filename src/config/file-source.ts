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
import { firstSeenStamper } from './first-seen.js';
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

/** Why a pass runs: a watch event (keep a file's last good version) or the periodic re-list (the file as it is). */
type Trigger = 'watch' | 'relist';

interface Parsed { text: string; pods: V1Pod[]; errors: ManifestError[] }

const systemClock: Clock = { now: () => Date.now() };

/**
 * The manifest files of a directory: regular files (symlinks followed), not dot-files, not
 * subdirectories, sorted (extractFromDir). The entry types come with the listing; only symlinks
 * (and the rare filesystem that gives no type) cost a stat.
 */
async function listManifestFiles(dir: string, logger: SourceLogger): Promise<string[]> {
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
  let pendingTrigger: Trigger | undefined;
  /** Paths the watch reported since the last pass ('all': read everything). */
  let dirty: Set<string> | 'all' = 'all';
  let stopped = false;
  let missingLogged = false;
  let lastEmitted: string | undefined;
  /** config.seen and creationTimestamp: the time each UID was first read. */
  const stamp = firstSeenStamper(clock);
  let loggedErrors = new Set<string>();
  /** The last parse of each file, by path, so unchanged text is not parsed again. */
  const parsedByPath = new Map<string, Parsed>();
  /** The last parse of each file that had no errors: what a watch pass falls back on. */
  const goodByPath = new Map<string, Parsed>();

  /** What one pass found: the pods and errors to emit, and a key that changes only when they can. */
  interface Pass { pods: V1Pod[]; errors: ManifestError[]; key: string }

  /**
   * Reads every manifest. Unchanged text is not parsed again (the periodic re-list would otherwise
   * re-parse and re-validate every pod every 20 s). On a pass started by a watch event, a file that
   * used to be a good pod and now fails to parse keeps its last good pods: the kubelet's watch path
   * (file_linux.go) leaves the store alone when a changed file cannot be read, so an editor's
   * half-written save does not tear the pod down. The periodic re-list (extractFromDir) drops it.
   */
  async function readAll(trigger: Trigger): Promise<Pass | undefined> {
    let st;
    try {
      st = await stat(manifestDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      closeWatch();
      // resetStoreFromPath: a missing path is no error; an empty set lets the source count as seen.
      if (!missingLogged) logger.warn({ path: manifestDir }, 'manifest path does not exist; watching for it');
      missingLogged = true;
      parsedByPath.clear();
      goodByPath.clear();
      return { pods: [], errors: [], key: '[]' };
    }
    if (missingLogged) logger.info({ path: manifestDir }, 'manifest path appeared');
    missingLogged = false;
    if (st.ino !== watchedIno) {
      closeWatch();
      armWatch(st.ino, st.isDirectory());
    }
    // A watch pass reads only the files the watch named (a burst of 100 new manifests would
    // otherwise read the whole directory once per event batch); a re-list reads them all.
    const changed = dirty;
    dirty = new Set();
    const mustRead = (path: string) => trigger === 'relist' || changed === 'all' || changed.has(path) || !parsedByPath.has(path);
    const files = st.isDirectory() ? await listManifestFiles(manifestDir, logger) : [manifestDir];
    const pods: V1Pod[] = [];
    const errors: ManifestError[] = [];
    const keyParts: unknown[] = [];
    const present = new Set<string>();
    for (const path of files) {
      let text: string;
      try {
        text = mustRead(path) ? await readFile(path, 'utf8') : parsedByPath.get(path)!.text;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        const message = `cannot read: ${String(err)}`;
        errors.push({ source: FILE_SOURCE, path, message });
        keyParts.push([path, null, message]);
        continue;
      }
      present.add(path);
      let parsed = parsedByPath.get(path);
      if (parsed?.text !== text) {
        parsed = { text, ...parseManifest(text, { path, nodeName }) };
        parsedByPath.set(path, parsed);
      }
      const good = goodByPath.get(path);
      if (parsed.errors.length === 0) {
        goodByPath.set(path, parsed);
      } else if (trigger === 'watch' && good) {
        logger.warn({ path }, 'changed manifest cannot be used; keeping its last good version until the next re-list');
        pods.push(...good.pods);
        errors.push(...parsed.errors);
        keyParts.push([path, good.text, parsed.text]);
        continue;
      } else {
        goodByPath.delete(path);
      }
      pods.push(...parsed.pods);
      errors.push(...parsed.errors);
      keyParts.push([path, parsed.text]);
    }
    for (const path of parsedByPath.keys()) if (!present.has(path)) parsedByPath.delete(path);
    for (const path of goodByPath.keys()) if (!present.has(path)) goodByPath.delete(path);
    return { pods, errors, key: JSON.stringify(keyParts) };
  }

  function logNewErrors(errors: ManifestError[]): void {
    const current = new Set(errors.map((e) => `${e.path}\u0000${e.message}`));
    for (const e of errors) {
      if (!loggedErrors.has(`${e.path}\u0000${e.message}`)) logger.warn({ path: e.path, pod: e.podName, error: e.message }, 'rejected manifest');
    }
    loggedErrors = current;
  }

  async function relist(trigger: Trigger): Promise<void> {
    const pass = await readAll(trigger);
    if (!pass || stopped) return;
    logNewErrors(pass.errors);
    // Only changes are news: the same texts give the same pods, so an unchanged re-list emits nothing.
    if (pass.key === lastEmitted) return;
    lastEmitted = pass.key;
    // Copies, because the parsed pods are cached for the next pass and consumers own what they get.
    const snapshot: SourceSnapshot = { source: FILE_SOURCE, pods: stamp(structuredClone(pass.pods)), errors: pass.errors };
    onSnapshot?.(snapshot);
  }

  /** One pass at a time; a request during one runs once more after it (as a re-list if any asker wanted one). */
  function resync(trigger: Trigger): Promise<void> {
    if (trigger === 'relist') pendingTrigger = 'relist';
    else pendingTrigger ??= 'watch';
    if (running) return running;
    running = (async () => {
      while (pendingTrigger && !stopped) {
        const t = pendingTrigger;
        pendingTrigger = undefined;
        try {
          await relist(t);
        } catch (err) {
          logger.error({ path: manifestDir, err: String(err) }, 'unable to read manifest path');
        }
      }
      running = undefined;
    })();
    return running;
  }

  /** `name`: the entry the watch reported, or undefined when it could not say (then every file is read). */
  function schedule(name?: string | null): void {
    if (stopped) return;
    if (!name || dirty === 'all') dirty = 'all';
    else dirty.add(join(manifestDir, name));
    clearTimeout(debounce);
    debounce = setTimeout(() => void resync('watch'), debounceMs);
  }

  function closeWatch(): void {
    watcher?.close();
    watcher = undefined;
    watchedIno = undefined;
  }

  /** Arms the watch on the path as it is now; if that fails, the periodic re-list tries again. */
  function armWatch(ino: number, isDir: boolean): void {
    if (stopped) return;
    try {
      watcher = watch(manifestDir, { persistent: false }, (_event, name) => schedule(isDir ? name : null));
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
      await resync('relist');
      ticker = setInterval(() => void resync('relist'), checkFrequencyMs);
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
