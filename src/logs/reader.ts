// Reads a container's CRI log file to a sink, and with follow keeps reading as it grows and on into the next instance's file after a restart (kubelet logs.go ReadLogs).
import { open, stat, type FileHandle } from 'node:fs/promises';
import { parseCriLogLine } from './cri-line.js';
import type { LogOptions } from './options.js';
import { findTailStart } from './tail.js';
import { LOG_FORCE_CHECK_PERIOD_MS, sleep, watchFile, type FileWatch } from './watch.js';
import { LogWriter, type LogSink } from './writer.js';

/** One container instance's log: the runtime's container and the file it logs to. */
export interface LogInstance {
  containerId: string;
  path: string;
  restartCount: number;
}

/** What a following reader asks about the containers (the agent answers from its runtime cache). */
export interface FollowSource {
  /** kubelet isContainerRunning: whether the instance's log may still grow. */
  isRunning(instance: LogInstance): boolean | Promise<boolean>;
  /**
   * The instance that followed this one once the container restarted; 'wait' while a restart may
   * still come (back-off); 'done' when none will (restart policy, pod gone).
   */
  next(instance: LogInstance): LogInstance | 'wait' | 'done' | Promise<LogInstance | 'wait' | 'done'>;
}

export interface ReadLogsDeps {
  /** Required with follow. */
  follow?: FollowSource;
  signal?: AbortSignal;
  /** The periodic check while following (default 1s, the kubelet's logForceCheckPeriod). */
  pollMs?: number;
  watch?: (path: string) => FileWatch;
}

const BLOCK = 64 * 1024;
const NEWLINE = 0x0a;

/** The complete lines from pos on, a block at a time, and where the unread rest begins. */
async function* completeLines(fh: FileHandle, from: number, at: { pos: number; rest: Buffer }): AsyncGenerator<Buffer> {
  let pos = from;
  let size = BLOCK;
  for (;;) {
    const buf = Buffer.alloc(size);
    const { bytesRead } = await fh.read(buf, 0, size, pos);
    const data = buf.subarray(0, bytesRead);
    const last = data.lastIndexOf(NEWLINE);
    if (last < 0) {
      // A line longer than the block: read a bigger one; else the rest is a line still being written.
      if (bytesRead === size) {
        size *= 2;
        continue;
      }
      at.pos = pos;
      at.rest = data;
      return;
    }
    let start = 0;
    for (let nl = data.indexOf(NEWLINE); nl >= 0 && nl <= last; nl = data.indexOf(NEWLINE, start)) {
      yield data.subarray(start, nl + 1);
      start = nl + 1;
    }
    pos += last + 1;
    size = BLOCK;
  }
}

/**
 * Writes the instance's log to the sink. Without follow it stops at the end of the file. With
 * follow it waits for more while the container runs; once it has exited and its file is drained,
 * it goes on with the next instance's file (our departure: the kubelet's follower ends with the
 * instance, here it survives restarts), until no restart will come, the limits are reached, or
 * the signal aborts. Fails if the first file cannot be opened.
 */
export async function readLogs(first: LogInstance, opts: LogOptions, sink: LogSink, deps: ReadLogsDeps = {}): Promise<void> {
  const { signal } = deps;
  const pollMs = deps.pollMs ?? LOG_FORCE_CHECK_PERIOD_MS;
  const writer = new LogWriter(opts, sink);
  if (writer.finished) return;
  let instance = first;
  let fh = await open(instance.path, 'r');
  let fileWatch: FileWatch | undefined;
  try {
    const size = (await fh.stat()).size;
    let pos = opts.tail !== undefined ? await findTailStart(fh, size, opts.tail, (s) => writer.keeps(s)) : 0;
    let exited = false;
    for (;;) {
      if (signal?.aborted) return;
      const at = { pos, rest: Buffer.alloc(0) };
      let read = 0;
      for await (const raw of completeLines(fh, pos, at)) {
        read++;
        const parsed = parseCriLogLine(raw);
        // The kubelet logs and skips a line it cannot parse.
        if (parsed && (await writer.line(parsed))) return;
      }
      pos = at.pos;
      if (!opts.follow || exited) {
        // The runtime always ends a line with a newline; a rest is an unfinished write, parsed all the same.
        const parsed = at.rest.length > 0 ? parseCriLogLine(at.rest) : undefined;
        if (parsed && (await writer.line(parsed))) return;
        if (await writer.endOfInstance()) return;
        if (!opts.follow) return;
        const next = await openNextInstance(instance, deps, pollMs);
        if (next === undefined) return;
        fileWatch?.close();
        fileWatch = undefined;
        await fh.close();
        ({ fh, instance } = next);
        pos = 0;
        exited = false;
        continue;
      }
      if (read > 0) continue;
      // At the end while following: a running container may write more; an exited one is drained once more.
      if (!(await deps.follow!.isRunning(instance))) {
        exited = true;
        continue;
      }
      // Log rotation renamed the file we read and the runtime reopened a fresh one at the path
      // (kubelet waitLogs: an fsnotify Rename means recreated). This file is drained: go on there.
      const fresh = await reopenedAt(instance.path, fh);
      if (fresh) {
        fileWatch?.close();
        fileWatch = undefined;
        await fh.close();
        fh = fresh;
        pos = 0;
        continue;
      }
      if (!fileWatch) {
        fileWatch = (deps.watch ?? watchFile)(instance.path);
        continue; // a write may have landed before the watch began
      }
      await fileWatch.wait(pollMs, signal);
    }
  } finally {
    fileWatch?.close();
    await fh.close();
  }
}

/** The file now at `path` when it is another one than `fh` (rotated away); undefined otherwise, or while none is there. */
async function reopenedAt(path: string, fh: FileHandle): Promise<FileHandle | undefined> {
  const now = await stat(path).catch(() => undefined);
  if (!now || now.ino === (await fh.stat()).ino) return undefined;
  return open(path, 'r').catch(() => undefined);
}

/** Polls the follow source until the next instance's file opens; undefined when no instance will come. */
async function openNextInstance(
  instance: LogInstance,
  deps: ReadLogsDeps,
  pollMs: number,
): Promise<{ instance: LogInstance; fh: FileHandle } | undefined> {
  for (;;) {
    if (deps.signal?.aborted) return undefined;
    const next = await deps.follow!.next(instance);
    if (next === 'done') return undefined;
    if (next !== 'wait') {
      // The runtime creates the file when the container starts; until then there is nothing to read.
      const fh = await open(next.path, 'r').catch(() => undefined);
      if (fh) return { instance: next, fh };
    }
    await sleep(pollMs, deps.signal);
  }
}
