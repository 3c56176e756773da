// Whether a container that is not running should be started again: the kubelet's ShouldContainerBeRestarted.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { ContainerKind } from './actions.js';
import type { ObservedContainer, ObservedPod } from '../runtime/types.js';

/** The newest observed instance of a container name (observed.containers is newest first). */
export function newestContainer(observed: ObservedPod | undefined, name: string): ObservedContainer | undefined {
  return observed?.containers.find((c) => c.name === name);
}

/**
 * kubecontainer.ShouldContainerBeRestarted, plus the sidecar rule from computeInitContainerActions:
 * a restartable init container (kind 'sidecar') restarts whatever the pod's restartPolicy says.
 * A container that never ran, or was only created, or is in an unknown state, is (re)started.
 */
export function shouldContainerBeRestarted(
  container: V1Container,
  kind: ContainerKind,
  pod: V1Pod,
  observed: ObservedPod | undefined,
): boolean {
  // Once a pod has been marked deleted, nothing of it is restarted.
  if (pod.metadata?.deletionTimestamp) return false;
  const status = newestContainer(observed, container.name);
  if (!status) return true;
  if (status.state === 'running') return false;
  if (status.state === 'unknown' || status.state === 'created') return true;
  // Exited from here on.
  if (kind === 'sidecar') return true;
  const policy = pod.spec?.restartPolicy ?? 'Always';
  if (policy === 'Never') return false;
  if (policy === 'OnFailure') return status.exitCode !== 0;
  return true;
}
