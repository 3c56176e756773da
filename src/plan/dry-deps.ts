// The executor's dependencies for `plan`: the agent's own parts (images, translation, volumes' mount code, hooks) over the dry CRI, with nothing that touches the host.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import pino from 'pino';
import type { Mount } from '../cri/types.js';
import { EventRecorder } from '../events/recorder.js';
import { HookRunner } from '../lifecycle/handlers.js';
import { BackOff, CRASH_LOOP_INITIAL_MS, CRASH_LOOP_MAX_MS, IMAGE_PULL_INITIAL_MS, IMAGE_PULL_MAX_MS } from '../podworker/backoff.js';
import type { ExecutorDeps, LifecycleRunner } from '../podworker/deps.js';
import { ImageManager } from '../podworker/images.js';
import { SandboxRequests } from '../podworker/sandbox-requests.js';
import type { NodeContainerOptions } from '../podworker/translate/container-config.js';
import type { SandboxOptions } from '../podworker/translate/sandbox-config.js';
import type { ContainerRef } from '../runtime/types.js';
import { currentCause } from '../trace/cause.js';
import { HostVolumeManager, type VolumeManager } from '../volumes/manager.js';
import type { DryRunCri } from './dry-cri.js';

export interface DryNode {
  nodeName: string;
  hostIP: string;
  rootDir: string;
  sandbox: SandboxOptions;
  container: NodeContainerOptions;
}

/** The agent's volume code in its describing mode: the same paths and checks, nothing made. */
class DryVolumes implements VolumeManager {
  constructor(private readonly host: HostVolumeManager) {}
  async setUpPod(pod: V1Pod): Promise<void> {
    await this.host.describeVolumes(pod);
  }
  /** A running pod's volumes are rewritten in the background, with no CRI call: nothing to show. */
  async remountPod(): Promise<void> {}
  mountsFor(pod: V1Pod, container: V1Container, restartCount: number, podIPs?: string[]): Promise<Mount[]> {
    return this.host.describeMounts(pod, container, restartCount, podIPs);
  }
  terminationMessageHostPath(pod: V1Pod, container: V1Container, restartCount: number): string | undefined {
    return this.host.terminationMessageHostPath(pod, container, restartCount);
  }
  async tearDownPod(): Promise<void> {}
}

/**
 * Hooks: an exec hook is the runtime's ExecSync, run by the agent's own HookRunner over the dry
 * CRI (so it is a step, answered exit 0); an httpGet or sleep hook is the agent's own doing, not
 * a CRI call, and is shown as a step of its own without being run.
 */
class DryLifecycle implements LifecycleRunner {
  private readonly runner: HookRunner;
  constructor(private readonly cri: DryRunCri, recorder: EventRecorder) {
    this.runner = new HookRunner({ cri, recorder, logger: { info: () => {}, warn: () => {} } });
  }
  async postStart(pod: V1Pod, container: V1Container, containerId: string, signal?: AbortSignal): Promise<string | undefined> {
    if (container.lifecycle?.postStart?.exec) return this.runner.postStart(pod, container, containerId, signal);
    this.noteHook('postStart', container);
    return undefined;
  }
  async preStop(pod: V1Pod, container: V1Container, instance: ContainerRef, gracePeriodSeconds: number): Promise<void> {
    if (container.lifecycle?.preStop?.exec) return this.runner.preStop(pod, container, instance, gracePeriodSeconds);
    this.noteHook('preStop', container);
  }
  private noteHook(kind: 'postStart' | 'preStop', container: V1Container): void {
    const cause = currentCause();
    const handler = container.lifecycle?.[kind];
    if (!cause || !handler) return;
    const how = handler.httpGet ? 'an HTTP GET the agent sends' : handler.sleep ? 'a sleep in the agent' : 'nothing the agent can run';
    this.cri.steps.push({ sync: cause.sync, call: 'none', why: `${cause.step}; ${kind} hook of ${container.name}: ${how}, not a CRI call`, request: handler });
  }
}

/** Everything executePodActions needs, dry. Events go to `onEvent` with the step they were recorded in. */
export function dryExecutorDeps(cri: DryRunCri, node: DryNode, clock: () => number, onEvent: (text: string) => void): ExecutorDeps {
  const logger = pino({ level: 'silent' });
  const recorder = new EventRecorder({ logger, clock });
  recorder.addSink({ eventRecorded: (e) => onEvent(`${e.type} ${e.reason}: ${e.message}`) });
  return {
    cri,
    images: new ImageManager({
      cri,
      backOff: new BackOff({ initialMs: IMAGE_PULL_INITIAL_MS, maxMs: IMAGE_PULL_MAX_MS, clock }),
      recorder,
      logger,
      clock,
      serializeImagePulls: true,
    }),
    volumes: new DryVolumes(new HostVolumeManager(node.rootDir, { nodeName: node.nodeName, hostIP: node.hostIP, clusterDomain: node.sandbox.clusterDomain, allocatable: node.container.allocatable })),
    recorder,
    crashLoopBackOff: new BackOff({ initialMs: CRASH_LOOP_INITIAL_MS, maxMs: CRASH_LOOP_MAX_MS, clock }),
    logger,
    clock,
    sandboxOptions: node.sandbox,
    containerOptions: node.container,
    hostIP: node.hostIP,
    sandboxRequests: new SandboxRequests(),
    lifecycle: new DryLifecycle(cri, recorder),
  };
}
