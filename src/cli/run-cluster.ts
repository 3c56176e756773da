// Cluster mode, beside the static parts: the node's API client, and the API-facing parts the run command adds when --kubeconfig is given.
//
// The API server is one more pod source and a few more sinks, not a second core: the agent
// assembled by run.ts is the same with or without a cluster. This file builds what --kubeconfig
// adds (src/kubeclient/ for the client; the parts themselves live in their own folders) and
// starts and stops them around the Kubelet.
import type { Logger } from 'pino';
import type { PodSource } from '../config/types.js';
import type { KubeClient } from '../kubeclient/types.js';
import { ServiceCache } from '../objects/services.js';
import type { PodCache } from '../pleg/cache.js';
import type { ClusterObjects } from '../podworker/cluster-objects.js';
import type { PodWorkers } from '../podworker/workers.js';
import type { StatusManager } from '../status/manager.js';
import { createNodeCredentials, type NodeCredentials } from './cluster-credentials.js';
import { createNodeSide, type NodeHost, type NodeSide } from './cluster-node.js';
import { createClusterPods } from './cluster-pods.js';
import type { VolumeClusterSources } from '../volumes/cluster-sources.js';
import type { RunOptions } from './flags.js';
import { createClusterVolumes } from './run-cluster-volumes.js';
import { isMirrorPodOf } from '../mirror/mirror-client.js';

/** What the cluster parts need from the running agent, handed over once it runs. */
export interface ClusterHost extends NodeHost {
  nodeName: string;
  hostIP: string;
  logger: Logger;
  // Pods side: the status writer hears the status manager; what runs comes from workers and runtime.
  // Node side (NodeHost): the runtime, PLEG, recorder, workers and pod config, the node's resources.
  statusManager: Pick<StatusManager, 'addSink' | 'setMirrorPodLookup' | 'mirrorPodsChanged'>;
  workers: Pick<PodWorkers, 'state' | 'uids'>;
  cache: Pick<PodCache, 'get'>;
}

export interface ClusterMode {
  client: KubeClient;
  /** Pod sources to add beside the static ones (the API server's pods bound to this node). */
  sources: PodSource[];
  /** Node, Lease, mirror pods, events (src/cli/cluster-node.ts). */
  node: NodeSide;
  /** Tokens, ConfigMaps and Secrets for volumes; run.ts gives them to the volume manager. */
  volumeSources: VolumeClusterSources;
  /** ConfigMaps, Secrets and services for container environments and image pulls; run.ts gives them to the pod workers. */
  podObjects: ClusterObjects;
  /** Starts the parts that need the running agent. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The cluster parts for --kubeconfig, or undefined (after saying why on stderr) when the
 * kubeconfig cannot be used. Nothing here waits for the API server: a node agent starts and runs
 * its static pods while the control plane is away, and catches up when it answers.
 */
export async function createClusterMode(o: RunOptions, host: ClusterHost): Promise<ClusterMode | undefined> {
  if (!o.kubeconfig) return undefined;
  let client: KubeClient;
  // --bootstrap-kubeconfig / --rotate-certificates: the client certificate is got and renewed in
  // the background (src/cli/cluster-credentials.ts); the client is usable at once either way.
  let credentials: NodeCredentials;
  try {
    credentials = await createNodeCredentials(o, host, {
      kubeconfig: o.kubeconfig,
      qps: o.kubeApiQps,
      burst: o.kubeApiBurst,
      // kubelet: the heartbeat client's timeout is the smaller of the status period and the lease duration.
      heartbeatTimeoutMs: Math.min(o.nodeStatusUpdateFrequency, o.nodeLeaseDurationSeconds * 1000),
      eventQps: o.eventQps,
      eventBurst: o.eventBurst,
    });
    client = credentials.client;
  } catch (err) {
    process.stderr.write(`mini-kubelet: cannot use --kubeconfig ${o.kubeconfig}: ${(err as Error).message}\n`);
    return undefined;
  }
  host.logger.info({ server: client.server, nodeName: host.nodeName }, 'cluster mode: joining the API server');
  const sources: PodSource[] = [];
  // Pods side (cluster-pods.ts): the API's pods bound to this node, their status back to pods/status.
  const pods = createClusterPods(client, host);
  sources.push(pods.source);
  // Node side (cluster-node.ts): Node, Lease, events; its mirror pods come from the pod source's
  // watch, and a static pod's status goes to its mirror pod.
  const node = createNodeSide(o, client, host);
  node.useMirrorPodFeed((cb) => pods.onMirrorPods(cb));
  pods.setMirrorPodLookup((staticPod) => node.mirrorPods.mirrorFor(staticPod));
  // A static pod's status starts from its mirror pod's after a restart (start time, transition times).
  host.statusManager.setMirrorPodLookup((staticPod) => {
    const mirror = node.mirrorPods.mirrorFor(staticPod);
    return mirror && isMirrorPodOf(mirror, staticPod) ? mirror : undefined;
  });
  pods.onMirrorPods(() => host.statusManager.mirrorPodsChanged());
  // Volumes: tokens, and ConfigMaps and Secrets watched one by one (run-cluster-volumes.ts).
  const volumes = createClusterVolumes(client, host.logger);
  // Container environments: the same ConfigMap and Secret managers, and every Service (the service
  // links), listed at once so the first API pods need not wait for them.
  const services = new ServiceCache(client.services, host.logger.child({ component: 'services' }));
  services.start();
  const podObjects: ClusterObjects = { configMaps: volumes.sources.configMaps, secrets: volumes.sources.secrets, services };
  return {
    client,
    sources,
    node,
    volumeSources: volumes.sources,
    podObjects,
    start: async () => {
      volumes.start();
      await node.start();
    },
    stop: async () => {
      node.stop();
      await pods.stop();
      volumes.stop();
      services.stop();
      await credentials.stop();
      client.close();
    },
  };
}
