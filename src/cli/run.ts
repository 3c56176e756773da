// The `mini-kubelet` run command: its flags (named as the kubelet's) and the assembly of every part into a running agent.
import { Option, type Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { cpus, release, totalmem } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { createFileSource } from '../config/file-source.js';
import { createCriClient } from '../cri/client.js';
import { connectRuntime } from '../cri/handshake.js';
import { EventRecorder } from '../events/recorder.js';
import { ContainerGC } from '../gc/container-gc.js';
import { Kubelet } from '../kubelet.js';
import { HookRunner } from '../lifecycle/handlers.js';
import { createLogger, type LogFormat } from '../log.js';
import { nodeIPOf, nodeNameOf } from '../node/address.js';
import { CgroupfsManager } from '../node/cgroups-fs.js';
import { PodCache } from '../pleg/cache.js';
import { GenericPLEG } from '../pleg/generic.js';
import { PodConfig } from '../podconfig/podconfig.js';
import { BackOff, CRASH_LOOP_INITIAL_MS, IMAGE_PULL_INITIAL_MS, IMAGE_PULL_MAX_MS } from '../podworker/backoff.js';
import { ImageManager } from '../podworker/images.js';
import type { NodeContainerOptions } from '../podworker/translate/container-config.js';
import type { NodePolicy } from '../podworker/translate/policy.js';
import { safeSysctls, SysctlAllowlist } from '../podworker/translate/sysctls.js';
import { KubeletPodSyncer } from '../podworker/sync-pod.js';
import { PodWorkers } from '../podworker/workers.js';
import { ProbeManager } from '../prober/manager.js';
import { startReadOnlyServer } from '../server/read-only-server.js';
import { StatusManager } from '../status/manager.js';
import { HostVolumeManager } from '../volumes/manager.js';
import { parseDuration } from './duration.js';

export interface RunOptions {
  podManifestPath: string;
  containerRuntimeEndpoint: string;
  imageServiceEndpoint?: string;
  runtimeRequestTimeout: number;
  hostnameOverride?: string;
  nodeIp?: string;
  podLogsDir: string;
  rootDir: string;
  fileCheckFrequency: number;
  syncFrequency: number;
  plegRelistPeriod: number;
  maxConcurrentPodSyncs: number;
  serializeImagePulls: boolean;
  maxContainerRestartPeriod: number;
  containerGcPeriod: number;
  minimumContainerTtlDuration: number;
  maximumDeadContainersPerContainer: number;
  readOnlyPort: number;
  address: string;
  clusterDns: string[];
  clusterDomain?: string;
  resolvConf: string;
  cgroupRoot: string;
  cgroupsPerQos: boolean;
  allowPrivileged: boolean;
  allowHostNamespaces: boolean;
  allowHostPath: boolean;
  allowedUnsafeSysctls: string[];
  logLevel: string;
  logFormat: LogFormat;
}

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`not a non-negative integer: ${v}`);
  return n;
};
const signedInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`not an integer: ${v}`);
  return n;
};
const bool = (v: string) => {
  if (!['true', 'false'].includes(v)) throw new Error(`not a boolean (true|false): ${v}`);
  return v === 'true';
};
const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

/** A Go-style duration flag ("20s", "1m30s") whose help shows the default as written, not in ms. */
function duration(flags: string, description: string, defaultText: string): Option {
  return new Option(flags, description).argParser(parseDuration).default(parseDuration(defaultText), defaultText);
}

