// The planner's output: what one sync of one pod must do to the runtime (the kubelet's podActions).

/** Which list of the Pod spec a container comes from. A sidecar is an init container with restartPolicy Always. */
export type ContainerKind = 'init' | 'sidecar' | 'regular';

export interface ContainerToStart {
  name: string;
  kind: ContainerKind;
  /** The restartCount (and CRI attempt) the new container gets: the previous one's + 1, or 0. */
  restartCount: number;
  /** Why it is started, for logs and events ("not started yet", "exited with 1, restartPolicy Always", ...). */
  reason: string;
  /**
   * Set when an earlier instance of this container exited: the executor calls
   * crashLoopBackOff.next(key, eventTime) as it starts the container (the kubelet's doBackOff),
   * so the NEXT restart waits. eventTime is that instance's finishedAt (unix ms).
   */
  backOff?: { key: string; eventTime: number };
}

export interface ContainerToKill {
  containerId: string;
  name: string;
  /** Short machine reason, e.g. "SpecChanged", "Unhealthy", "SidecarRestartAfterInit", "PodKilled". */
  reason: string;
  message: string;
}

/** A container that should be (re)started now but is held back by crash-loop back-off. */
export interface ContainerInBackOff {
  name: string;
  kind: ContainerKind;
  /** Unix ms when the back-off ends and the worker should sync again. */
  until: number;
  message: string;
}

export interface PodActions {
  /** Stop every container and the sandbox. With createSandbox, a new sandbox follows. */
  killPod: boolean;
  /** Why killPod is set, for logs and events. */
  killPodReason: string;
  createSandbox: boolean;
  /** Why a sandbox is created ('' when not): the planner's words, for logs and traces. */
  createSandboxReason: string;
  /** The sandbox to start containers in, when no new one is created. '' otherwise. */
  sandboxId: string;
  /** The attempt for the new sandbox: the newest sandbox's attempt + 1, or 0. */
  attempt: number;
  containersToKill: ContainerToKill[];
  /** Started in this order. Init containers appear one at a time, sidecars in spec order. */
  containersToStart: ContainerToStart[];
  containersInBackOff: ContainerInBackOff[];
}
