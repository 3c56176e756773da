// Which log file a request means: the pod, the container, the instance (current or previous) and its path, and for a follower the instance after it (kubelet GetContainerLogs, validateContainerLogStatus).
import type { V1Container, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { containerLogPath } from '../podworker/translate/container-config.js';
import { podLogsDirectory } from '../podworker/translate/sandbox-config.js';
import type { ObservedContainer, ObservedPod } from '../runtime/types.js';
import { containerShouldRestart, isSidecar } from '../status/spec.js';
import type { FollowSource, LogInstance } from './reader.js';

/** What the log endpoint may ask the agent. */
export interface ContainerLogsView {
  /** The pods the agent runs, with their current statuses. */
  pods(): V1Pod[];
  /** The runtime's view of one pod (the PLEG cache): container ids, states and log paths. */
  observed(uid: string): ObservedPod | undefined;
  /** --pod-logs-dir: where a log lives when the runtime no longer lists its container. */
  podLogsDir: string;
  /** How often a follower looks again without a file event (default 1s, the kubelet's logForceCheckPeriod); tests shorten it. */
  followPollMs?: number;
}

/** 404 for a pod or container that does not exist, 400 for a container with no log to show. */
export class ContainerLogsError extends Error {
  constructor(readonly status: 400 | 404, message: string) {
    super(message);
  }
}

/** kubelet GetPodByName, then kubecontainer.GetContainerSpec (regular, then init containers). */
export function findPodContainer(view: ContainerLogsView, namespace: string, podName: string, containerName: string) {
  const pod = view.pods().find((p) => p.metadata?.namespace === namespace && p.metadata?.name === podName);
  if (!pod) throw new ContainerLogsError(404, `pod "${podName}" does not exist`);
  const init = pod.spec?.initContainers?.find((c) => c.name === containerName);
  const container = pod.spec?.containers?.find((c) => c.name === containerName) ?? init;
  if (!container) throw new ContainerLogsError(404, `container "${containerName}" not found in pod "${podName}"`);
  return { pod, container, isInit: container === init };
}

function apiStatus(pod: V1Pod, name: string): V1ContainerStatus | undefined {
  const s = pod.status;
  return [...(s?.containerStatuses ?? []), ...(s?.initContainerStatuses ?? [])].find((c) => c.name === name);
}

/** "containerd://abc" → "abc" (kubecontainer.ParseContainerID). */
function bareId(containerID: string | undefined): string {
  return (containerID ?? '').replace(/^[a-z0-9]+:\/\//, '');
}

/**
 * validateContainerLogStatus: the container id whose log is meant. Previous means the last
 * terminated instance; otherwise the running one, else the terminated one, else the last
 * terminated; a container still waiting to start has no log yet.
 */
export function containerIdForLogs(pod: V1Pod, containerName: string, previous: boolean): string {
  const podName = pod.metadata?.name ?? '';
  const status = apiStatus(pod, containerName);
  if (!status) throw new ContainerLogsError(400, `container "${containerName}" in pod "${podName}" is not available`);
  const last = status.lastState?.terminated;
  const { waiting, running, terminated } = status.state ?? {};
  if (previous) {
    if (!last?.containerID) throw new ContainerLogsError(400, `previous terminated container "${containerName}" in pod "${podName}" not found`);
    return bareId(last.containerID);
  }
  if (running) return bareId(status.containerID);
  if (terminated) {
    // The next instance did not start: its terminated state has no id, the one before it has.
    const id = terminated.containerID || last?.containerID;
    if (!id) throw new ContainerLogsError(400, `container "${containerName}" in pod "${podName}" is terminated`);
    return bareId(id);
  }
  if (last) {
    if (!last.containerID) throw new ContainerLogsError(400, `container "${containerName}" in pod "${podName}" is terminated`);
    return bareId(last.containerID);
  }
  if (waiting) {
    const why =
      waiting.reason === 'ErrImagePull' ? 'image can\'t be pulled'
      : waiting.reason === 'ImagePullBackOff' ? 'trying and failing to pull image'
      : waiting.reason ?? '';
    throw new ContainerLogsError(400, `container "${containerName}" in pod "${podName}" is waiting to start: ${why}`);
  }
  throw new ContainerLogsError(400, `container "${containerName}" in pod "${podName}" is waiting to start - no logs yet`);
}

/**
 * The instance's log file: the path the runtime reports for the container (kubelet: ContainerStatus
 * logPath); for a container the runtime no longer lists, <pod-logs-dir>/<ns>_<name>_<uid>/<container>/<n>.log
 * with n the restartCount it must have had (the previous instance is one before the current).
 */
export function logInstanceFor(view: ContainerLogsView, pod: V1Pod, containerName: string, previous: boolean): LogInstance {
  const containerId = containerIdForLogs(pod, containerName, previous);
  const found = view.observed(pod.metadata?.uid ?? '')?.containers.find((c) => c.id === containerId);
  if (found?.logPath) return { containerId, path: found.logPath, restartCount: found.restartCount };
  const status = apiStatus(pod, containerName)!;
  // In back-off (waiting) the last terminated instance is the newest one, numbered restartCount.
  const restartCount = Math.max(0, previous && !status.state?.waiting ? status.restartCount - 1 : status.restartCount);
  return { containerId, path: fallbackPath(view, pod, containerName, restartCount), restartCount };
}

function fallbackPath(view: ContainerLogsView, pod: V1Pod, containerName: string, restartCount: number): string {
  return `${podLogsDirectory(view.podLogsDir, pod)}/${containerLogPath(containerName, restartCount)}`;
}

const started = (c: ObservedContainer): boolean => c.state === 'running' || c.state === 'exited';

/**
 * How a follower moves on: the next instance is the oldest started one of the same container with
 * a higher restartCount. While none has started it waits, unless no restart will come: the pod is
 * gone, its container's restart rule says no (podutil.ContainerShouldRestart), or it is an init
 * container that succeeded.
 */
export function followSourceFor(view: ContainerLogsView, uid: string, container: V1Container, isInit: boolean): FollowSource {
  const observedContainer = (id: string) => view.observed(uid)?.containers.find((c) => c.id === id);
  return {
    isRunning: (instance) => {
      const state = observedContainer(instance.containerId)?.state;
      return state === 'running' || state === 'created';
    },
    next: (instance) => {
      const pod = view.pods().find((p) => p.metadata?.uid === uid);
      if (!pod || pod.metadata?.deletionTimestamp) return 'done';
      const later = (view.observed(uid)?.containers ?? [])
        .filter((c) => c.name === container.name && c.restartCount > instance.restartCount && started(c))
        .sort((a, b) => a.restartCount - b.restartCount)[0];
      if (later) {
        const path = later.logPath || fallbackPath(view, pod, container.name, later.restartCount);
        return { containerId: later.id, path, restartCount: later.restartCount };
      }
      const phase = pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') return 'done';
      const current = observedContainer(instance.containerId);
      // The runtime lost the instance (garbage collected): its exit code is unknown, so take it as a failure.
      const exitCode = current?.state === 'exited' ? current.exitCode : 1;
      if (isInit && !isSidecar(container) && exitCode === 0) return 'done';
      return containerShouldRestart(container, pod.spec, exitCode) ? 'wait' : 'done';
    },
  };
}