/** Adds the agent's flags to the program. Names and defaults follow the kubelet where it has the flag. */
export function addRunOptions(program: Command): Command {
  return program
    .option('--pod-manifest-path <dir>', 'directory of static Pod manifests (YAML or JSON, one Pod per file or several YAML documents)', '/etc/kubernetes/manifests')
    .option('--container-runtime-endpoint <endpoint>', 'CRI runtime socket (env CONTAINER_RUNTIME_ENDPOINT)', process.env.CONTAINER_RUNTIME_ENDPOINT ?? 'unix:///run/containerd/containerd.sock')
    .option('--image-service-endpoint <endpoint>', 'CRI image service socket, when apart from the runtime (default: the runtime endpoint)')
    .addOption(duration('--runtime-request-timeout <duration>', 'deadline of each CRI call (pulls excepted)', '2m'))
    .option('--hostname-override <name>', 'node name to use instead of the host name (static pod names get "-<node name>")')
    .option('--node-ip <ip>', "the node's IP, reported as hostIP (default: the first non-internal IPv4 address)")
    .option('--pod-logs-dir <dir>', 'where container logs go: <dir>/<namespace>_<name>_<uid>/<container>/<restartCount>.log', '/var/log/pods')
    .option('--root-dir <dir>', 'where pod directories and volumes live (<dir>/pods/<uid>)', '/var/lib/mini-kubelet')
    .addOption(duration('--file-check-frequency <duration>', 'how often the manifest directory is re-listed besides inotify', '20s'))
    .addOption(duration('--sync-frequency <duration>', 'every pod is re-synced at least this often', '1m'))
    .addOption(duration('--pleg-relist-period <duration>', 'how often the runtime is relisted for container events', '1s'))
    .option('--max-concurrent-pod-syncs <n>', 'how many pods may talk to the runtime at once', int, 4)
    .option('--serialize-image-pulls <bool>', 'pull one image at a time', bool, true)
    .addOption(duration('--max-container-restart-period <duration>', 'the CrashLoopBackOff ceiling (starts at 10s, doubles up to this)', '5m'))
    .addOption(duration('--container-gc-period <duration>', 'how often dead containers, dead sandboxes and the logs of removed pods are garbage-collected (the kubelet fixes this at 1m; 0s disables)', '1m'))
    .addOption(duration('--minimum-container-ttl-duration <duration>', 'a dead container younger than this (since its creation) is not garbage-collected', '0s'))
    .option('--maximum-dead-containers-per-container <n>', 'dead instances kept per pod and container name, newest first (negative: no limit)', signedInt, 1)
    .option('--read-only-port <port>', 'read-only HTTP port for /healthz and /pods (0 disables)', int, 10255)
    .option('--address <ip>', 'address the read-only port binds to', '127.0.0.1')
    .option('--cluster-dns <ips>', 'comma-separated DNS server IPs for dnsPolicy ClusterFirst', list, [])
    .option('--cluster-domain <domain>', 'cluster domain for ClusterFirst search paths (e.g. cluster.local)')
    .option('--resolv-conf <file>', 'resolv.conf for dnsPolicy Default ("" for none)', '/etc/resolv.conf')
    .option('--cgroup-root <path>', 'where the kubepods QoS cgroup hierarchy goes (pods: <root>/kubepods[/burstable|/besteffort]/pod<uid>)', '/')
    .option('--cgroups-per-qos <bool>', 'make the QoS cgroup hierarchy and a cgroup per pod (false: the runtime picks each sandbox\'s cgroup)', bool, true)
    .option('--allow-privileged <bool>', 'allow privileged containers', bool, true)
    .option('--allow-host-namespaces <bool>', 'allow hostNetwork, hostPID and hostIPC (ours; the kubelet allows them for static pods)', bool, true)
    .option('--allow-host-path <bool>', 'allow hostPath volumes (ours; the kubelet allows them for static pods)', bool, true)
    .option('--allowed-unsafe-sysctls <list>', 'comma-separated namespaced sysctls or patterns (net.core.*) pods may set beyond the safe set', list, [])
    .option('--log-level <level>', 'trace, debug, info, warn or error', 'info')
    .option('--log-format <format>', 'auto (text on a terminal, JSON otherwise), text or json', 'auto');
}

