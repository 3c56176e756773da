// What the node's pods read from the API server by name (ConfigMaps now, Secrets next): the kubelet's configmap.Manager / secret.Manager interface.
//
// The Node authorizer lets a node read a ConfigMap or Secret only while a pod bound to it
// references it, so the objects are tracked by the pods that reference them: a pod is
// registered before its volumes are set up and unregistered when they are torn down. How fresh
// an object is depends on the implementation behind this interface: cache-based-manager.ts
// re-reads it after a TTL (the kubelet's "Cache" strategy); a watch-based one (the kubelet's
// default) can replace it without changing the callers.
import type { V1Pod } from '@kubernetes/client-node';

export interface ObjectManager<T> {
  /**
   * GetObject: the object as last read, or the API's error (a KubeApiError; NotFound when it does
   * not exist). Only objects that a registered pod references can be read.
   */
  getObject(namespace: string, name: string): Promise<T>;
  /** RegisterPod: the pod's references are needed; new ones are read afresh on their next get. */
  registerPod(pod: V1Pod): void;
  /** UnregisterPod: the pod is gone; objects no other pod references are forgotten. */
  unregisterPod(uid: string): void;
}
