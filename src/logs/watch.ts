// Waits for a log file to change, or for a period to pass (kubelet logs.go waitLogs: fsnotify plus logForceCheckPeriod).
import { watch, type FSWatcher } from 'node:fs';

/** kubelet logForceCheckPeriod: even without an event, look again this often. */
export const LOG_FORCE_CHECK_PERIOD_MS = 1000;

export interface FileWatch {
  /** Resolves at the next change since the last wait (at once if one came meanwhile), after ms, or on abort. */
  wait(ms: number, signal?: AbortSignal): Promise<void>;
  close(): void;
}

/** Sleeps ms, or less when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * An inotify watch on one file, kept for as long as the reader follows it, so that a write landing
 * between a read and the next wait is not missed. A file that cannot be watched (gone, say) falls
 * back to the periodic check alone.
 */
export function watchFile(path: string): FileWatch {
  let changed = false;
  let wake: (() => void) | undefined;
  let watcher: FSWatcher | undefined;
  const onChange = () => {
    changed = true;
    wake?.();
  };
  try {
    watcher = watch(path, { persistent: false }, onChange);
    watcher.on('error', () => watcher?.close());
  } catch {
    watcher = undefined;
  }
  return {
    async wait(ms, signal) {
      if (!changed) {
        const ac = new AbortController();
        const onAbort = () => ac.abort();
        signal?.addEventListener('abort', onAbort, { once: true });
        wake = () => ac.abort();
        await sleep(ms, ac.signal);
        wake = undefined;
        signal?.removeEventListener('abort', onAbort);
      }
      changed = false;
    },
    close() {
      watcher?.close();
    },
  };
}
