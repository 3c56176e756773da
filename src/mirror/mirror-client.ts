// Creates and deletes mirror pods, the API server's read-only copies of static pods (kubelet pkg/kubelet/pod/mirror_client.go).
import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { CONFIG_HASH_ANNOTATION, CONFIG_MIRROR_ANNOTATION } from '../config/annotations.js';
import { isConflict, isNotFound } from '../kubeclient/errors.js';
import type { PodsClient } from '../kubeclient/types.js';

/** kubetypes.IsMirrorPod. */
export const isMirrorPod = (pod: V1Pod) => pod.metadata?.annotations?.[CONFIG_MIRROR_ANNOTATION] !== undefined;

/** getPodHash: a static pod's config hash (its UID here), which its mirror pod carries as config.mirror. */
export const staticPodHash = (pod: V1Pod) => pod.metadata?.annotations?.[CONFIG_HASH_ANNOTATION] ?? '';

/** kubelet pod.IsMirrorPodOf: same name and namespace, and the mirror's hash is the static pod's. */
export function isMirrorPodOf(mirror: V1Pod, pod: V1Pod): boolean {
  if (mirror.metadata?.name !== pod.metadata?.name || mirror.metadata?.namespace !== pod.metadata?.namespace) return false;
  const hash = mirror.metadata?.annotations?.[CONFIG_MIRROR_ANNOTATION];
  return hash !== undefined && hash === staticPodHash(pod);
}

/**
 * The mirror pod of a static pod: its metadata (labels, annotations) and spec, config.mirror set to
 * the static pod's hash, and the Node as its one controller owner (NodeRestriction lets a node
 * create only such pods). What the API server sets itself (UID, resourceVersion, creation time,
 * status) is left out.
 */
export function mirrorPodOf(pod: V1Pod, nodeName: string, nodeUID: string): V1Pod {
  const m = pod.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: m.name,
      namespace: m.namespace,
      ...(m.labels ? { labels: { ...m.labels } } : {}),
      annotations: { ...m.annotations, [CONFIG_MIRROR_ANNOTATION]: staticPodHash(pod) },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUID, controller: true }],
    },
    spec: structuredClone(pod.spec),
  };
}

export class MirrorClient {
  constructor(private readonly o: { pods: PodsClient; nodeName: string; logger: Logger }) {}

  /** CreateMirrorPod: resolves with the mirror pod the API server made; rejects with its error (AlreadyExists included). */
  createMirrorPod(pod: V1Pod, nodeUID: string): Promise<V1Pod> {
    return this.o.pods.create(mirrorPodOf(pod, this.o.nodeName, nodeUID));
  }

  /**
   * DeleteMirrorPod: with grace 0 and, when given, a UID precondition (so a newer mirror pod of the
   * same name is spared). True when it was deleted; a mirror pod already gone or replaced is not
   * an error.
   */
  async deleteMirrorPod(namespace: string, name: string, uid?: string): Promise<boolean> {
    this.o.logger.info({ pod: `${namespace}/${name}`, uid }, 'Deleting a mirror pod');
    try {
      await this.o.pods.delete(namespace, name, { gracePeriodSeconds: 0, ...(uid ? { uid } : {}) });
      return true;
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) {
        this.o.logger.error({ pod: `${namespace}/${name}`, err: (err as Error).message }, 'Failed deleting a mirror pod');
      }
      return false;
    }
  }
}
