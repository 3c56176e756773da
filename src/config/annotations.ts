// The pod annotation keys the pod sources set (kubelet: pkg/kubelet/types/pod_update.go), in one place.
import type { V1Pod } from '@kubernetes/client-node';

/** Which source a pod came from: "file", "http" or "api". */
export const CONFIG_SOURCE_ANNOTATION = 'kubernetes.io/config.source';
/** The static pod's generated UID (the hash of its manifest); the mirror pod carries it too. */
export const CONFIG_HASH_ANNOTATION = 'kubernetes.io/config.hash';
/** RFC 3339 time the agent first saw the pod; local, never part of the hash or of an UPDATE. */
export const CONFIG_FIRST_SEEN_ANNOTATION = 'kubernetes.io/config.seen';
/** Set on mirror pods in the API server. */
export const CONFIG_MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
/** mini-kubelet's own: the manifest file (and document index, "#n", for multi-document files). */
export const CONFIG_PATH_ANNOTATION = 'mini-kubelet.io/config.path';

export const FILE_SOURCE = 'file';
export const HTTP_SOURCE = 'http';
export const API_SOURCE = 'api';

/**
 * Annotations that say where and when the agent got a pod rather than what the pod is; a change
 * in them alone is no UPDATE (kubelet: config.go localAnnotations).
 */
export const LOCAL_ANNOTATIONS: readonly string[] = [
  CONFIG_SOURCE_ANNOTATION,
  CONFIG_MIRROR_ANNOTATION,
  CONFIG_FIRST_SEEN_ANNOTATION,
  CONFIG_PATH_ANNOTATION,
];

/** kubetypes.IsStaticPod: any pod not from the API server. */
export function isStaticPod(pod: V1Pod): boolean {
  const source = pod.metadata?.annotations?.[CONFIG_SOURCE_ANNOTATION];
  return source !== undefined && source !== API_SOURCE;
}
