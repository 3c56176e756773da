// What the runtime reports about one pod, grouped from CRI sandboxes and containers: the kubelet's kubecontainer.PodStatus.
//
// The planner, the status code and the PLEG all read this one shape. It is rebuilt from CRI
// lists and statuses (labels and annotations), never from the agent's memory.

export type ObservedSandboxState = 'ready' | 'notready';

export interface ObservedSandbox {
  id: string;
  /** PodSandboxMetadata.attempt: how many sandboxes this pod had before this one. */
  attempt: number;
  state: ObservedSandboxState;
  /** Unix milliseconds. */
  createdAt: number;
  /** The primary pod IP, '' when the sandbox has none (host network, or not networked yet). */
  ip: string;
  /** All pod IPs, primary first. */
  ips: string[];
  /** True when the sandbox runs in the node's network namespace. */
  hostNetwork: boolean;
}

export type ObservedContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface ObservedContainer {
  id: string;
  /** The container's name in the Pod spec (io.kubernetes.container.name). */
  name: string;
  sandboxId: string;
  /** The restartCount this container was created with (ContainerMetadata.attempt). */
  restartCount: number;
  state: ObservedContainerState;
  /** Unix milliseconds; 0 when unknown or not reached. */
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  /** The runtime's reason and message for the state (for example "Completed", "Error", "OOMKilled"). */
  reason: string;
  message: string;
  /** The image as the spec named it, and the resolved image reference (digest). */
  image: string;
  imageRef: string;
  /** io.kubernetes.container.hash: the hash of the container spec this was created from. */
  hash: string;
  logPath: string;
  /** The annotations the container was created with (termination message path, grace period, ...). */
  annotations: Record<string, string>;
  /** The container's mounts as the runtime reports them, so the termination message can be read from the host side. */
  mounts?: { containerPath: string; hostPath: string }[];
}

/** What killing a container and running its hooks need to know of one instance. */
export type ContainerRef = Pick<ObservedContainer, 'id' | 'name' | 'state' | 'sandboxId'>;

export interface ObservedPod {
  uid: string;
  name: string;
  namespace: string;
  /** Newest first (by createdAt). */
  sandboxes: ObservedSandbox[];
  /** Every container of every sandbox of the pod, newest first (by createdAt). */
  containers: ObservedContainer[];
  /** Unix milliseconds when this observation was taken. */
  timestamp: number;
}

/**
 * Why a container is not running, as the last sync saw it: the kubelet's ReasonCache entry.
 * The pod worker records these (ErrImagePull, CrashLoopBackOff, CreateContainerConfigError, ...)
 * and the status code turns them into waiting states.
 */
export interface ContainerWaitingReason {
  reason: string;
  message: string;
}

/** Keyed by container name. */
export type ContainerWaitingReasons = ReadonlyMap<string, ContainerWaitingReason>;
