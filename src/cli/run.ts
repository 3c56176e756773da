// The `mini-kubelet` run command: assembles every part (runtime, sources, workers, PLEG, status, server) into a running agent.
import { mkdir, readFile } from 'node:fs/promises';
import { release } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { defaultNodeLabels } from '../admission/node-affinity.js';
import type { AdmissionNode } from '../admission/types.js';
import { createFileSource } from '../config/file-source.js';
import { createHttpSource } from '../config/http-source.js';
import type { PodSource } from '../config/types.js';
import { createCriClient } from '../cri/client.js';
import { connectRuntime } from '../cri/handshake.js';
import { EventRecorder } from '../events/recorder.js';
import { ContainerGC } from '../gc/container-gc.js';
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
import { nodeResources, readMachineInfo, type NodeResources } from '../node/allocatable.js';
import { CgroupfsManager } from '../node/cgroups-fs.js';
import { PodCache } from '../pleg/cache.js';
import { GenericPLEG } from '../pleg/generic.js';
import { PodConfig } from '../podconfig/podconfig.js';
import { BackOff, CRASH_LOOP_INITIAL_MS, IMAGE_PULL_INITIAL_MS, IMAGE_PULL_MAX_MS } from '../podworker/backoff.js';
import { ImageManager } from '../podworker/images.js';
import type { NodeContainerOptions } from '../podworker/translate/container-config.js';
import type { NodePolicy } from '../podworker/translate/policy.js';
import { safeSysctls, SysctlAllowlist } from '../podworker/translate/sysctls.js';
import { OrphanedPodDirs } from '../volumes/orphaned-pod-dirs.js';
import { SandboxRequests } from '../podworker/sandbox-requests.js';
import { KubeletPodSyncer } from '../podworker/sync-pod.js';
import { PodWorkers } from '../podworker/workers.js';
import { ProbeManager } from '../prober/manager.js';
import { startReadOnlyServer } from '../server/read-only-server.js';
import { StatsProvider } from '../stats/provider.js';
import { StatusManager } from '../status/manager.js';
import { HostVolumeManager } from '../volumes/manager.js';
import type { RunOptions } from './flags.js';
import type { ClusterMode } from './run-cluster.js';

