// The container log manager: every monitor interval, rotates the live log of each running container this agent owns once it reaches --container-log-max-size (kubelet containerLogManager).
import type { Stats } from 'node:fs';
import { lstat, rename } from 'node:fs/promises';
import { isNotFound } from '../cri/errors.js';
import type { CriRuntime } from '../cri/types.js';
import { matchesSelector } from '../runtime/inspect.js';
import { ownershipSelector } from '../runtime/labels.js';
import { DEFAULT_CONTAINER_LOG_MONITOR_INTERVAL_MS, needsRotation, planRotation, type LogRotatePolicy } from './rotation.js';
import { compressLogFile, isUnderDir, removeFiles, rotatedLogFiles } from './rotation-fs.js';

/** The part of a pino logger the manager uses. */
export interface LogManagerLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ContainerLogManagerOptions {
  cri: Pick<CriRuntime, 'listContainers' | 'containerStatus' | 'reopenContainerLog'>;
  /** Only containers with this node's ownership labels are rotated. */
  nodeName: string;
  /** --pod-logs-dir: a log path the runtime reports outside it is never touched. */
  podLogsDir: string;
  policy: LogRotatePolicy;
  /** kubelet containerLogMonitorInterval (10s). */
  monitorIntervalMs?: number;
  /** Unix ms; names the rotated files. */
  clock: () => number;
  logger: LogManagerLogger;
}

/** What one pass did, for logs and tests. */
export interface RotationResult {
  /** The containers whose live log was renamed and reopened. */
  rotated: string[];
  /** Containers (or the listing) that failed; they are tried again next interval. */
  errors: number;
}

/**
 * One worker, one container at a time (the kubelet's containerLogMaxWorkers default of 1). It may
 * start before the sources are ready: it only renames and compresses logs of running containers,
 * it never removes a container.
 */
export class ContainerLogManager {
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<RotationResult> | undefined;
  private stopped = false;
  /**
   * Each running container's log path: fixed when the container is created, so it is asked for
   * once, not every interval (the kubelet asks ContainerStatus each time; with 100 containers that
   * is 10 calls a second for nothing new). Entries go when their container leaves the list.
   */
  private readonly logPaths = new Map<string, string>();

  constructor(private readonly opts: ContainerLogManagerOptions) {}

  /** kubelet Start: wait.Forever, a pass at once and the next one an interval after each ends. */
  start(): void {
    const { policy, logger } = this.opts;
    if (policy.maxSize < 0) {
      logger.info({}, 'container log rotation is off: --container-log-max-size is negative');
      return;
    }
    const period = this.opts.monitorIntervalMs ?? DEFAULT_CONTAINER_LOG_MONITOR_INTERVAL_MS;
    logger.info({ workers: 1, monitorPeriodMs: period, maxSize: policy.maxSize, maxFiles: policy.maxFiles }, 'starting container log rotation');
    const tick = async () => {
      await this.rotateOnce();
      if (!this.stopped) this.timer = setTimeout(() => void tick(), period);
    };
    void tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inflight;
  }

  /** One pass over the running containers; a call while one runs shares it. Never rejects. */
  rotateOnce(): Promise<RotationResult> {
    this.inflight ??= this.pass().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async pass(): Promise<RotationResult> {
    const { cri, nodeName, logger } = this.opts;
    const result: RotationResult = { rotated: [], errors: 0 };
    const labelSelector = ownershipSelector(nodeName);
    let ids: string[];
    try {
      // kubelet rotateLogs: only running containers; one that stopped writes nothing more.
      const listed = await cri.listContainers({ labelSelector, state: { state: 'CONTAINER_RUNNING' } });
      ids = listed.filter((c) => c.state === 'CONTAINER_RUNNING' && matchesSelector(c.labels, labelSelector)).map((c) => c.id);
    } catch (err) {
      logger.error({ err }, 'failed to rotate container logs: cannot list containers');
      result.errors++;
      return result;
    }
    const running = new Set(ids);
    for (const id of this.logPaths.keys()) if (!running.has(id)) this.logPaths.delete(id);
    for (const id of ids) {
      if (this.stopped) break;
      try {
        if (await this.processContainer(id)) result.rotated.push(id);
      } catch (err) {
        result.errors++;
        logger.error({ err, containerId: id }, 'failed to rotate log for container; will retry next interval');
      }
    }
    if (result.rotated.length) logger.debug({ rotated: result.rotated }, 'rotated container logs');
    return result;
  }

  /** kubelet processContainer: the log the runtime reports, reopened if missing, rotated once big enough. */
  private async processContainer(id: string): Promise<boolean> {
    const { cri, podLogsDir, policy, logger } = this.opts;
    let log = this.logPaths.get(id);
    if (log === undefined) {
      const status = await cri.containerStatus(id).catch((err: unknown) => {
        if (isNotFound(err)) return undefined; // removed since the list
        throw err;
      });
      if (!status) return false;
      log = status.logPath ?? '';
      this.logPaths.set(id, log);
    }
    if (!log) return false;
    if (!isUnderDir(podLogsDir, log)) {
      logger.debug({ containerId: id, path: log }, 'not rotating a container log outside --pod-logs-dir');
      return false;
    }
    let info = await lstatOrUndefined(log);
    if (!info) {
      // kubelet: a live log removed from under the runtime is recreated by a reopen.
      await cri.reopenContainerLog(id);
      info = await lstat(log);
    }
    if (!info.isFile() || !needsRotation(info.size, policy)) return false;
    return this.rotateLog(id, log);
  }

  /** kubelet rotateLog and rotateLatestLog. False when the live log keeps its name this time. */
  private async rotateLog(id: string, log: string): Promise<boolean> {
    const { cri, policy, clock, logger } = this.opts;
    const plan = planRotation(log, await rotatedLogFiles(log), policy.maxFiles, new Date(clock()));
    await removeFiles(plan.remove);
    for (const file of plan.compress) await compressLogFile(file);
    if (!plan.rotateTo) {
      logger.debug({ containerId: id, path: log }, 'log rotated less than a second ago; rotating it next interval');
      return false;
    }
    // Not compressed now: the runtime writes on into it until it reopens, and readers may hold it.
    await rename(log, plan.rotateTo);
    try {
      await cri.reopenContainerLog(id);
    } catch (err) {
      // As the kubelet: put the log back so the next interval tries again (the runtime still writes to it).
      await rename(plan.rotateTo, log).catch((renameErr: unknown) =>
        logger.error({ err: renameErr, rotatedLog: plan.rotateTo, newLog: log, containerId: id }, 'failed to rename rotated log back'),
      );
      throw new Error(`failed to reopen container log "${id}": ${(err as Error).message}`, { cause: err });
    }
    return true;
  }
}

async function lstatOrUndefined(file: string): Promise<Stats | undefined> {
  try {
    return await lstat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
