// One watch per referenced object: a reflector lists and watches it by name in its namespace, from its first reference to its last (the kubelet's watch-based objectCache).
//
// The Node authorizer lets a node read a ConfigMap or Secret only while a pod bound to it names
// it, and a list or watch only by name (fieldSelector metadata.name=<name>), so each object gets
// its own reflector. A get answers from what the watch delivered, waiting up to a second for the
// first list; once listed, an object stays as last seen while the API server is away (the
// reflector never empties anything on a failure). An object not read for maxIdleMs has its watch
// stopped until the next get, and an immutable one is never watched again.
import { KubeApiError } from '../kubeclient/errors.js';
import { Reflector, type ReflectorLogger } from '../kubeclient/reflector.js';
import type { ListResult, WatchEvent, WatchHandle, WatchOptions } from '../kubeclient/types.js';
import type { ObjectSource } from './cache-based-manager.js';

type Obj = { metadata?: { name?: string; resourceVersion?: string }; immutable?: boolean };

export interface ObjectCacheOptions<T> {
  /** The kubelet's groupResource in its messages: "configmap", "secret". */
  resource: string;
  client: {
    list(namespace: string, opts: { fieldSelector: string }): Promise<ListResult<T>>;
    watch(opts: WatchOptions, onEvent: (e: WatchEvent<T>) => void, onClose: (err?: Error) => void): WatchHandle;
  };
  logger: ReflectorLogger;
  /** Unix ms. */
  clock?: () => number;
  /** How long a get waits for the first list (objectCache.Get: wait.PollImmediate for 1 s). */
  syncTimeoutMs?: number;
  /** NewWatchBasedManager: 5 × the resync interval, at least a minute. */
  maxIdleMs?: number;
  /** How often idle watches are looked for (startRecycleIdleWatch: every minute). */
  recyclePeriodMs?: number;
  /** For tests: the reflectors' back-off and watch timeout. */
  reflector?: { backoff?: { initialMs: number; maxMs: number }; minWatchTimeoutSeconds?: number };
}

interface Item<T extends Obj> {
  refCount: number;
  reflector: Reflector<T>;
  object?: T;
  /** A list has filled the item since its reflector (re)started (cacheStore.initialized). */
  synced: boolean;
  lastAccess: number;
  stopped: boolean;
  immutable: boolean;
  /** Gets waiting for the first list. */
  waiters: Set<() => void>;
}

export class ObjectCache<T extends Obj> implements ObjectSource<T> {
  private readonly items = new Map<string, Item<T>>();
  private readonly clock: () => number;
  private recycle: NodeJS.Timeout | undefined;

  constructor(private readonly o: ObjectCacheOptions<T>) {
    this.clock = o.clock ?? Date.now;
  }

  /** AddReference: the first reference starts the object's reflector; a get waits for its list. */
  addReference(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    let item = this.items.get(key);
    if (!item) {
      item = this.newItem(namespace, name);
      this.items.set(key, item);
      item.reflector.start();
    }
    item.refCount++;
    this.recycle ??= setInterval(() => this.stopIdle(), this.o.recyclePeriodMs ?? 60_000);
    this.recycle.unref();
  }

  /** DeleteReference: with the last reference the watch stops and the object is forgotten. */
  deleteReference(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const item = this.items.get(key);
    if (!item || --item.refCount > 0) return;
    this.stopItem(item);
    this.items.delete(key);
    this.wake(item);
  }

  async get(namespace: string, name: string): Promise<T> {
    const item = this.items.get(`${namespace}/${name}`);
    if (!item) throw new Error(`object "${namespace}"/"${name}" not registered`);
    // Recorded whether or not the get succeeds, so a watch is never recycled under a waiting get.
    item.lastAccess = this.clock();
    if (item.stopped && !item.immutable) {
      item.stopped = false;
      item.reflector.start();
    }
    if (!item.synced && !(await this.waitForSync(item))) {
      throw new Error(`failed to sync ${this.o.resource} cache: timed out waiting for the condition`);
    }
    const object = item.object;
    if (!object) throw new KubeApiError(404, 'NotFound', `${this.o.resource} "${name}" not found`);
    // An immutable object cannot change: its watch is of no more use.
    if (object.immutable === true && !item.immutable) {
      item.immutable = true;
      this.stopItem(item);
      this.o.logger.debug({ what: `${this.o.resource} ${namespace}/${name}` }, 'stopped watching: the object is immutable');
    }
    return object;
  }

  /** How many objects are referenced and how many of them are watched now (for tests and logs). */
  stats(): { referenced: number; watching: number } {
    let watching = 0;
    for (const item of this.items.values()) if (!item.stopped) watching++;
    return { referenced: this.items.size, watching };
  }

  /** Stops every watch (the agent is shutting down). */
  stop(): void {
    clearInterval(this.recycle);
    this.recycle = undefined;
    for (const item of this.items.values()) {
      this.stopItem(item);
      this.wake(item);
    }
    this.items.clear();
  }

  private newItem(namespace: string, name: string): Item<T> {
    const fieldSelector = `metadata.name=${name}`;
    const { client } = this.o;
    const item: Item<T> = {
      refCount: 0, synced: false, lastAccess: this.clock(), stopped: false, immutable: false, waiters: new Set(),
      reflector: new Reflector<T>({
        what: `${this.o.resource} ${namespace}/${name}`,
        list: () => client.list(namespace, { fieldSelector }),
        watch: (resourceVersion, timeoutSeconds, onEvent, onClose) =>
          client.watch({ namespace, fieldSelector, resourceVersion, timeoutSeconds }, onEvent, onClose),
        replace: (items) => {
          // The field selector leaves at most this one object.
          item.object = items.find((i) => i.metadata?.name === name);
          item.synced = true;
          this.wake(item);
        },
        event: (type, object) => {
          if (object?.metadata?.name !== name) return;
          item.object = type === 'DELETED' ? undefined : object;
        },
        logger: this.o.logger,
        backoff: this.o.reflector?.backoff ? { ...this.o.reflector.backoff, resetAfterMs: 120_000 } : undefined,
        minWatchTimeoutSeconds: this.o.reflector?.minWatchTimeoutSeconds,
      }),
    };
    return item;
  }

  /** objectCacheItem.stop: a mutable object must be listed again before the next get answers. */
  private stopItem(item: Item<T>): void {
    if (item.stopped) return;
    item.stopped = true;
    item.reflector.stop();
    if (!item.immutable) item.synced = false;
  }

  private waitForSync(item: Item<T>): Promise<boolean> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        item.waiters.delete(done);
        resolve(item.synced);
      };
      const timer = setTimeout(done, this.o.syncTimeoutMs ?? 1000);
      item.waiters.add(done);
    });
  }

  private wake(item: Item<T>): void {
    for (const w of [...item.waiters]) w();
  }

  /** startRecycleIdleWatch: a listed object nobody asked for in maxIdleMs has its watch stopped. */
  private stopIdle(): void {
    const now = this.clock();
    const maxIdle = Math.max(this.o.maxIdleMs ?? 5 * 60_000, 60_000);
    for (const [key, item] of this.items) {
      if (item.stopped || !item.synced || now <= item.lastAccess + maxIdle) continue;
      this.stopItem(item);
      this.o.logger.debug({ what: `${this.o.resource} ${key}`, maxIdleMs: maxIdle }, 'not read for a long time: stopped watching for changes');
    }
  }
}
