// The `mini-kubelet` run command: assembles every part (runtime, sources, workers, PLEG, status, server) into a running agent.
import { createFileSource } from '../config/file-source.js';
import { createHttpSource } from '../config/http-source.js';
import type { PodSource } from '../config/types.js';
import { createCriClient } from '../cri/client.js';
import { connectRuntime } from '../cri/handshake.js';
import { EventRecorder } from '../events/recorder.js';
import { ContainerGC } from '../gc/container-gc.js';
import { StopFirst } from '../podworker/stop-first.js';
import { Kubelet } from '../kubelet.js';
import { HookRunner } from '../lifecycle/handlers.js';
import { createLogger } from '../log.js';
import { ContainerLogManager } from '../logs/log-manager.js';
import { registerPlegMetrics } from '../metrics/pleg.js';
import { registerPodWorkerMetrics } from '../metrics/podworker.js';
import { createProbeMetrics } from '../metrics/probes.js';
import { createMetricsRegistry } from '../metrics/registry.js';
import { resourceMetrics } from '../metrics/resource.js';
import { registerRuntimeMetrics } from '../metrics/runtime.js';
import { nodeIPOf, nodeNameOf } from '../node/address.js';
import { PodCache } from '../pleg/cache.js';
import { GenericPLEG } from '../pleg/generic.js';
import { PodConfig } from '../podconfig/podconfig.js';
import { BackOff, CRASH_LOOP_INITIAL_MS, IMAGE_PULL_INITIAL_MS, IMAGE_PULL_MAX_MS, MOUNT_RETRY_INITIAL_MS, MOUNT_RETRY_MAX_MS } from '../podworker/backoff.js';
import { ImageManager } from '../podworker/images.js';
import { OrphanedPodDirs } from '../volumes/orphaned-pod-dirs.js';
import { SandboxRequests } from '../podworker/sandbox-requests.js';
import { KubeletPodSyncer } from '../podworker/sync-pod.js';
import { PodWorkers } from '../podworker/workers.js';
import { ProbeManager } from '../prober/manager.js';
import type { EndpointSources } from '../server/endpoints.js';
import { startReadOnlyServer } from '../server/read-only-server.js';
import { StatsProvider } from '../stats/provider.js';
import { StatusManager } from '../status/manager.js';
import type { VolumeClusterSources } from '../volumes/cluster-sources.js';
import { HostVolumeManager } from '../volumes/manager.js';
import { recordCriCalls } from '../trace/recording-cri.js';
import { TraceStore } from '../trace/store.js';
import type { RunOptions } from './flags.js';
import type { ClusterMode } from './run-cluster.js';
import { nodeSettings } from './node-settings.js';
import { resolveNodeApiAuth, type NodeApiAuth } from './flags-node-api.js';
import { startNodeApi } from './run-node-api.js';
import { firstShutdownSignal } from './signals.js';
import { startHeapTrim } from './heap-trim.js';

