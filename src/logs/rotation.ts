// Container log rotation as a pure plan: which rotated files to delete and compress, and what the live log is renamed to (kubelet container_log_manager.go).
import { parseQuantity } from '../config/quantity.js';

/** The kubelet's suffixes: a compressed rotated log, and a compression still being written. */
export const COMPRESS_SUFFIX = '.gz';
export const TMP_SUFFIX = '.tmp';

/** kubelet LogRotatePolicy. */
export interface LogRotatePolicy {
  /** Bytes; the live log is rotated once it is at least this big. Negative: rotation is off. */
  maxSize: number;
  /** The most log files of one container: the live one, the newest rotated one and maxFiles-2 compressed ones. */
  maxFiles: number;
}

export const DEFAULT_CONTAINER_LOG_MAX_SIZE = '10Mi';
export const DEFAULT_CONTAINER_LOG_MAX_FILES = 5;
/** kubelet containerLogMonitorInterval; its validation refuses anything under 3s. */
export const DEFAULT_CONTAINER_LOG_MONITOR_INTERVAL_MS = 10_000;
export const MIN_CONTAINER_LOG_MONITOR_INTERVAL_MS = 3_000;

/**
 * kubelet parseMaxSize: a quantity that is a whole number of bytes ("10Mi", "1Ki", "1.5Ki");
 * "100m" or "1.5" are not. The messages are the kubelet's, as NewContainerLogManager words them.
 */
export function parseContainerLogMaxSize(size: string): number {
  let bytes: number;
  try {
    bytes = parseQuantity(size);
  } catch (err) {
    throw new Error(`failed to parse container log max size "${size}": ${(err as Error).message}`);
  }
  if (!Number.isSafeInteger(bytes)) throw new Error(`failed to parse container log max size "${size}": invalid max log size`);
  return bytes;
}

/** kubelet validation: at least the live log and the one just rotated. */
export function parseContainerLogMaxFiles(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n)) throw new Error(`not an integer: ${text}`);
  if (n <= 1) throw new Error('invalid configuration: containerLogMaxFiles must be greater than 1');
  return n;
}

/** kubelet: `if info.Size() < MaxSize` skips; so a log exactly maxSize long is rotated. Never when rotation is off. */
export function needsRotation(size: number, policy: LogRotatePolicy): boolean {
  return policy.maxSize >= 0 && size >= policy.maxSize;
}

/**
 * The suffix of a rotated log: Go's "20060102-150405" of the kubelet's clock.Now(), which is the
 * node's local time (not UTC). It sorts by time as a string, which is all the plan relies on.
 */
export function rotationTimestamp(at: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(at.getFullYear(), 4)}${p(at.getMonth() + 1)}${p(at.getDate())}-${p(at.getHours())}${p(at.getMinutes())}${p(at.getSeconds())}`;
}

/**
 * kubelet filterUnusedLogs: a .tmp is a compression that never finished, and an uncompressed file
 * whose .gz exists was compressed but not yet removed; both are left over by a failed rotation.
 */
export function splitUnused(rotated: readonly string[]): { inUse: string[]; unused: string[] } {
  const all = new Set(rotated);
  const inUse: string[] = [];
  const unused: string[] = [];
  for (const f of rotated) {
    const stale = f.endsWith(TMP_SUFFIX) || (!f.endsWith(COMPRESS_SUFFIX) && all.has(f + COMPRESS_SUFFIX));
    (stale ? unused : inUse).push(f);
  }
  return { inUse, unused };
}

/** What one rotation of a live log does, in this order. */
export interface RotationPlan {
  /** Leftovers and the oldest rotated files beyond maxFiles-2, oldest first. */
  remove: string[];
  /** The rotated files kept and not yet compressed: each becomes <file>.gz. */
  compress: string[];
  /** The live log's new name, <log>.<timestamp>; undefined when that name is taken (a second rotation within one second). */
  rotateTo: string | undefined;
}

/**
 * kubelet rotateLog. `rotated` holds the paths matching <log>.* (any order). The runtime opens a
 * new live log and the one renamed now stays uncompressed (a reader may still hold it open), so
 * at most maxFiles-2 older ones are kept, the oldest removed first so a reader of a newer one is
 * not cut off. Departure: the kubelet renames onto a name already taken within the same second,
 * and its next round would delete the uncompressed twin of a .gz; here that rotation waits.
 */
export function planRotation(log: string, rotated: readonly string[], maxFiles: number, now: Date): RotationPlan {
  const { inUse, unused } = splitUnused(rotated);
  // Go's sort.Strings: by bytes; the names differ only in their ASCII timestamps and suffixes.
  const sorted = [...inUse].sort();
  const keep = Math.max(0, maxFiles - 2);
  const excess = sorted.slice(0, Math.max(0, sorted.length - keep));
  const kept = sorted.slice(excess.length);
  const compress = kept.filter((f) => !f.endsWith(COMPRESS_SUFFIX));
  const target = `${log}.${rotationTimestamp(now)}`;
  const taken = kept.some((f) => f === target || f === target + COMPRESS_SUFFIX);
  return { remove: [...unused.sort(), ...excess], compress, rotateTo: taken ? undefined : target };
}
