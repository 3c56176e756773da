// The labels and annotations put on CRI sandboxes and containers: the kubelet's kuberuntime/labels.go plus our ownership keys.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { ContainerKind } from '../actions.js';
import type { StringMap } from '../../cri/types.js';
import {
  CONTAINER_HASH_ANNOTATION,
  CONTAINER_NAME_LABEL,
  CONTAINER_PORTS_ANNOTATION,
  CONTAINER_PRESTOP_HANDLER_ANNOTATION,
  CONTAINER_RESTART_COUNT_ANNOTATION,
  CONTAINER_TERMINATION_MESSAGE_PATH_ANNOTATION,
  CONTAINER_TERMINATION_MESSAGE_POLICY_ANNOTATION,
  CONTAINER_TYPE_LABEL,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  NODE_NAME_LABEL,
  POD_DELETION_GRACE_PERIOD_ANNOTATION,
  POD_NAME_LABEL,
  POD_NAMESPACE_LABEL,
  POD_TERMINATION_GRACE_PERIOD_ANNOTATION,
  POD_UID_LABEL,
} from '../../runtime/labels.js';
import { hashContainer } from './hash.js';

function podIdentity(pod: V1Pod): StringMap {
  return {
    [POD_NAME_LABEL]: pod.metadata?.name ?? '',
    [POD_NAMESPACE_LABEL]: pod.metadata?.namespace ?? '',
    [POD_UID_LABEL]: pod.metadata?.uid ?? '',
  };
}

function ownership(nodeName: string): StringMap {
  return { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [NODE_NAME_LABEL]: nodeName };
}

/** newPodLabels: the pod's own labels, then the identity keys (which win over a user label of the same key). */
export function newPodLabels(pod: V1Pod, nodeName: string): StringMap {
  return { ...(pod.metadata?.labels ?? {}), ...podIdentity(pod), ...ownership(nodeName) };
}

/** newPodAnnotations: the pod's own annotations, as they are. */
export function newPodAnnotations(pod: V1Pod): StringMap {
  return { ...(pod.metadata?.annotations ?? {}) };
}

/** newContainerLabels: pod identity and container name (no user labels: they live on the sandbox). */
export function newContainerLabels(container: V1Container, pod: V1Pod, nodeName: string, kind: ContainerKind): StringMap {
  return {
    ...podIdentity(pod),
    [CONTAINER_NAME_LABEL]: container.name,
    ...ownership(nodeName),
    [CONTAINER_TYPE_LABEL]: kind,
  };
}

/**
 * newContainerAnnotations: what the kubelet must know about a container after a restart of its
 * own, when the Pod spec it came from may be gone (hash, restartCount, termination message,
 * grace periods, preStop hook, ports).
 */
export function newContainerAnnotations(container: V1Container, pod: V1Pod, restartCount: number): StringMap {
  const a: StringMap = {
    [CONTAINER_HASH_ANNOTATION]: hashContainer(container),
    [CONTAINER_RESTART_COUNT_ANNOTATION]: String(restartCount),
    [CONTAINER_TERMINATION_MESSAGE_PATH_ANNOTATION]: container.terminationMessagePath ?? '',
    [CONTAINER_TERMINATION_MESSAGE_POLICY_ANNOTATION]: container.terminationMessagePolicy ?? '',
  };
  const deletionGrace = pod.metadata?.deletionGracePeriodSeconds;
  if (deletionGrace !== undefined && deletionGrace !== null) a[POD_DELETION_GRACE_PERIOD_ANNOTATION] = String(deletionGrace);
  const terminationGrace = pod.spec?.terminationGracePeriodSeconds;
  if (terminationGrace !== undefined && terminationGrace !== null) {
    a[POD_TERMINATION_GRACE_PERIOD_ANNOTATION] = String(terminationGrace);
  }
  const preStop = container.lifecycle?.preStop;
  if (preStop) a[CONTAINER_PRESTOP_HANDLER_ANNOTATION] = JSON.stringify(preStop);
  if (container.ports && container.ports.length > 0) a[CONTAINER_PORTS_ANNOTATION] = JSON.stringify(container.ports);
  return a;
}
