// Starts one container: image, mounts, config, CreateContainer (idempotently), StartContainer (the kubelet's startContainer).
import type { V1Container, V1Pod, V1Secret } from '@kubernetes/client-node';
import type { ContainerConfig, Image, PodSandboxConfig } from '../cri/types.js';
import { containerFieldPath } from '../events/recorder.js';
import { CONTAINER_NAME_LABEL, POD_UID_LABEL, TERMINATION_MESSAGE_HOST_PATH_ANNOTATION } from '../runtime/labels.js';
import type { ContainerWaitingReason } from '../runtime/types.js';
import { VolumeError } from '../volumes/manager.js';
import type { ContainerToStart } from './actions.js';
import { readEnvObjects } from './cluster-objects.js';
import type { ExecutorDeps } from './deps.js';
import type { ImageLookAhead } from './images.js';
import { ContainerConfigError, generateContainerConfig } from './translate/container-config.js';
import { killContainer } from './kill.js';
import { podGracePeriodSeconds } from './state.js';

export interface SandboxInfo {
  id: string;
  config: PodSandboxConfig;
  podIPs: string[];
  /** Made by this very sync: it holds no container yet, so none can have been created by an earlier call. */
  justCreated?: boolean;
}

/**
 * Returns undefined when the container runs, or why it does not (the reasonCache entry).
 * pullSecrets: the pod's image pull secrets, read once per sync (getPullSecretsForPod).
 */
export async function startContainer(
  pod: V1Pod,
  spec: V1Container,
  action: ContainerToStart,
  sandbox: SandboxInfo,
  deps: ExecutorDeps,
  images?: ImageLookAhead,
  pullSecrets: readonly V1Secret[] = [],
  signal?: AbortSignal,
): Promise<ContainerWaitingReason | undefined> {
  const { cri, recorder } = deps;
  const fieldPath = containerFieldPath(pod, spec.name);
  const fail = (reason: string, message: string): ContainerWaitingReason => {
    recorder.event(pod, 'Warning', 'Failed', `Error: ${message}`, fieldPath);
    return { reason, message };
  };

  // Step 1: the image (kubelet: EnsureImageExists).
  const image = await deps.images.ensureImageExists(pod, spec, sandbox.config, images, pullSecrets);
  if (!image.ok) return { reason: image.reason, message: image.message };

  // Step 2: the container config, with mounts prepared on the host. In cluster mode the
  // environment's ConfigMaps, Secrets and service links are read first (GenerateRunContainerOptions).
  let config: ContainerConfig;
  try {
    const envObjects = await readEnvObjects(pod, spec, deps.cluster?.());
    const mounts = await deps.volumes.mountsFor(pod, spec, action.restartCount, sandbox.podIPs, envObjects);
    config = generateContainerConfig(pod, spec, action.kind, action.restartCount, {
      ...deps.containerOptions,
      podIP: sandbox.podIPs[0],
      podIPs: sandbox.podIPs,
      hostIP: deps.hostIP,
      mounts,
      nodeName: deps.sandboxOptions.nodeName,
      ...envObjects,
      onInvalidKeys: (message) => recorder.event(pod, 'Warning', 'InvalidEnvironmentVariableNames', message),
    });
    verifyRunAsNonRoot(pod, spec, image.image);
    const tm = deps.volumes.terminationMessageHostPath(pod, spec, action.restartCount);
    if (tm) config.annotations = { ...config.annotations, [TERMINATION_MESSAGE_HOST_PATH_ANNOTATION]: tm };
  } catch (err) {
    if (err instanceof ContainerConfigError || err instanceof VolumeError) return fail('CreateContainerConfigError', err.message);
    throw err;
  }

  // Step 3: create, unless an earlier call that timed out did create it (kubernetes#139670).
  let id: string;
  const existing = sandbox.justCreated ? undefined : await findExisting(pod, spec.name, action.restartCount, sandbox.id, deps);
  if (existing?.state === 'CONTAINER_RUNNING') return undefined;
  if (existing && existing.state !== 'CONTAINER_CREATED') return undefined; // it already ran; the next sync sees it
  if (existing) {
    id = existing.id;
  } else {
    try {
      id = await cri.createContainer(sandbox.id, config, sandbox.config);
    } catch (err) {
      return fail('CreateContainerError', errorMessage(err));
    }
    recorder.event(pod, 'Normal', 'Created', `Created container ${spec.name}`, fieldPath);
  }

  // Step 4: start.
  try {
    await cri.startContainer(id);
  } catch (err) {
    return fail('RunContainerError', `failed to start container "${id}": ${errorMessage(err)}`);
  }
  recorder.event(pod, 'Normal', 'Started', `Started container ${spec.name}`, fieldPath);

  // Step 5: postStart. A failing hook kills the container (kubelet: FailedPostStartHook).
  if (spec.lifecycle?.postStart && deps.lifecycle) {
    const hookError = await deps.lifecycle.postStart(pod, spec, id, signal);
    // Ended by a kill (the worker aborted the sync): that kill stops the container, no event here.
    if (hookError && signal?.aborted) return { reason: 'PostStartHookError', message: hookError };
    if (hookError) {
      // The event says only that it failed, so that secrets in a hook's output never leak into
      // events; the full text goes to the container's waiting message (kubelet: startContainer).
      recorder.event(pod, 'Warning', 'FailedPostStartHook', 'PostStartHook failed', fieldPath);
      deps.logger.warn({ pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, container: spec.name, err: hookError }, 'PostStartHook failed');
      const instance = { id, name: spec.name, state: 'running' as const, sandboxId: sandbox.id };
      await killContainer(pod, instance, podGracePeriodSeconds(pod), 'FailedPostStartHook', deps).catch(() => undefined);
      return { reason: 'PostStartHookError', message: hookError };
    }
  }
  return undefined;
}

async function findExisting(pod: V1Pod, name: string, restartCount: number, sandboxId: string, deps: ExecutorDeps) {
  const found = await deps.cri.listContainers({
    podSandboxId: sandboxId,
    labelSelector: { [POD_UID_LABEL]: pod.metadata!.uid!, [CONTAINER_NAME_LABEL]: name },
  });
  return found.find((c) => c.metadata.attempt === restartCount);
}

/** kubelet: verifyRunAsNonRoot. The container's securityContext overrides the pod's. */
export function verifyRunAsNonRoot(pod: V1Pod, spec: V1Container, image: Image | undefined): void {
  const psc = pod.spec?.securityContext;
  const csc = spec.securityContext;
  const runAsNonRoot = csc?.runAsNonRoot ?? psc?.runAsNonRoot;
  if (!runAsNonRoot) return;
  const where = `(pod: "${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})", container: ${spec.name})`;
  const runAsUser = csc?.runAsUser ?? psc?.runAsUser;
  if (runAsUser !== undefined) {
    if (runAsUser === 0) throw new ContainerConfigError(`container's runAsUser breaks non-root policy ${where}`);
    return;
  }
  // kubelet: getImageUser. An image that names no user runs as root (uid 0).
  const uid = image?.uid ? Number(image.uid.value) : image?.username ? undefined : 0;
  if (uid === 0) throw new ContainerConfigError(`container has runAsNonRoot and image will run as root ${where}`);
  if (uid === undefined) {
    throw new ContainerConfigError(
      `container has runAsNonRoot and image has non-numeric user (${image?.username}), cannot verify user is non-root ${where}`,
    );
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
