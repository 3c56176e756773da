// The agent's flags, named and defaulted as the kubelet's where it has them, parsed into RunOptions.
import { Option, type Command } from 'commander';
import { createLogger, type LogFormat } from '../log.js';
import {
  DEFAULT_CONTAINER_LOG_MAX_FILES, DEFAULT_CONTAINER_LOG_MAX_SIZE, DEFAULT_CONTAINER_LOG_MONITOR_INTERVAL_MS, MIN_CONTAINER_LOG_MONITOR_INTERVAL_MS,
  parseContainerLogMaxFiles, parseContainerLogMaxSize,
} from '../logs/rotation.js';
import { parseDuration } from './duration.js';
import { bool, duration, list, nonNegativeInt as int, port, signedInt } from './flag-values.js';
import { addClusterOptions, type ClusterRunOptions } from './flags-cluster.js';
import { addJoinOptions, checkJoinOptions, ignoredFlags, joinCaveats, parseNodeIp, type JoinRunOptions } from './flags-join.js';
import { addNodeApiOptions, type NodeApiRunOptions } from './flags-node-api.js';
import { loadKubeletConfig } from './kubelet-config.js';

export interface RunOptions extends ClusterRunOptions, NodeApiRunOptions, JoinRunOptions {
  /** The KubeletConfiguration file the values below were read from, if any. */
  config?: string;
  /** "" for no file source. */
  podManifestPath: string;
  /** No URL source when unset. */
  manifestUrl?: string;
  manifestUrlHeader: Array<[string, string]>;
  httpCheckFrequency: number;
  containerRuntimeEndpoint: string;
  imageServiceEndpoint?: string;
  runtimeRequestTimeout: number;
  hostnameOverride?: string;
  nodeIp?: string;
  podLogsDir: string;
  /** Bytes; negative turns rotation off. */
  containerLogMaxSize: number;
  containerLogMaxFiles: number;
  containerLogMonitorInterval: number;
  rootDir: string;
  fileCheckFrequency: number;
  syncFrequency: number;
  plegRelistPeriod: number;
  maxConcurrentPodSyncs: number;
  maxPods: number;
  serializeImagePulls: boolean;
  maxContainerRestartPeriod: number;
  containerGcPeriod: number;
  minimumContainerTtlDuration: number;
  maximumDeadContainersPerContainer: number;
  maximumDeadContainers: number;
  readOnlyPort: number;
  /** --port: the kubelet port advertised in the Node's status (the API on it is not served yet). */
  port: number;
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


/**
 * --manifest-url-header, as the kubelet's colon-separated multimap: "a:hello,b:again" adds the
 * pairs in order, each flag given adds to the earlier ones, and a name may repeat. A value may
 * hold colons (only the first one splits); names and values are trimmed.
 */
export function headerPairs(v: string, previous: Array<[string, string]> = []): Array<[string, string]> {
  const pairs = [...previous];
  for (const pair of v.split(',')) {
    if (pair === '') continue;
    const colon = pair.indexOf(':');
    if (colon < 0) throw new Error(`malformed pair, expect string:string: ${pair}`);
    const [name, value] = [pair.slice(0, colon).trim(), pair.slice(colon + 1).trim()];
    // Refused here rather than at every GET: fetch takes no header it could not send.
    new Headers().append(name, value);
    pairs.push([name, value]);
  }
  return pairs;
}

/** kubelet validation of containerLogMonitorInterval. */
function monitorInterval(v: string): number {
  const ms = parseDuration(v);
  if (ms < MIN_CONTAINER_LOG_MONITOR_INTERVAL_MS) throw new Error('invalid configuration: containerLogMonitorInterval must be a positive time duration greater than or equal to 3s');
  return ms;
}

/** Adds the agent's flags to the program. Names and defaults follow the kubelet where it has the flag. */
export function addRunOptions(program: Command): Command {
  addClusterOptions(program);
  addNodeApiOptions(program);
  addJoinOptions(program);
  return program
    .option('--config <file>', 'a KubeletConfiguration file (kubelet.config.k8s.io/v1beta1); flags given on the command line override it')
    .option('--pod-manifest-path <dir>', 'directory of static Pod manifests (YAML or JSON, one Pod per file or several YAML documents); "" for none', '/etc/kubernetes/manifests')
    .option('--manifest-url <url>', 'URL to read static Pods from as well: a Pod or a v1 PodList, YAML or JSON (an empty answer means no pods)')
    .addOption(new Option('--manifest-url-header <pairs>', "headers sent with each --manifest-url GET, as 'a:hello,b:again,c:world' (repeatable; a name may repeat)").argParser(headerPairs).default([], 'none'))
    .addOption(duration('--http-check-frequency <duration>', 'how often --manifest-url is read', '20s'))
    .option('--container-runtime-endpoint <endpoint>', 'CRI runtime socket (env CONTAINER_RUNTIME_ENDPOINT)', process.env.CONTAINER_RUNTIME_ENDPOINT ?? 'unix:///run/containerd/containerd.sock')
    .option('--image-service-endpoint <endpoint>', 'CRI image service socket, when apart from the runtime (default: the runtime endpoint)')
    .addOption(duration('--runtime-request-timeout <duration>', 'deadline of each CRI call (pulls excepted)', '2m'))
    .option('--hostname-override <name>', 'node name to use instead of the host name (static pod names get "-<node name>")')
    .option('--node-ip <ip>', "the node's IP, reported as hostIP (default: the first non-internal IPv4 address); a dual-stack pair \"v4,v6\" is accepted and its first address used", parseNodeIp)
    .option('--pod-logs-dir <dir>', 'where container logs go: <dir>/<namespace>_<name>_<uid>/<container>/<restartCount>.log', '/var/log/pods')
    .addOption(new Option('--container-log-max-size <quantity>', 'a running container\'s log is rotated once it is at least this big (negative: never)').argParser(parseContainerLogMaxSize).default(parseContainerLogMaxSize(DEFAULT_CONTAINER_LOG_MAX_SIZE), DEFAULT_CONTAINER_LOG_MAX_SIZE))
    .option('--container-log-max-files <n>', 'the most log files a container keeps, the live one included (at least 2); older rotated ones are gzipped', parseContainerLogMaxFiles, DEFAULT_CONTAINER_LOG_MAX_FILES)
    .addOption(new Option('--container-log-monitor-interval <duration>', 'how often log sizes are checked for rotation (ours: the kubelet reads containerLogMonitorInterval from its config file only; at least 3s)').argParser(monitorInterval).default(DEFAULT_CONTAINER_LOG_MONITOR_INTERVAL_MS, '10s'))
    .option('--root-dir <dir>', 'where pod directories and volumes live (<dir>/pods/<uid>)', '/var/lib/mini-kubelet')
    .addOption(duration('--file-check-frequency <duration>', 'how often the manifest directory is re-listed besides inotify', '20s'))
    .addOption(duration('--sync-frequency <duration>', 'every pod is re-synced at least this often', '1m'))
    .addOption(duration('--pleg-relist-period <duration>', 'how often the runtime is relisted for container events', '1s'))
    .option('--max-concurrent-pod-syncs <n>', 'how many pods may talk to the runtime at once', int, 8)
    .option('--max-pods <n>', 'how many pods may run at once; a pod beyond it is rejected at admission (UnexpectedAdmissionError: no pod to preempt)', int, 110)
    .option('--serialize-image-pulls <bool>', 'pull one image at a time', bool, true)
    .addOption(duration('--max-container-restart-period <duration>', 'the CrashLoopBackOff ceiling (starts at 10s, doubles up to this)', '5m'))
    .addOption(duration('--container-gc-period <duration>', 'how often dead containers, dead sandboxes and the logs of removed pods are garbage-collected (the kubelet fixes this at 1m; 0s disables)', '1m'))
    .addOption(duration('--minimum-container-ttl-duration <duration>', 'a dead container younger than this (since its creation) is not garbage-collected', '0s'))
    .option('--maximum-dead-containers-per-container <n>', 'dead instances kept per pod and container name, newest first (negative: no limit)', signedInt, 1)
    .option('--maximum-dead-containers <n>', 'dead instances kept on the whole node: each pod and container name is cut to an equal share, then the oldest go (negative: no limit)', signedInt, -1)
    .option('--read-only-port <port>', 'read-only HTTP port: /healthz, /pods (and ?watch=true), /metrics, /metrics/resource, /metrics/probes, /stats/summary, /manifests/errors, pod events, pod CRI traces, /runtime/pods, the live page /ui/ and container logs (0 disables)', int, 10255)
    .option('--address <ip>', 'address the read-only port and the node API (--port) bind to (the kubelet\'s default is 0.0.0.0; ours stays on loopback unless asked)', '127.0.0.1')
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
    .option('--log-format <format>', 'auto (text on a terminal, JSON otherwise), text or json', 'auto')
    // Before the agent's action only: the client commands (get, describe, logs) take no --config.
    .hook('preAction', (_, action) => {
      if (action !== program) return;
      applyConfigFile(program);
      checkJoinOptions(program.opts<RunOptions>());
    });
}

/**
 * Layers the --config file under the command line, as the kubelet's kubeletConfigFlagPrecedence: a
 * value from the file replaces a flag's default, never a flag given on the command line. Then says
 * once what is not honoured: the file's fields and the kubelet flags (src/cli/flags-join.ts)
 * mini-kubelet does not read, at warn, with a warning for each setting that needs another flag
 * instead; unknown fields as the kubelet logs its fallback to lenient decoding, at info. Throws
 * (naming the file and field) on a bad file.
 */
export function applyConfigFile(program: Command, logger = (o: RunOptions) => createLogger(o.logLevel, o.logFormat)): void {
  const file = program.getOptionValue('config') as string | undefined;
  const cfg = file ? loadKubeletConfig(file) : undefined;
  for (const [key, value] of Object.entries(cfg?.values ?? {})) {
    if (program.getOptionValueSource(key) !== 'cli') program.setOptionValueWithSource(key, value, 'config');
  }
  const fields = cfg?.ignored ?? [];
  const flags = ignoredFlags(program);
  const caveats = joinCaveats(program, cfg?.ignoredValues ?? {});
  if (!cfg?.strictErrors.length && !fields.length && !flags.length && !caveats.length) return;
  const log = logger(program.opts<RunOptions>());
  if (cfg?.strictErrors.length) log.info({ config: file, err: `strict decoding error: ${cfg.strictErrors.join(', ')}` }, 'Using lenient decoding as strict decoding failed');
  if (fields.length || flags.length) log.warn({ ...(fields.length ? { config: file, fields } : {}), ...(flags.length ? { flags } : {}) }, 'ignored: not supported by mini-kubelet');
  for (const caveat of caveats) log.warn(caveat);
}