export async function runAgent(o: RunOptions): Promise<void> {
  const logger = createLogger(o.logLevel, o.logFormat);
  const clock = () => Date.now();
  const nodeName = nodeNameOf(o.hostnameOverride);
  const hostIP = nodeIPOf(o.nodeIp);

  const cri = createCriClient({
    runtimeEndpoint: o.containerRuntimeEndpoint,
    imageEndpoint: o.imageServiceEndpoint,
    timeoutMs: o.runtimeRequestTimeout,
    logger,
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
  const node = await nodeSettings(o, logger);
  if (!node) {
    cri.close();
    process.exitCode = 1;
    return;
  }
  const recorder = new EventRecorder({ logger, clock });
  const cache = new PodCache();
  const pleg = new GenericPLEG({ cri, nodeName, cache, relistPeriodMs: o.plegRelistPeriod, clock: { now: clock }, logger });
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
  const prober = new ProbeManager({ cri, recorder, logger, statusOf: (uid) => statusManager.getPodStatus(uid), wake: (uid) => workers.wake(uid) });
  statusManager.addSink(prober);
  const syncer = new KubeletPodSyncer({
    cri,
    images,
    // Node allocatable is the whole machine (no --kube-reserved/--system-reserved yet).
    volumes: new HostVolumeManager(o.rootDir, {
      nodeName, hostIP, clusterDomain: o.clusterDomain, logger,
      allocatable: node.container.allocatable,
    }),
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
  });
  const workers = new PodWorkers({ syncer, logger, concurrency: Math.max(1, o.maxConcurrentPodSyncs), syncFrequencyMs: o.syncFrequency });
  const podConfig = new PodConfig({ logger });
  const fileSource = createFileSource({
    manifestDir: o.podManifestPath,
    nodeName,
    checkFrequencyMs: o.fileCheckFrequency,
    // The kubelet reads a changed manifest as soon as inotify reports it. 10 ms still folds one
    // writer's create/write/close, or a batch of files written together, into one re-list; the
    // source's 100 ms default added a tenth of a second to every pod start (bench/startup.ts).
    debounceMs: 10,
    clock: { now: clock },
    logger,
  });
  const gc: ContainerGC = new ContainerGC({
    cri,
    nodeName,
    podLogsDir: o.podLogsDir,
    policy: { minAgeMs: o.minimumContainerTtlDuration, maxPerPodContainer: o.maximumDeadContainersPerContainer },
    // Read at collection time, after the Kubelet below exists.
    livePods: (): Set<string> => kubelet.livePodUids(),
    clock,
    logger,
  });
  const kubelet = new Kubelet({ sources: [fileSource], podConfig, workers, pleg, cache, statusManager, recorder, logger, gc, containerGCPeriodMs: o.containerGcPeriod });

  await kubelet.start();
  const server = await startReadOnlyServer({
    address: o.address,
    port: o.readOnlyPort,
    source: kubelet.view(),
    logger,
    containerLogs: { pods: () => kubelet.pods(), observed: (uid) => cache.get(uid), podLogsDir: o.podLogsDir },
    events: (uid) => recorder.eventsFor(uid),
    nodeName,
  });
  logger.info({ manifests: o.podManifestPath, readOnlyPort: server.port || 'disabled' }, 'mini-kubelet is running');

  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info({ signal }, 'shutting down; pods keep running in the runtime');
      resolve();
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
  await server.close();
  prober.stop();
  await kubelet.stop();
  cri.close();
}

/**
 * What the node contributes to every pod's sandbox and containers: allocatable (the whole machine:
 * no --kube-reserved/--system-reserved yet), the seccomp root (<root-dir>/seccomp, as the
 * kubelet's), the policy flags, the sysctl allowlist, AppArmor, and the QoS cgroup hierarchy.
 * Undefined (after saying why on stderr) when a flag is invalid or the cgroups cannot be made.
 */
async function nodeSettings(o: RunOptions, logger: Logger) {
  const policy: NodePolicy = { allowPrivileged: o.allowPrivileged, allowHostNamespaces: o.allowHostNamespaces, allowHostPath: o.allowHostPath };
  const appArmorEnabled = (await readFile('/sys/module/apparmor/parameters/enabled', 'utf8').catch(() => 'N')).trim() === 'Y';
  let sysctls: SysctlAllowlist;
  let podCgroups: CgroupfsManager | undefined;
  try {
    sysctls = new SysctlAllowlist([...safeSysctls(release()), ...o.allowedUnsafeSysctls]);
    if (o.cgroupsPerQos) {
      podCgroups = new CgroupfsManager({ cgroupRoot: o.cgroupRoot, logger });
      await podCgroups.start();
    }
  } catch (err) {
    process.stderr.write(`mini-kubelet: ${(err as Error).message}\n`);
    return undefined;
  }
  const container: NodeContainerOptions = {
    allocatable: { cpu: String(cpus().length), memory: String(totalmem()) },
    memoryCapacity: totalmem(),
    seccompProfileRoot: path.join(o.rootDir, 'seccomp'),
    policy,
    appArmorEnabled,
  };
  const sandbox = { policy, sysctls, appArmorEnabled, ...(o.cgroupsPerQos ? { cgroupRoot: o.cgroupRoot } : {}) };
  return { container, sandbox, podCgroups };
}