export async function runAgent(o: RunOptions): Promise<void> {
  const logger = createLogger(o.logLevel, o.logFormat);
  const clock = () => Date.now();
  const nodeName = nodeNameOf(o.hostnameOverride);
  const hostIP = nodeIPOf(o.nodeIp);
  // Served at /metrics; the parts only count and observe, the gauges are read when scraped.
  const metrics = createMetricsRegistry();
  // Cluster mode's modules (client-node above all) take seconds to load: start now, use below.
  const clusterModule = o.kubeconfig ? import('./run-cluster.js') : undefined;
  // A failed load is reported where it is awaited; until then it must not count as unhandled.
  clusterModule?.catch(() => undefined);
  // The node API's authentication and authorization, checked before anything starts.
  let nodeApiAuth: NodeApiAuth;
  try {
    nodeApiAuth = resolveNodeApiAuth(o);
  } catch (err) {
    process.stderr.write(`mini-kubelet: ${(err as Error).message}\n`);
    process.exitCode = 1;
    return;
  }

  const cri = createCriClient({
    runtimeEndpoint: o.containerRuntimeEndpoint,
    imageEndpoint: o.imageServiceEndpoint,
    timeoutMs: o.runtimeRequestTimeout,
    logger,
    observer: registerRuntimeMetrics(metrics),
  });
  try {
    const info = await connectRuntime(cri);
    const v = info.version;
    logger.info({ runtime: `${v.runtimeName} ${v.runtimeVersion}`, api: v.runtimeApiVersion, nodeName, hostIP }, 'connected to the container runtime');
    // The kubelet keeps going when the runtime is not ready yet (it reports the node NotReady); so do we.
    for (const problem of info.problems) logger.warn(problem);
  } catch (err) {
    process.stderr.write(`mini-kubelet: ${(err as Error).message}\n`);
    cri.close();
    process.exitCode = 1;
    return;
  }

  const node = await nodeSettings(o, { nodeName, hostIP, logger }, { sideEffects: true });
  if (!node) {
    cri.close();
    process.exitCode = 1;
    return;
  }
  const recorder = new EventRecorder({ logger, clock });
  // The CRI calls each pod's syncs make, with their cause (src/trace/): what `mini-kubelet trace` shows.
  // The prober, the GC, stats and log rotation keep the plain client: their calls belong to no sync.
  const traces = new TraceStore();
  const traced = recordCriCalls(cri, (cause, entry) => traces.record(cause, entry), clock);
  const cache = new PodCache();
  const relistObserver = registerPlegMetrics(metrics, { cache, lastRelistAt: () => pleg.lastRelist().at || undefined });
  const pleg = new GenericPLEG({ cri: traced, nodeName, cache, relistPeriodMs: o.plegRelistPeriod, clock: { now: clock }, logger, relistObserver });
  const statusManager = new StatusManager({ clock: { now: clock }, logger });
  const crashLoopBackOff = new BackOff({ initialMs: CRASH_LOOP_INITIAL_MS, maxMs: o.maxContainerRestartPeriod, clock });
  const images = new ImageManager({
    cri: traced,
    backOff: new BackOff({ initialMs: IMAGE_PULL_INITIAL_MS, maxMs: IMAGE_PULL_MAX_MS, clock }),
    recorder,
    logger,
    clock,
    serializeImagePulls: o.serializeImagePulls,
  });
  // Probes read each pod's status and, when a result changes, wake its worker (created below).
  // Served at /metrics/probes, apart from /metrics as in the kubelet.
  const probeMetrics = createProbeMetrics();
  const prober = new ProbeManager({
    cri,
    recorder,
    logger,
    statusOf: (uid) => statusManager.peekPodStatus(uid),
    wake: (uid) => workers.wake(uid),
    metrics: probeMetrics.observer,
  });
  statusManager.addSink(prober);
  // Node allocatable (src/node/allocatable.ts): unset limits in resourceFieldRef, the tmpfs ceiling.
  // In cluster mode, tokens and ConfigMaps for projected volumes (asked when used, so the cluster
  // parts may be built after this); without, those sources are refused.
  const volumes = new HostVolumeManager(o.rootDir, {
    nodeName, hostIP, clusterDomain: o.clusterDomain, logger, allocatable: node.container.allocatable, cluster: (): VolumeClusterSources | undefined => cluster?.volumeSources,
  });
  const podDirs = new OrphanedPodDirs({ rootDir: o.rootDir, tearDownPod: (uid) => volumes.tearDownPod(uid), logger });
  const syncer = new KubeletPodSyncer({
    cri: traced,
    images,
    volumes,
    recorder,
    crashLoopBackOff,
    mountBackOff: new BackOff({ initialMs: MOUNT_RETRY_INITIAL_MS, maxMs: MOUNT_RETRY_MAX_MS, clock }),
    logger,
    clock,
    hostIP,
    sandboxOptions: node.sandbox,
    containerOptions: node.container,
    podCgroups: node.podCgroups,
    cache,
    pleg,
    statusManager,
    probes: prober.view(),
    lifecycle: new HookRunner({ cri: traced, recorder, logger }),
    sandboxRequests: new SandboxRequests(),
    stopFirst: new StopFirst(),
    trace: traces,
    // In cluster mode: ConfigMaps, Secrets and services for the environment, pull secrets (built below).
    cluster: () => cluster?.podObjects,
  });
  const workers = new PodWorkers({
    syncer,
    logger,
    concurrency: Math.max(1, o.maxConcurrentPodSyncs),
    syncFrequencyMs: o.syncFrequency,
    workObserver: registerPodWorkerMetrics(metrics),
  });
  const podConfig = new PodConfig({ logger });
  // --kubeconfig: the API server's pods and the sinks that report to it (run-cluster.ts).
  // Loaded only with --kubeconfig: client-node and the cluster parts cost a static-only agent ~76 MB of RSS.
  let cluster: ClusterMode | undefined;
  if (clusterModule) {
    const { createClusterMode } = await clusterModule;
    cluster = await createClusterMode(o, {
      nodeName, hostIP, logger, statusManager, workers, cache, cri, pleg, recorder, podConfig,
      resources: node.resources,
      appArmorEnabled: node.container.appArmorEnabled === true,
    });
  }
  if (o.kubeconfig && !cluster) {
    cri.close();
    process.exitCode = 1;
    return;
  }
  // As the kubelet's makePodSourceConfig: a file source when there is a manifest path, a URL
  // source when there is a URL, both, or neither (then there are no pods, and all sources are
  // ready at once). The order is the merge's precedence for a name both claim.
  const sources: PodSource[] = [];
  if (o.podManifestPath) sources.push(createFileSource({
    manifestDir: o.podManifestPath,
    nodeName,
    checkFrequencyMs: o.fileCheckFrequency,
    // The kubelet reads a changed manifest as soon as inotify reports it, and so do we: events
    // that arrive during a pass are folded into one more pass after it, and a file caught
    // half-written keeps its last good version until the next re-list. Any wait here is added
    // to every pod start (10 ms was about a fifth of the agent's startup overhead).
    debounceMs: 0,
    clock: { now: clock },
    logger,
  }));
  if (o.manifestUrl) {
    sources.push(createHttpSource({
      url: o.manifestUrl,
      headers: o.manifestUrlHeader,
      nodeName,
      checkFrequencyMs: o.httpCheckFrequency,
      clock: { now: clock },
      logger,
    }));
  }
  if (cluster) sources.push(...cluster.sources);
  const gc: ContainerGC = new ContainerGC({
    cri,
    nodeName,
    podLogsDir: o.podLogsDir,
    policy: { minAgeMs: o.minimumContainerTtlDuration, maxPerPodContainer: o.maximumDeadContainersPerContainer, maxContainers: o.maximumDeadContainers },
    // Read at collection time, after the Kubelet below exists.
    livePods: (): Set<string> => kubelet.livePodUids(),
    clock,
    logger,
  });
  const kubelet = new Kubelet({ sources, podConfig, workers, pleg, cache, statusManager, recorder, logger, gc, containerGCPeriodMs: o.containerGcPeriod, podDirs, admissionNode: node.admission, crashLoopBackOff });

  await kubelet.start();
  await cluster?.start();
  // Rotation of running containers' logs (src/logs/log-manager.ts); as the kubelet's, it does not wait for the sources.
  const logRotation = new ContainerLogManager({
    cri,
    nodeName,
    podLogsDir: o.podLogsDir,
    policy: { maxSize: o.containerLogMaxSize, maxFiles: o.containerLogMaxFiles },
    monitorIntervalMs: o.containerLogMonitorInterval,
    clock,
    logger,
  });
  logRotation.start();
  // /stats/summary: measured at each request (runtime, cgroups, /proc, statfs); only the CPU rates are kept.
  const stats = new StatsProvider({
    cri,
    nodeName,
    rootDir: o.rootDir,
    podLogsDir: o.podLogsDir,
    cgroupRoot: o.cgroupsPerQos ? o.cgroupRoot : undefined,
    clock,
  });
  // What the read-only port and the node API both serve (src/server/endpoints.ts).
  const endpoints: EndpointSources = {
    source: kubelet.view(),
    logger,
    containerLogs: { pods: () => kubelet.pods(), observed: (uid) => cache.get(uid), podLogsDir: o.podLogsDir },
    metrics,
    summary: (opts) => stats.summary(opts),
    resourceMetrics: resourceMetrics((opts) => stats.summary(opts), logger),
    probeMetrics: probeMetrics.registry,
  };
  const server = await startReadOnlyServer({
    ...endpoints, address: o.address, port: o.readOnlyPort, events: (uid) => recorder.eventsFor(uid), nodeName,
    trace: traces,
    runtimePods: () => cache.uids().flatMap((uid) => cache.get(uid) ?? []),
  });
  // The node API (HTTPS, --port): the same endpoints behind authentication, plus exec, attach, port-forward.
  const nodeApi = o.enableServer
    ? await startNodeApi(o, {
      nodeName, hostIP, logger, auth: nodeApiAuth, kube: cluster?.client, endpoints, metrics,
      streaming: { cri, pods: () => kubelet.pods(), observed: (uid) => cache.get(uid) },
      observedPods: () => cache.uids().flatMap((uid) => cache.get(uid) ?? []),
    })
    : undefined;
  if (o.enableServer && !nodeApi) process.exitCode = 1;
  logger.info({ manifests: o.podManifestPath || undefined, manifestUrl: o.manifestUrl, readOnlyPort: server.port || 'disabled' }, 'mini-kubelet is running');
  // Resident memory back to its steady size soon after each burst of pod starts (src/cli/heap-trim.ts).
  const heapTrim = startHeapTrim(logger);

  // The kubelet exits when its server cannot listen; so does the agent, leaving its pods running.
  if (process.exitCode !== 1) await firstShutdownSignal(process, logger, (code) => process.exit(code));
  heapTrim.stop();
  await nodeApi?.close();
  await server.close();
  await cluster?.stop();
  prober.stop();
  await logRotation.stop();
  await kubelet.stop();
  cri.close();
}