export async function runAgent(o: RunOptions): Promise<void> {
  const logger = createLogger(o.logLevel, o.logFormat);
  const clock = () => Date.now();
  const nodeName = nodeNameOf(o.hostnameOverride);
  const hostIP = nodeIPOf(o.nodeIp);
  // Served at /metrics; the parts only count and observe, the gauges are read when scraped.
  const metrics = createMetricsRegistry();

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

  let resolvConf: string | undefined;
  if (o.resolvConf) {
    resolvConf = await readFile(o.resolvConf, 'utf8').catch((err: Error) => {
      logger.warn({ resolvConf: o.resolvConf, err: err.message }, 'cannot read --resolv-conf: pods with dnsPolicy Default get no nameservers');
      return '';
    });
  }
  const node = await nodeSettings(o, nodeName, logger);
  if (!node) {
    cri.close();
    process.exitCode = 1;
    return;
  }
  const recorder = new EventRecorder({ logger, clock });
  const cache = new PodCache();
  const relistObserver = registerPlegMetrics(metrics, { cache, lastRelistAt: () => pleg.lastRelist().at || undefined });
  const pleg = new GenericPLEG({ cri, nodeName, cache, relistPeriodMs: o.plegRelistPeriod, clock: { now: clock }, logger, relistObserver });
  const statusManager = new StatusManager({ clock: { now: clock }, logger });
  const crashLoopBackOff = new BackOff({ initialMs: CRASH_LOOP_INITIAL_MS, maxMs: o.maxContainerRestartPeriod, clock });
  const images = new ImageManager({
    cri,
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
  const volumes = new HostVolumeManager(o.rootDir, { nodeName, hostIP, clusterDomain: o.clusterDomain, logger, allocatable: node.container.allocatable });
  const podDirs = new OrphanedPodDirs({ rootDir: o.rootDir, tearDownPod: (uid) => volumes.tearDownPod(uid), logger });
  const syncer = new KubeletPodSyncer({
    cri,
    images,
    volumes,
    recorder,
    crashLoopBackOff,
    logger,
    clock,
    hostIP,
    sandboxOptions: { nodeName, podLogsDir: o.podLogsDir, resolvConf, clusterDNS: o.clusterDns, clusterDomain: o.clusterDomain, nodeIPs: [hostIP], ...node.sandbox },
    containerOptions: node.container,
    podCgroups: node.podCgroups,
    cache,
    pleg,
    statusManager,
    probes: prober.view(),
    lifecycle: new HookRunner({ cri, recorder, logger }),
    sandboxRequests: new SandboxRequests(),
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
  if (o.kubeconfig) {
    const { createClusterMode } = await import('./run-cluster.js');
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
  const kubelet = new Kubelet({ sources, podConfig, workers, pleg, cache, statusManager, recorder, logger, gc, containerGCPeriodMs: o.containerGcPeriod, podDirs, admissionNode: node.admission });

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
  const server = await startReadOnlyServer({
    address: o.address,
    port: o.readOnlyPort,
    source: kubelet.view(),
    logger,
    containerLogs: { pods: () => kubelet.pods(), observed: (uid) => cache.get(uid), podLogsDir: o.podLogsDir },
    events: (uid) => recorder.eventsFor(uid),
    nodeName,
    metrics,
    summary: (opts) => stats.summary(opts),
    resourceMetrics: resourceMetrics((opts) => stats.summary(opts), logger),
    probeMetrics: probeMetrics.registry,
  });
  logger.info({ manifests: o.podManifestPath || undefined, manifestUrl: o.manifestUrl, readOnlyPort: server.port || 'disabled' }, 'mini-kubelet is running');

  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info({ signal }, 'shutting down; pods keep running in the runtime');
      resolve();
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
  await server.close();
  await cluster?.stop();
  prober.stop();
  await logRotation.stop();
  await kubelet.stop();
  cri.close();
}

/**
 * What the node contributes to every pod's sandbox and containers: allocatable (capacity minus the
 * kubelet's default hard-eviction thresholds, memory.available<100Mi and nodefs.available<10%,
 * subtracted as fixed values: there is no --eviction-hard, --kube-reserved or --system-reserved),
 * the seccomp root (<root-dir>/seccomp, as the kubelet's), the policy flags, AppArmor, and the QoS
 * cgroup hierarchy; and what pods are admitted against (labels, allocatable, --max-pods, the sysctl
 * allowlist). Undefined (after saying why on stderr) when a flag is invalid, the machine (the root
 * dir's filesystem, the huge pages) cannot be read, or the cgroups cannot be made.
 */
async function nodeSettings(o: RunOptions, nodeName: string, logger: Logger) {
  const policy: NodePolicy = { allowPrivileged: o.allowPrivileged, allowHostNamespaces: o.allowHostNamespaces, allowHostPath: o.allowHostPath };
  const appArmorEnabled = (await readFile('/sys/module/apparmor/parameters/enabled', 'utf8').catch(() => 'N')).trim() === 'Y';
  let sysctls: SysctlAllowlist;
  let podCgroups: CgroupfsManager | undefined;
  let resources: NodeResources;
  try {
    sysctls = new SysctlAllowlist([...safeSysctls(release()), ...o.allowedUnsafeSysctls]);
    // setupDataDirs makes --root-dir before its filesystem is measured (ephemeral-storage capacity).
    await mkdir(o.rootDir, { recursive: true, mode: 0o750 });
    resources = nodeResources(readMachineInfo(o.rootDir), o.maxPods);
    if (o.cgroupsPerQos) {
      podCgroups = new CgroupfsManager({ cgroupRoot: o.cgroupRoot, logger, capacity: resources.capacity });
      await podCgroups.start();
    }
  } catch (err) {
    process.stderr.write(`mini-kubelet: ${(err as Error).message}\n`);
    return undefined;
  }
  const container: NodeContainerOptions = {
    allocatable: resources.allocatable,
    // Burstable oom_score_adj is against the machine's memory (MachineInfo.MemoryCapacity), not allocatable.
    memoryCapacity: Number(resources.capacity.memory),
    seccompProfileRoot: path.join(o.rootDir, 'seccomp'),
    policy,
    appArmorEnabled,
  };
  const sandbox = { policy, appArmorEnabled, ...(o.cgroupsPerQos ? { cgroupRoot: o.cgroupRoot } : {}) };
  // What pods are admitted against: the kubelet's own node labels and --node-labels, the same allocatable (pods is --max-pods).
  const admission: AdmissionNode = {
    name: nodeName,
    labels: { ...defaultNodeLabels(nodeName), ...o.nodeLabels },
    allocatable: resources.admission,
    sysctls,
  };
  return { container, sandbox, podCgroups, admission, resources };
}
