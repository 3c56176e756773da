// Reads an exited container's termination message: its message file, or the tail of its log (kuberuntime getTerminationMessage).
import { open } from 'node:fs/promises';
import type { ObservedContainer, ObservedPod } from '../runtime/types.js';
import {
  CONTAINER_TERMINATION_MESSAGE_PATH_ANNOTATION,
  CONTAINER_TERMINATION_MESSAGE_POLICY_ANNOTATION,
  TERMINATION_MESSAGE_HOST_PATH_ANNOTATION,
} from '../runtime/labels.js';

export type TerminationMessagePolicy = 'File' | 'FallbackToLogsOnError';

/** kubecontainer.MaxContainerTerminationMessageLength: only the last 4 KiB of the file are read. */
export const MAX_TERMINATION_MESSAGE_BYTES = 4096;
/** kubecontainer.MaxContainerTerminationMessageLogLines and ...LogLength: the log fallback's limits. */
export const MAX_TERMINATION_MESSAGE_LOG_LINES = 80;
export const MAX_TERMINATION_MESSAGE_LOG_BYTES = 2048;

export interface TerminationMessageOptions {
  /** The last `lines` raw lines of a CRI log file. Defaults to reading the file (tailLogFile). */
  logTail?: (path: string, lines: number) => Promise<string>;
}

/** Reads at most the last maxBytes of a file (tail.ReadAtMost). */
async function readAtMost(path: string, maxBytes: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const start = Math.max(0, size - maxBytes);
    const buf = Buffer.alloc(size - start);
    const { bytesRead } = await fh.read(buf, 0, buf.length, start);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** The last `lines` lines of a file, reading backwards in chunks (at most 2 MiB). */
export async function tailLogFile(path: string, lines: number): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const chunk = 64 * 1024;
    let start = size;
    let data = Buffer.alloc(0);
    // One newline more than lines, because the file ends with one.
    const newlines = (b: Buffer): number => b.reduce((n, byte) => (byte === 10 ? n + 1 : n), 0);
    while (start > 0 && newlines(data) <= lines && size - start < 2 * 1024 * 1024) {
      const from = Math.max(0, start - chunk);
      const buf = Buffer.alloc(start - from);
      await fh.read(buf, 0, buf.length, from);
      data = Buffer.concat([buf, data]);
      start = from;
    }
    const all = data.toString('utf8').split('\n');
    if (all.at(-1) === '') all.pop();
    return all.slice(-lines).join('\n') + (all.length ? '\n' : '');
  } finally {
    await fh.close();
  }
}

/**
 * The contents of CRI log lines ("<time> <stream> <P|F> <content>"): a full line (F) ends with a
 * newline, a partial one (P) runs on into the next. Malformed lines are skipped, as the kubelet does.
 */
export function criLogContent(raw: string): string {
  let out = '';
  for (const line of raw.split('\n')) {
    const m = /^\S+ (stdout|stderr) ([PF]) ?(.*)$/.exec(line);
    if (!m) continue;
    out += m[2] === 'F' ? `${m[3]}\n` : m[3];
  }
  return out;
}

/** readLastStringFromContainerLogs: the last 80 log lines, cut to their last 2048 bytes. */
async function lastStringFromLogs(logPath: string, logTail: NonNullable<TerminationMessageOptions['logTail']>): Promise<string> {
  if (!logPath) return '';
  try {
    const raw = await logTail(logPath, MAX_TERMINATION_MESSAGE_LOG_LINES);
    const content = Buffer.from(criLogContent(raw), 'utf8');
    return content.subarray(Math.max(0, content.length - MAX_TERMINATION_MESSAGE_LOG_BYTES)).toString('utf8');
  } catch (err) {
    return `Error on reading termination message from logs: ${(err as Error).message}`;
  }
}

/** Where the message file is on the host: the executor's annotation, else the mount at terminationMessagePath. */
function hostPathOf(container: ObservedContainer): string | undefined {
  const annotated = container.annotations[TERMINATION_MESSAGE_HOST_PATH_ANNOTATION];
  if (annotated) return annotated;
  const inContainer = container.annotations[CONTAINER_TERMINATION_MESSAGE_PATH_ANNOTATION];
  if (!inContainer) return undefined;
  return container.mounts?.find((m) => m.containerPath === inContainer)?.hostPath;
}

/**
 * The termination message of an exited container ('' for any other), as kuberuntime getContainerStatus
 * builds it: the message file; with FallbackToLogsOnError, the log tail when the file is empty or
 * missing and the container failed. The policy defaults to the container's annotation.
 */
export async function readTerminationMessage(
  container: ObservedContainer,
  policy: TerminationMessagePolicy | undefined,
  opts: TerminationMessageOptions = {},
): Promise<string> {
  if (container.state !== 'exited') return '';
  const effective = policy ?? container.annotations[CONTAINER_TERMINATION_MESSAGE_POLICY_ANNOTATION];
  // A container that could not even start has no logs worth reading.
  const fallbackToLogs =
    effective === 'FallbackToLogsOnError' && container.exitCode !== 0 && container.reason !== 'ContainerCannotRun';
  const logTail = opts.logTail ?? tailLogFile;
  const path = hostPathOf(container);
  if (!path) return fallbackToLogs ? lastStringFromLogs(container.logPath, logTail) : '';
  let data: string;
  try {
    data = (await readAtMost(path, MAX_TERMINATION_MESSAGE_BYTES)).toString('utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return fallbackToLogs ? lastStringFromLogs(container.logPath, logTail) : '';
    }
    return `Error on reading termination log ${path}: ${(err as Error).message}`;
  }
  if (data.length === 0 && fallbackToLogs) return lastStringFromLogs(container.logPath, logTail);
  return data;
}

/**
 * The messages of every exited container of a pod, by container id, for StatusContext.terminationMessages.
 * An exited container never changes, so a cache (one per pod, kept by the caller across syncs) spares
 * re-reading; entries of containers the runtime no longer lists are dropped from it.
 */
export async function readTerminationMessages(
  observed: ObservedPod | undefined,
  opts: TerminationMessageOptions = {},
  cache?: Map<string, string>,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const c of observed?.containers ?? []) {
    if (c.state !== 'exited') continue;
    let message = cache?.get(c.id);
    if (message === undefined) {
      message = await readTerminationMessage(c, undefined, opts);
      cache?.set(c.id, message);
    }
    if (message) out.set(c.id, message);
  }
  if (cache) {
    const present = new Set((observed?.containers ?? []).map((c) => c.id));
    for (const id of cache.keys()) if (!present.has(id)) cache.delete(id);
  }
  return out;
}
