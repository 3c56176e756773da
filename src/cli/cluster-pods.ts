// The pods side of cluster mode, assembled: the API pod source, the pods/status writer on the status manager, and the hooks the node side plugs mirror pods into.
import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { createApiServerSource, type ApiServerSource } from '../config/apiserver-source.js';
import type { KubeClient } from '../kubeclient/types.js';
import type { PodCache } from '../pleg/cache.js';
import type { PodWorkers } from '../podworker/workers.js';
import { ApiStatusSink, type PodRuntimeState } from '../status/api-status-sink.js';
import type { StatusManager } from '../status/manager.js';

export interface ClusterPodsHost {
  nodeName: string;
  logger: Logger;
  statusManager: Pick<StatusManager, 'addSink'>;
  workers: Pick<PodWorkers, 'state'>;
  cache: Pick<PodCache, 'get'>;
}

export interface ClusterPods {
  /** The "api" pod source (beside file and http); getPod(uid) and mirrorPods() give the API's view. */
  source: ApiServerSource;
  sink: ApiStatusSink;
  /**
   * For the node side's mirror-pod manager: where a static pod's status goes (its mirror pod, as
   * the API has it). Until it is set, static pods' statuses are not written anywhere.
   */
  setMirrorPodLookup(fn: (staticPod: V1Pod) => V1Pod | undefined): void;
  /** For the node side: told the whole set of this node's mirror pods each time it changes. */
  onMirrorPods(cb: (mirrorPods: V1Pod[]) => void): void;
  stop(): Promise<void>;
}

/**
 * kubelet: PodCouldHaveRunningContainers, and whether anything of the pod is left at all. A pod
 * no worker has and the runtime does not know (one rejected at admission) is 'gone'.
 */
export function podRuntimeState(host: Pick<ClusterPodsHost, 'workers' | 'cache'>, uid: string): PodRuntimeState {
  const state = host.workers.state(uid);
  if (state) return state.kind === 'terminated' ? 'terminated' : 'running';
  const observed = host.cache.get(uid);
  if (!observed) return 'gone';
  const live = observed.containers.some((c) => c.state !== 'exited') || observed.sandboxes.some((s) => s.state === 'ready');
  return live ? 'running' : 'terminated';
}

export function createClusterPods(client: KubeClient, host: ClusterPodsHost): ClusterPods {
  let mirrorLookup: ((staticPod: V1Pod) => V1Pod | undefined) | undefined;
  const mirrorSubscribers: Array<(mirrorPods: V1Pod[]) => void> = [];
  const sink: ApiStatusSink = new ApiStatusSink({
    pods: client.pods,
    apiPod: (uid) => source.getPod(uid),
    mirrorPodFor: (pod) => mirrorLookup?.(pod),
    podRuntimeState: (uid) => podRuntimeState(host, uid),
    logger: host.logger.child({ component: 'status-writer' }),
  });
  const source = createApiServerSource({
    pods: client.pods,
    nodeName: host.nodeName,
    logger: host.logger.child({ component: 'api-pod-source' }),
    onPodChange: (pod) => sink.apiPodChanged(pod.metadata?.uid ?? ''),
    onMirrorPods: (mirrors) => {
      for (const cb of mirrorSubscribers) cb(mirrors);
      // A static pod whose mirror pod just appeared can have its status written now.
      sink.resync();
    },
  });
  // Before the Kubelet starts, so the first statuses are heard.
  host.statusManager.addSink(sink);
  sink.start();
  return {
    source,
    sink,
    setMirrorPodLookup(fn) {
      mirrorLookup = fn;
      sink.resync();
    },
    onMirrorPods: (cb) => void mirrorSubscribers.push(cb),
    stop: () => sink.stop(),
  };
}
