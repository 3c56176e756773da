// The static pod source: a directory of manifests (--pod-manifest-path), watched with inotify and re-listed periodically (kubelet: config/file.go, file_linux.go).
//
// Every pass reads the whole directory and emits the FULL set (a SourceSnapshot), as the kubelet's
// file source sends SET updates: podconfig does the diffing. fs.watch makes changes quick, the
// periodic re-list makes them certain (a watch can miss events; editors rename files into place).
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { truncate } from '../bounded.js';
import { FILE_SOURCE } from './annotations.js';
import { firstSeenStamper } from './first-seen.js';
import { parseManifest } from './manifest.js';
import { listManifestFiles, readManifestFile, TOO_LARGE_MESSAGE } from './manifest-files.js';
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

/** A file's last read: its stat stamp, its digest ('too-large' when it was not read), pods and errors. */
interface Parsed { stamp: string; digest: string; pods: V1Pod[]; errors: ManifestError[] }

/** A file whose last read gave errors: when, and whether a watch event has already had it read again. */
interface Failing { at: number; retried: boolean }

const systemClock: Clock = { now: () => Date.now() };

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
  let nextTurn: NodeJS.Immediate | undefined;
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
  /** Files whose last read gave errors, by path. */
  const failing = new Map<string, Failing>();

  /**
   * Whether a watch event on this file waits for the next re-list. A file that keeps changing and
   * keeps failing (the agent's own log written into the directory, a download in progress) must
   * not be read, parsed and reported on every write: each report may change the file again. A
   * good manifest, and the first change after a failure (someone fixing a typo), are read at once;
   * after a failed re-read triggered by the watch, the file's next changes wait until a check
   * period has passed since its last failed read, and the periodic re-list reads it anyway. So a
   * file that always fails is read about once per --file-check-frequency, and a quick fix of a
   * new manifest is still seen at once.
   */
  function heldBack(path: string): boolean {
    const f = failing.get(path);
    return f !== undefined && f.retried && performance.now() - f.at < checkFrequencyMs;
  }

  function noteRead(path: string, trigger: Trigger, failed: boolean): void {
    if (!failed) {
      failing.delete(path);
      return;
    }
    const before = failing.get(path);
    failing.set(path, { at: performance.now(), retried: (before?.retried ?? false) || (before !== undefined && trigger === 'watch') });
  }

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
    // otherwise read the whole directory once per event batch), and not those held back (see
    // heldBack); a re-list reads them all.
    const changed = dirty;
    dirty = new Set();
    const mustRead = (path: string) =>
      trigger === 'relist' || !parsedByPath.has(path) || ((changed === 'all' || changed.has(path)) && !heldBack(path));
    const files = st.isDirectory() ? await listManifestFiles(manifestDir, logger) : [manifestDir];
    const pods: V1Pod[] = [];
    const errors: ManifestError[] = [];
    const keyParts: unknown[] = [];
    const present = new Set<string>();
    for (const path of files) {
      let parsed = parsedByPath.get(path);
      let fresh = false;
      if (mustRead(path)) {
        let file;
        try {
          file = await readManifestFile(path, parsed?.stamp);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
          file = { error: truncate(`cannot read: ${String(err)}`), stamp: '' };
        }
        const digest = 'unchanged' in file ? parsed!.digest : 'text' in file ? file.digest : 'error' in file ? `error:${file.error}` : 'too-large';
        if (parsed?.digest !== digest) {
          const result = 'text' in file ? parseManifest(file.text, { path, nodeName }) : { pods: [], errors: [{ source: FILE_SOURCE, path, message: 'error' in file ? file.error : TOO_LARGE_MESSAGE }] };
          parsed = { stamp: file.stamp, digest, ...result };
          parsedByPath.set(path, parsed);
          fresh = true;
        } else {
          parsed!.stamp = file.stamp;
        }
        noteRead(path, trigger, parsed.errors.length > 0);
      }
      present.add(path);
      parsed = parsed!;
      const good = goodByPath.get(path);
      if (parsed.errors.length === 0) {
        goodByPath.set(path, parsed);
      } else if (trigger === 'watch' && good) {
        if (fresh) logger.warn({ path }, 'changed manifest cannot be used; keeping its last good version until the next re-list');
        pods.push(...good.pods);
        errors.push(...parsed.errors);
        keyParts.push([path, good.digest, parsed.digest]);
        continue;
      } else {
        goodByPath.delete(path);
      }
      pods.push(...parsed.pods);
      errors.push(...parsed.errors);
      keyParts.push([path, parsed.digest]);
    }
    for (const path of parsedByPath.keys()) if (!present.has(path)) parsedByPath.delete(path);
    for (const path of goodByPath.keys()) if (!present.has(path)) goodByPath.delete(path);
    for (const path of failing.keys()) if (!present.has(path)) failing.delete(path);
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
    // kubelet (file_linux.go): events on hidden files are ignored, as the files are. An editor's
    // swap file or a writer's ".x.yaml.tmp" renamed into place would otherwise start a pass of its
    // own, and the pass for the real file would wait behind it.
    if (name?.startsWith('.')) {
      logger.debug({ path: join(manifestDir, name) }, 'ignored pod manifest event, because the file starts with a dot');
      return;
    }
    // A held-back file's event starts no pass at all (not even a directory listing).
    if (name && heldBack(join(manifestDir, name))) return;
    if (!name || dirty === 'all') dirty = 'all';
    else dirty.add(join(manifestDir, name));
    if (debounceMs > 0) {
      clearTimeout(debounce);
      debounce = setTimeout(() => void resync('watch'), debounceMs);
    } else {
      // No gathering: the next turn, after the other events of this read (a 0 ms timer waits 1 ms).
      nextTurn ??= setImmediate(() => {
        nextTurn = undefined;
        void resync('watch');
      });
    }
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
      clearImmediate(nextTurn);
      closeWatch();
      await running;
      closeWatch();
    },
  };
}
