// Garbage collection of dead containers, dead sandboxes and the log directories of removed pods (kubelet: containerGC.GarbageCollect).
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { isNotFound } from '../cri/errors.js';
import type { Container, CriRuntime, PodSandbox } from '../cri/types.js';
import { allContainerLogFiles, isUnderDir } from '../logs/rotation-fs.js';
import { MINIMUM_GRACE_PERIOD_SECONDS } from '../podworker/kill.js';
import { listOwned, podUidOf, type OwnedObjects } from '../runtime/inspect.js';
import { containersToEvict, DEFAULT_GC_POLICY, logDirectoriesToEvict, sandboxesToEvict, type GCPolicy } from './evict.js';
import { listPodLogDirectories } from './logs.js';

/** The part of a pino logger the GC uses. */
export interface GCLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ContainerGCOptions {
  cri: CriRuntime;
  /** Only objects with this node's ownership labels are ever removed. */
  nodeName: string;
  /** --pod-logs-dir: holds <namespace>_<name>_<uid>/<container>/<restartCount>.log. */
  podLogsDir: string;
  policy?: GCPolicy;
  /** The UIDs of pods that still exist: every pod a source has, and every pod a worker still handles. */
  livePods: () => ReadonlySet<string>;
  /** Unix ms. */
  clock: () => number;
  logger: GCLogger;
}

/** What one collection removed, for logs and tests. */
export interface GCResult {
  containers: string[];
  sandboxes: string[];
  logDirectories: string[];
  logFiles: string[];
  /** Removals (or the initial listing) that failed; they are tried again next period. */
  errors: number;
}

/**
 * Call only once every source has delivered its first snapshot (kubelet: allSourcesReady), or
 * the pods of a slow source would look removed.
 */
export class ContainerGC {
  private readonly policy: GCPolicy;
  private inflight: Promise<GCResult> | undefined;

  constructor(private readonly opts: ContainerGCOptions) {
    this.policy = opts.policy ?? DEFAULT_GC_POLICY;
  }

  /** One collection; a call while one runs shares it, so collections never overlap. Never rejects. */
  garbageCollect(): Promise<GCResult> {
    this.inflight ??= this.collect().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async collect(): Promise<GCResult> {
    const { cri, nodeName, podLogsDir, logger } = this.opts;
    const result: GCResult = { containers: [], sandboxes: [], logDirectories: [], logFiles: [], errors: 0 };
    let owned: OwnedObjects;
    let logDirs: string[];
    let everySandbox: PodSandbox[];
    try {
      // Listed before the live set is read: whatever a pod creates after these lists is not in
      // them, and a pod whose objects are in them was known to its source before they were made.
      [owned, logDirs, everySandbox] = await Promise.all([
        listOwned(cri, nodeName),
        listPodLogDirectories(podLogsDir),
        // Every client's sandboxes, not only ours: the log directory of a pod another client still runs is not ours to remove.
        cri.listPodSandbox({}),
      ]);
    } catch (err) {
      logger.error({ err }, 'container GC: cannot list the runtime or the pod logs directory; will retry next period');
      result.errors++;
      return result;
    }
    const live = this.opts.livePods();
    const isLive = (uid: string) => live.has(uid);

    // kubelet GarbageCollect: containers first, then the sandboxes they emptied, then the logs.
    for (const c of containersToEvict(owned.containers, isLive, this.policy, this.opts.clock())) {
      await this.attempt(result, { container: c.id }, () => this.removeContainer(c, result));
    }
    const gone = new Set(result.containers);
    const left = owned.containers.filter((c) => !gone.has(c.id));
    for (const s of sandboxesToEvict(owned.sandboxes, left, isLive)) {
      await this.attempt(result, { sandbox: s.id }, async () => {
        await cri.removePodSandbox(s.id).catch(ignoreNotFound);
        result.sandboxes.push(s.id);
      });
    }

    const removed = new Set(result.sandboxes);
    const inRuntime = new Set(everySandbox.filter((s) => !removed.has(s.id)).map((s) => podUidOf(s) ?? ''));
    for (const name of logDirectoriesToEvict(logDirs, isLive, inRuntime)) {
      await this.attempt(result, { logDirectory: name }, async () => {
        await rm(path.join(podLogsDir, name), { recursive: true, force: true });
        result.logDirectories.push(name);
      });
    }

    if (result.containers.length || result.sandboxes.length || result.logDirectories.length || result.errors) {
      logger.info({ ...counts(result) }, 'container GC');
    } else {
      logger.debug({}, 'container GC: nothing to remove');
    }
    return result;
  }

  /**
   * kubelet: removeContainer, with removeContainerLog first (the log files, found through
   * ContainerStatus as the log manager's Clean does). A container in an unknown state may still
   * run, so it is stopped first (kubelet: removeOldestN).
   */
  private async removeContainer(c: Container, result: GCResult): Promise<void> {
    const { cri } = this.opts;
    if (c.state === 'CONTAINER_UNKNOWN') await cri.stopContainer(c.id, MINIMUM_GRACE_PERIOD_SECONDS).catch(ignoreNotFound);
    const logPath = (await cri.containerStatus(c.id).catch(ignoreNotFound))?.logPath ?? '';
    // The runtime reports the log path; never remove a file outside --pod-logs-dir on its word.
    if (logPath && isUnderDir(this.opts.podLogsDir, logPath)) {
      // Clean's `<logPath>*`: the live log and every rotated (.<timestamp>, .gz, .tmp) one.
      for (const file of await allContainerLogFiles(logPath)) {
        await rm(file, { force: true });
        result.logFiles.push(file);
      }
    }
    await cri.removeContainer(c.id).catch(ignoreNotFound);
    result.containers.push(c.id);
  }

  /** Runs one removal; a failure is logged and counted, and the collection goes on (kubelet logs and continues). */
  private async attempt(result: GCResult, what: object, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      result.errors++;
      this.opts.logger.error({ err, ...what }, 'container GC: removal failed; will retry next period');
    }
  }
}

function ignoreNotFound(err: unknown): undefined {
  if (isNotFound(err)) return undefined;
  throw err;
}

function counts(r: GCResult) {
  return { containers: r.containers.length, sandboxes: r.sandboxes.length, logDirectories: r.logDirectories.length, logFiles: r.logFiles.length, errors: r.errors };
}
