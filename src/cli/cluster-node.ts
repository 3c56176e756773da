// The node side of cluster mode, assembled: the Node's registration and status, its Lease, the mirror pods of static pods, and the events written to the API server.
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { realClock, type Clock } from '../clock.js';
import { isStaticPod } from '../config/annotations.js';
import type { Image, RuntimeStatusResponse, VersionResponse } from '../cri/types.js';
import { ApiEventSink } from '../events/api-sink.js';
import type { EventSink } from '../events/recorder.js';
import type { KubeClient } from '../kubeclient/types.js';
import { MirrorClient } from '../mirror/mirror-client.js';
import { MirrorPodLister } from '../mirror/mirror-lister.js';
import { MirrorPods } from '../mirror/mirror-pods.js';
import { initialNodeLabels } from '../node/labels.js';
import { NodeLeaseController } from '../node/lease.js';
import { NodeStatusController } from '../node/node-status-controller.js';
import { nodeStatusFuncs } from '../node/node-status-funcs.js';
import { initialNode } from '../node/registration.js';
import { RUNTIME_UP_PERIOD_MS, RuntimeState } from '../node/runtime-state.js';
import { readSystemInfo } from '../node/system-info.js';
import type { PodWorkerState } from '../podworker/state.js';
import type { RunOptions } from './flags.js';

/** What the node side needs from the running agent. */
export interface NodeHost {
  nodeName: string;
  hostIP: string;
  logger: Logger;
  cri: {
    status(): Promise<RuntimeStatusResponse>;
    version(): Promise<VersionResponse>;
    listImages(): Promise<Image[]>;
  };
  pleg: { healthy(): { ok: boolean; message: string } };
  recorder: { addSink(sink: EventSink): void };
  workers: { uids(): string[]; state(uid: string): PodWorkerState | undefined };
  podConfig: { pods(): V1Pod[] };
  /** The Node's capacity and allocatable (src/node/allocatable.ts). */
  resources: { capacity: Record<string, string>; allocatable: Record<string, string> };
  appArmorEnabled: boolean;
}

export interface NodeSide {
  /** Mirror pods: `mirrorFor(staticPod)` for the status sink; `replaceAll` / `observe` for the API pod source. */
  mirrorPods: MirrorPods;
  /**
   * Where the mirror pods in the API come from: `subscribe` is handed a callback for the whole set
   * of this node's mirror pods each time it changes (the API pod source's watch). Called before
   * start(); without it, the node side lists this node's pods every 5 s itself.
   */
  useMirrorPodFeed(subscribe: (cb: (mirrorPods: V1Pod[]) => void) => void): void;
  events: ApiEventSink;
  nodeStatus: NodeStatusController;
  lease: NodeLeaseController;
  start(): Promise<void>;
  stop(): void;
}

export type NodeSideOptions = Pick<RunOptions,
  'nodeLabels' | 'registerNode' | 'registerWithTaints' | 'nodeStatusUpdateFrequency' | 'nodeStatusReportFrequency' |
  'nodeLeaseDurationSeconds' | 'port' | 'cgroupsPerQos' | 'providerId'>;

/** Builds the node side; the event sink is attached at once (pod events from the first sync reach the API), the rest starts with start(). */
export function createNodeSide(o: NodeSideOptions, client: KubeClient, host: NodeHost, clock: Clock = realClock): NodeSide {
  const { nodeName, logger } = host;
  const events = new ApiEventSink({ events: client.events, nodeName, clock, logger });
  host.recorder.addSink(events);
  const runtime = new RuntimeState({ cri: host.cri, clock, logger, healthChecks: [{ name: 'PLEG', check: () => host.pleg.healthy() }] });
  const labels = initialNodeLabels(nodeName, o.nodeLabels);
  let setNodeStatus: ((node: V1Node) => Promise<void>) | undefined;
  let leaseStarted = false;
  const nodeStatus = new NodeStatusController({
    nodes: client.nodes,
    nodeName,
    registerNode: o.registerNode,
    initialNode: () => initialNode(nodeName, labels, o.registerWithTaints, o.providerId),
    setNodeStatus: (node) => setNodeStatus!(node),
    refreshRuntime: () => runtime.updateRuntimeUp(),
    // The Lease names the Node as its owner, so it starts once the Node is there (the kubelet's
    // starts at once and fails its first tries until then).
    onNode: () => {
      if (!leaseStarted) lease.start();
      leaseStarted = true;
    },
    updateFrequencyMs: o.nodeStatusUpdateFrequency,
    reportFrequencyMs: o.nodeStatusReportFrequency,
    clock,
    logger,
  });
  const lease = new NodeLeaseController({
    leases: client.leases,
    nodeName,
    leaseDurationSeconds: o.nodeLeaseDurationSeconds,
    nodeUID: async () => {
      const uid = nodeStatus.node()?.metadata?.uid ?? (await client.nodes.get(nodeName)).metadata?.uid;
      if (!uid) throw new Error(`node ${nodeName} has no UID yet`);
      return uid;
    },
    clock,
    logger,
  });
  const staticPodOf = (uid: string) => {
    const s = host.workers.state(uid);
    return s && isStaticPod(s.pod) ? s : undefined;
  };
  const mirrorPods = new MirrorPods({
    client: new MirrorClient({ pods: client.pods, nodeName, logger }),
    staticPods: {
      syncing: () => host.workers.uids().map(staticPodOf).filter((s) => s?.kind === 'syncing').map((s) => s!.pod),
      exists: (namespace, name) =>
        host.podConfig.pods().some((p) => isStaticPod(p) && p.metadata?.namespace === namespace && p.metadata?.name === name) ||
        host.workers.uids().map(staticPodOf).some((s) => s?.kind === 'terminating' && s.pod.metadata?.namespace === namespace && s.pod.metadata?.name === name),
    },
    node: () => nodeStatus.node(),
    clock,
    logger,
  });
  let lister: MirrorPodLister | undefined = new MirrorPodLister({ pods: client.pods, nodeName, mirrorPods, clock, logger });

  return {
    mirrorPods,
    useMirrorPodFeed(subscribe) {
      lister = undefined;
      subscribe((pods) => mirrorPods.replaceAll(pods));
    },
    events,
    nodeStatus,
    lease,
    async start() {
      // kubelet BirthCry.
      events.nodeEvent('Normal', 'Starting', 'Starting kubelet.');
      const system = await readSystemInfo();
      // A first runtime status before the first registration, so a healthy node registers Ready.
      await runtime.updateRuntimeUp();
      runtime.start(RUNTIME_UP_PERIOD_MS);
      setNodeStatus = nodeStatusFuncs({
        nodeName,
        nodeIP: host.hostIP,
        port: o.port,
        system,
        resources: host.resources,
        runtimeName: runtime.runtimeVersion()?.runtimeName ?? 'unknown',
        runtime,
        listImages: () => host.cri.listImages(),
        appArmorEnabled: host.appArmorEnabled,
        now: () => clock.now(),
        recordEvent: (type, reason, message) => events.nodeEvent(type, reason, message),
        logger,
      });
      nodeStatus.start();
      mirrorPods.start();
      lister?.start();
      // kubelet enforceNodeAllocatableCgroups: the kubepods cgroup holds allocatable (src/node/cgroups-fs.ts).
      if (o.cgroupsPerQos) events.nodeEvent('Normal', 'NodeAllocatableEnforced', 'Updated Node Allocatable limit across pods');
    },
    stop() {
      lister?.stop();
      mirrorPods.stop();
      lease.stop();
      nodeStatus.stop();
      runtime.stop();
      events.stop();
    },
  };
}
