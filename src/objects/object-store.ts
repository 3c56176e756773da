// A cache of the API objects the node's pods reference, read on demand and re-read after a TTL (the kubelet's manager.objectStore).
//
// Each object is counted by the pods that reference it and forgotten when none does. A read
// error is never cached (the next get asks again), but a missing object is: NotFound is an
// answer. While the API server cannot be reached, the last answer stands, so running pods keep
// their files; only an object never read before fails.
import { isNotFound } from '../kubeclient/errors.js';
import type { ObjectSource } from './cache-based-manager.js';

type Versioned = { metadata?: { resourceVersion?: string } };

interface Data<T> {
  object?: T;
  err?: unknown;
  /** Unix ms of the last answer (object or NotFound). */
  lastUpdateTime: number;
  /** The read under way; concurrent gets wait for it instead of asking again. */
  pending?: Promise<void>;
}

interface Item<T> {
  refCount: number;
  /** undefined: (re)registered, read on the next get. */
  data?: Data<T>;
}

export interface ObjectStoreOptions<T> {
  getObject(namespace: string, name: string): Promise<T>;
  /** Unix ms. */
  clock: () => number;
  /** How long an answer is used before it is read again (the kubelet's defaultTTL, 1 minute). */
  ttlMs: number;
}

/** isObjectOlder: a read never replaces a newer object (an API server behind its peers). */
function isOlder(next: Versioned | undefined, prev: Versioned | undefined): boolean {
  try {
    const a = next?.metadata?.resourceVersion;
    const b = prev?.metadata?.resourceVersion;
    return a !== undefined && b !== undefined && BigInt(a) < BigInt(b);
  } catch {
    return false;
  }
}

export class ObjectStore<T extends Versioned> implements ObjectSource<T> {
  private readonly items = new Map<string, Item<T>>();

  constructor(private readonly opts: ObjectStoreOptions<T>) {}

  /** AddReference: one more pod refers to the object; it is read afresh on the next get. */
  addReference(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const item = this.items.get(key) ?? { refCount: 0 };
    item.refCount++;
    item.data = undefined;
    this.items.set(key, item);
  }

  /** DeleteReference: one pod fewer; the object is forgotten with its last reference. */
  deleteReference(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const item = this.items.get(key);
    if (item && --item.refCount <= 0) this.items.delete(key);
  }

  /** Get: the cached answer while fresh, else a new read (which a newer cached object survives). */
  async get(namespace: string, name: string): Promise<T> {
    const item = this.items.get(`${namespace}/${name}`);
    if (!item) throw new Error(`object "${namespace}"/"${name}" not registered`);
    const data = (item.data ??= { lastUpdateTime: 0 });
    while (data.pending) await data.pending;
    if (data.err !== undefined || this.opts.clock() >= data.lastUpdateTime + this.opts.ttlMs) {
      const read = this.read(data, namespace, name);
      data.pending = read.then(() => undefined, () => undefined);
      try {
        await read;
      } finally {
        data.pending = undefined;
      }
    }
    if (data.err !== undefined) throw data.err;
    return data.object!;
  }

  /** How many objects are referenced (for tests and logs). */
  size(): number {
    return this.items.size;
  }

  private async read(data: Data<T>, namespace: string, name: string): Promise<void> {
    let object: T | undefined;
    let err: unknown;
    try {
      object = await this.opts.getObject(namespace, name);
    } catch (e) {
      err = e;
    }
    const notFound = err !== undefined && isNotFound(err);
    // Nothing cached to fall back on: the read's own error.
    if (err !== undefined && !notFound && data.object === undefined && data.err === undefined) throw err;
    if ((err === undefined && !isOlder(object, data.object)) || notFound) {
      data.object = object;
      data.err = err;
      data.lastUpdateTime = this.opts.clock();
    }
  }
}
