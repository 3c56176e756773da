// The objects the node's pods reference, registered by pod over a store that counts references (the kubelet's cacheBasedManager).
import type { V1Pod } from '@kubernetes/client-node';
import type { ObjectManager } from './types.js';

/**
 * The kubelet's manager.Store: objects counted by the pods that reference them. object-cache.ts
 * watches each one (the default, "Watch" strategy); object-store.ts re-reads it after a TTL ("Cache").
 */
export interface ObjectSource<T> {
  addReference(namespace: string, name: string): void;
  deleteReference(namespace: string, name: string): void;
  get(namespace: string, name: string): Promise<T>;
}

export class CacheBasedManager<T> implements ObjectManager<T> {
  /** By pod UID: the spec last registered, whose references are counted in the store. */
  private readonly registered = new Map<string, V1Pod>();

  constructor(
    private readonly store: ObjectSource<T>,
    /** getReferencedObjects: the names the pod refers to, in its own namespace. */
    private readonly referenced: (pod: V1Pod) => Set<string>,
  ) {}

  getObject(namespace: string, name: string): Promise<T> {
    return this.store.get(namespace, name);
  }

  /**
   * RegisterPod: the first registration references (and so invalidates) every object the pod
   * names; later ones only add what the pod newly names and drop what it no longer does, so a
   * re-registration on every sync costs no API request.
   */
  registerPod(pod: V1Pod): void {
    const uid = pod.metadata?.uid ?? '';
    const ns = pod.metadata?.namespace ?? '';
    const names = this.referenced(pod);
    const prev = this.registered.get(uid);
    this.registered.set(uid, pod);
    const prevNames = prev ? this.referenced(prev) : new Set<string>();
    for (const n of names) if (!prevNames.has(n)) this.store.addReference(ns, n);
    for (const n of prevNames) if (!names.has(n)) this.store.deleteReference(ns, n);
  }

  unregisterPod(uid: string): void {
    const prev = this.registered.get(uid);
    if (!prev) return;
    this.registered.delete(uid);
    for (const n of this.referenced(prev)) this.store.deleteReference(prev.metadata?.namespace ?? '', n);
  }
}
