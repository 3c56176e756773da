// List, then watch from the list's resourceVersion; resume after a dropped watch, relist on 410 Gone, back off while the API server is away (client-go's Reflector.ListAndWatch).
//
// The reflector only tells its owner what the API server says: a full set after each list
// (replace) and each change after it (event). A failure never empties anything: until a list
// succeeds again the owner keeps what it had, so an outage never looks like deletions.
import { Backoff, type BackoffOptions } from './backoff.js';
import { isGone, isRetriable, KubeApiError } from './errors.js';
import type { ListResult, WatchEvent, WatchHandle } from './types.js';

type Obj = { metadata?: { resourceVersion?: string } };

export interface ReflectorLogger {
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
}

export interface ReflectorOptions<T extends Obj> {
  /** For logs: what is listed, e.g. "pods spec.nodeName=n1". */
  what: string;
  list(): Promise<ListResult<T>>;
  watch(resourceVersion: string, timeoutSeconds: number, onEvent: (e: WatchEvent<T>) => void, onClose: (err?: Error) => void): WatchHandle;
  /** After every successful list: the whole set. */
  replace(items: T[], resourceVersion: string): void;
  /** Each change after the list, in order. */
  event(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: T): void;
  /** After every failed list (the owner keeps what it has). */
  listFailed?(err: KubeApiError): void;
  logger: ReflectorLogger;
  backoff?: BackoffOptions;
  /** The server ends each watch after a random 5–10 min (client-go: minWatchTimeout 5 min). */
  minWatchTimeoutSeconds?: number;
  random?: () => number;
}

/** client-go: a watch that ends in under a second with no event is an error, not a normal end. */
const SHORT_WATCH_MS = 1000;
/** A watch the server should have ended by now is taken for a dead connection after this much more. */
const WATCH_GRACE_MS = 30_000;

const asKubeError = (err: unknown): KubeApiError =>
  err instanceof KubeApiError ? err : new KubeApiError(0, 'Unavailable', String((err as Error)?.message ?? err));

/** A watch ERROR event's metav1.Status as an error (410 Expired when etcd compacted our resourceVersion). */
function statusError(obj: unknown): KubeApiError {
  const s = (obj ?? {}) as { code?: number; reason?: string; message?: string };
  return new KubeApiError(typeof s.code === 'number' ? s.code : 500, s.reason || 'InternalError', s.message || 'watch error event');
}

export class Reflector<T extends Obj> {
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private handle: WatchHandle | undefined;
  private resourceVersion = '';
  private synced = false;
  private readonly backoff: Backoff;
  private readonly random: () => number;

  constructor(private readonly o: ReflectorOptions<T>) {
    this.backoff = new Backoff(o.backoff ?? { initialMs: 800, maxMs: 30_000, resetAfterMs: 120_000 });
    this.random = o.random ?? Math.random;
  }

  /** Whether a list has succeeded (client-go: HasSynced). */
  hasSynced(): boolean {
    return this.synced;
  }

  /** The resourceVersion a watch would resume from (client-go: LastSyncResourceVersion). */
  lastResourceVersion(): string {
    return this.resourceVersion;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.relist();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.handle?.stop();
    this.handle = undefined;
  }

  private later(ms: number, fn: () => void): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(fn, ms);
  }

  private async relist(): Promise<void> {
    if (this.stopped) return;
    let result: ListResult<T>;
    try {
      result = await this.o.list();
    } catch (err) {
      if (this.stopped) return;
      const e = asKubeError(err);
      const wait = this.backoff.failure();
      this.o.logger.warn({ what: this.o.what, err: e.message, code: e.code, retryInMs: Math.round(wait) }, 'list failed; keeping what was known and retrying');
      this.o.listFailed?.(e);
      this.later(wait, () => void this.relist());
      return;
    }
    if (this.stopped) return;
    this.resourceVersion = result.resourceVersion;
    this.synced = true;
    this.o.replace(result.items, result.resourceVersion);
    this.o.logger.debug({ what: this.o.what, items: result.items.length, resourceVersion: this.resourceVersion }, 'listed');
    this.watch();
  }

  private watch(): void {
    if (this.stopped) return;
    const minTimeout = this.o.minWatchTimeoutSeconds ?? 300;
    const timeoutSeconds = Math.floor(minTimeout * (1 + this.random()));
    const started = Date.now();
    let events = 0;
    let ended = false;
    let handle: WatchHandle | undefined;
    const end = (err?: Error) => {
      if (ended) return;
      ended = true;
      clearTimeout(watchdog);
      handle?.stop();
      if (this.handle === handle) this.handle = undefined;
      if (!this.stopped) this.watchEnded(err, Date.now() - started, events);
    };
    // A connection that died without a word (no FIN, no RST) would hold the watch forever.
    const watchdog = setTimeout(() => end(new KubeApiError(0, 'Timeout', `watch silent past its ${timeoutSeconds}s timeout`)), timeoutSeconds * 1000 + WATCH_GRACE_MS);
    const onEvent = (e: WatchEvent<T>) => {
      if (ended || this.stopped) return;
      events++;
      if (e.type === 'ERROR') return end(statusError(e.object));
      const rv = e.object?.metadata?.resourceVersion;
      if (rv) this.resourceVersion = rv;
      if (e.type !== 'BOOKMARK') this.o.event(e.type, e.object);
    };
    handle = this.o.watch(this.resourceVersion, timeoutSeconds, onEvent, (err) => end(err));
    if (ended) handle.stop();
    else this.handle = handle;
  }

  /**
   * Why a watch ended decides what comes next: a normal end resumes at once from the last
   * resourceVersion; 410 Gone relists; an API server that is away is retried from the same
   * resourceVersion after a back-off; anything else relists after a back-off.
   */
  private watchEnded(err: Error | undefined, durationMs: number, events: number): void {
    if (!err && (durationMs >= SHORT_WATCH_MS || events > 0)) {
      this.backoff.reset();
      return this.watch();
    }
    const e = err ? asKubeError(err) : new KubeApiError(0, 'Unavailable', 'very short watch: it ended in under a second with no event');
    if (isGone(e)) {
      this.o.logger.info({ what: this.o.what, resourceVersion: this.resourceVersion, err: e.message }, 'watch resourceVersion too old; relisting');
      return void this.relist();
    }
    const wait = this.backoff.failure();
    if (isRetriable(e)) {
      this.o.logger.warn({ what: this.o.what, err: e.message, retryInMs: Math.round(wait) }, 'watch failed; resuming after a back-off');
      this.later(wait, () => this.watch());
    } else {
      this.o.logger.warn({ what: this.o.what, err: e.message, code: e.code, retryInMs: Math.round(wait) }, 'watch failed; relisting after a back-off');
      this.later(wait, () => void this.relist());
    }
  }
}
