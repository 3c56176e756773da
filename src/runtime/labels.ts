// The label and annotation keys mini-kubelet writes on CRI objects: the kubelet's io.kubernetes.* keys plus our ownership label.
//
// These keys are the only memory that survives an agent restart: everything the agent knows about
// what it started is rebuilt from them (kuberuntime/labels.go in the kubelet).

/** Labels on sandboxes and containers (kubelet: newPodLabels / newContainerLabels). */
export const POD_NAME_LABEL = 'io.kubernetes.pod.name';
export const POD_NAMESPACE_LABEL = 'io.kubernetes.pod.namespace';
export const POD_UID_LABEL = 'io.kubernetes.pod.uid';
export const CONTAINER_NAME_LABEL = 'io.kubernetes.container.name';

/** Container annotations (kubelet: newContainerAnnotations). */
export const CONTAINER_HASH_ANNOTATION = 'io.kubernetes.container.hash';
export const CONTAINER_RESTART_COUNT_ANNOTATION = 'io.kubernetes.container.restartCount';
export const CONTAINER_TERMINATION_MESSAGE_PATH_ANNOTATION = 'io.kubernetes.container.terminationMessagePath';
export const CONTAINER_TERMINATION_MESSAGE_POLICY_ANNOTATION = 'io.kubernetes.container.terminationMessagePolicy';
export const CONTAINER_PRESTOP_HANDLER_ANNOTATION = 'io.kubernetes.container.preStopHandler';
export const CONTAINER_PORTS_ANNOTATION = 'io.kubernetes.container.ports';
export const POD_TERMINATION_GRACE_PERIOD_ANNOTATION = 'io.kubernetes.pod.terminationGracePeriod';
export const POD_DELETION_GRACE_PERIOD_ANNOTATION = 'io.kubernetes.pod.deletionGracePeriod';

/**
 * mini-kubelet's private ownership label, on every sandbox and container it creates. The agent
 * lists, adopts and garbage-collects only objects that carry it, so other CRI clients sharing the
 * runtime are never touched. Unlike the real kubelet, which owns the whole runtime.
 */
export const MANAGED_BY_LABEL = 'mini-kubelet.io/managed-by';
export const MANAGED_BY_VALUE = 'mini-kubelet';
/** Which node (agent instance) created the object, so two agents on one runtime stay apart. */
export const NODE_NAME_LABEL = 'mini-kubelet.io/node-name';
/**
 * Container annotation: the host-side path of the file mounted at the container's
 * terminationMessagePath, written by the executor so the status code can read the message after exit.
 */
export const TERMINATION_MESSAGE_HOST_PATH_ANNOTATION = 'mini-kubelet.io/termination-message-host-path';
/** Which kind of container: "init", "sidecar" (restartable init) or "regular". */
export const CONTAINER_TYPE_LABEL = 'mini-kubelet.io/container-type';

/** The label selector that picks out what one agent instance owns. */
export function ownershipSelector(nodeName: string): Record<string, string> {
  return { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [NODE_NAME_LABEL]: nodeName };
}
