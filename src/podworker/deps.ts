// What the executor needs to carry actions out: the runtime, images, volumes, events, back-off and node settings.
import type { Logger } from 'pino';
import type { CriRuntime } from '../cri/types.js';
import type { EventRecorder } from '../events/recorder.js';
import type { VolumeManager } from '../volumes/manager.js';
import type { BackOff } from './backoff.js';
import type { ImageManager } from './images.js';
import type { SandboxOptions } from './translate/sandbox-config.js';
import type { NodeContainerOptions } from './translate/container-config.js';
import type { PodCgroups } from '../node/cgroups-fs.js';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { ContainerRef } from '../runtime/types.js';
import type { SandboxRequests } from './sandbox-requests.js';
import type { ClusterObjects } from './cluster-objects.js';
import type { StopFirst } from './stop-first.js';
export type { ContainerRef };

/** What the prober knows, read by the planner (unhealthy → kill) and the status (ready, started). */
export interface ProbeResultsView {
  /** Readiness results by CRI container id. */
  ready(uid: string): ReadonlyMap<string, boolean>;
  /** Startup results by CRI container id. */
  started(uid: string): ReadonlyMap<string, boolean>;
  /** Containers a liveness or startup probe found failing, by CRI container id. */
  unhealthy(uid: string): ReadonlyMap<string, { reason: string; message: string }>;
}

/** Runs lifecycle hooks (kubelet: lifecycle.handlerRunner). Both resolve when the hook is done. */
export interface LifecycleRunner {
  /**
   * Runs postStart; resolves to an error message when the hook failed, undefined when it
   * succeeded. `signal` is the sync's: a kill aborts it and so ends the hook.
   */
  postStart(pod: V1Pod, container: V1Container, containerId: string, signal?: AbortSignal): Promise<string | undefined>;
  /** Runs preStop within at most gracePeriodSeconds; resolves when done or timed out. */
  preStop(pod: V1Pod, container: V1Container, instance: ContainerRef, gracePeriodSeconds: number): Promise<void>;
}

export interface ExecutorDeps {
  cri: CriRuntime;
  images: ImageManager;
  volumes: VolumeManager;
  recorder: EventRecorder;
  /** CrashLoopBackOff, keyed by crashLoopKey; the executor records each restart in it. */
  crashLoopBackOff: BackOff;
  /** Retries of a pod whose volumes failed to set up, keyed by mountRetryKey; absent: every 10 s. */
  mountBackOff?: BackOff;
  logger: Logger;
  /** Unix ms. */
  clock: () => number;
  sandboxOptions: SandboxOptions;
  /** What the node adds to every container's config (allocatable, seccomp root, policy, ...). */
  containerOptions?: NodeContainerOptions;
  /** Pod cgroups under the QoS hierarchy; absent: none are made (the runtime's default parent). */
  podCgroups?: PodCgroups;
  /** The node's IP, for the downward API (status.hostIP). */
  hostIP: string;
  /** Probe results; absent: no prober, every running container counts as ready and started. */
  probes?: ProbeResultsView;
  /** The RunPodSandbox calls this process made, so a timed-out one is looked for before another. */
  sandboxRequests: SandboxRequests;
  /** Orders sandbox teardown and removal after the node's pending container stops; absent: no order. */
  stopFirst?: StopFirst;
  /** Lifecycle hooks; absent: hooks are not run. */
  lifecycle?: LifecycleRunner;
  /**
   * Cluster mode: ConfigMaps, Secrets and services for the environment, pull secrets for image
   * pulls. Asked at each use (run.ts builds the cluster parts after the workers); absent or
   * undefined in static mode.
   */
  cluster?: () => ClusterObjects | undefined;
}
