// Reads a kubelet --config file (a KubeletConfiguration, kubelet.config.k8s.io/v1beta1) into the agent's option values.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap as isYamlMap, isScalar, parseDocument } from 'yaml';
import { truncate } from '../bounded.js';
import { MIN_CONTAINER_LOG_MONITOR_INTERVAL_MS, parseContainerLogMaxFiles, parseContainerLogMaxSize } from '../logs/rotation.js';
import { parseDuration } from './duration.js';
import { parseAuthorizationMode } from './flags-node-api.js';

export const CONFIG_API_VERSION = 'kubelet.config.k8s.io/v1beta1';
export const CONFIG_KIND = 'KubeletConfiguration';

type Kind = 'string' | 'path' | 'duration' | 'count' | 'int' | 'port' | 'bool' | 'strings' | 'headers' | 'logFormat' | 'taints' | 'authzMode';
interface Field {
  option: string;
  kind: Kind;
  zeroUnset?: boolean;
  /** The flag's own parsing or the kubelet's validation, after the type check; throws why not. */
  then?: (v: never) => unknown;
}

/**
 * The file's fields mini-kubelet has a flag for, by JSON name, with the flag's option key.
 * `zeroUnset`: the v1beta1 defaulting treats "", 0 or "0s" as not given (SetDefaults_KubeletConfiguration),
 * so such a value leaves the flag's default alone. resolvConf is a *string ("" means none);
 * staticPodPath has no default there ("" means no file source); readOnlyPort 0 disables the port.
 */
const SUPPORTED: Record<string, Field> = {
  staticPodPath: { option: 'podManifestPath', kind: 'path' },
  staticPodURL: { option: 'manifestUrl', kind: 'string', zeroUnset: true },
  staticPodURLHeader: { option: 'manifestUrlHeader', kind: 'headers' },
  fileCheckFrequency: { option: 'fileCheckFrequency', kind: 'duration', zeroUnset: true },
  httpCheckFrequency: { option: 'httpCheckFrequency', kind: 'duration', zeroUnset: true },
  syncFrequency: { option: 'syncFrequency', kind: 'duration', zeroUnset: true },
  runtimeRequestTimeout: { option: 'runtimeRequestTimeout', kind: 'duration', zeroUnset: true },
  address: { option: 'address', kind: 'string', zeroUnset: true },
  readOnlyPort: { option: 'readOnlyPort', kind: 'port' },
  clusterDomain: { option: 'clusterDomain', kind: 'string', zeroUnset: true },
  clusterDNS: { option: 'clusterDns', kind: 'strings' },
  resolvConf: { option: 'resolvConf', kind: 'path' },
  maxPods: { option: 'maxPods', kind: 'count', zeroUnset: true },
  serializeImagePulls: { option: 'serializeImagePulls', kind: 'bool' },
  cgroupRoot: { option: 'cgroupRoot', kind: 'string', zeroUnset: true },
  cgroupsPerQOS: { option: 'cgroupsPerQos', kind: 'bool' },
  containerRuntimeEndpoint: { option: 'containerRuntimeEndpoint', kind: 'string', zeroUnset: true },
  imageServiceEndpoint: { option: 'imageServiceEndpoint', kind: 'string', zeroUnset: true },
  podLogsDir: { option: 'podLogsDir', kind: 'path', zeroUnset: true },
  containerLogMaxSize: { option: 'containerLogMaxSize', kind: 'string', zeroUnset: true, then: parseContainerLogMaxSize },
  containerLogMaxFiles: { option: 'containerLogMaxFiles', kind: 'count', then: (n: number) => parseContainerLogMaxFiles(String(n)) },
  containerLogMonitorInterval: { option: 'containerLogMonitorInterval', kind: 'duration', then: (ms: number) => {
    if (ms < MIN_CONTAINER_LOG_MONITOR_INTERVAL_MS) throw new Error('must be a positive time duration greater than or equal to 3s');
    return ms;
  } },
  allowedUnsafeSysctls: { option: 'allowedUnsafeSysctls', kind: 'strings' },
  // The kubelet reads it only with the KubeletCrashLoopBackOffMax feature gate; ours is always on.
  'crashLoopBackOff.maxContainerRestartPeriod': { option: 'maxContainerRestartPeriod', kind: 'duration' },
  'logging.format': { option: 'logFormat', kind: 'logFormat' },
  // Cluster mode (src/cli/flags-cluster.ts). nodeLabels has no field in the file, as in the kubelet.
  registerNode: { option: 'registerNode', kind: 'bool' },
  registerWithTaints: { option: 'registerWithTaints', kind: 'taints' },
  nodeStatusUpdateFrequency: { option: 'nodeStatusUpdateFrequency', kind: 'duration', zeroUnset: true },
  nodeStatusReportFrequency: { option: 'nodeStatusReportFrequency', kind: 'duration', zeroUnset: true },
  nodeLeaseDurationSeconds: { option: 'nodeLeaseDurationSeconds', kind: 'count', zeroUnset: true },
  kubeAPIQPS: { option: 'kubeApiQps', kind: 'int' },
  kubeAPIBurst: { option: 'kubeApiBurst', kind: 'count', zeroUnset: true },
  // The node API (src/cli/flags-node-api.ts). port 0 is "unset" (SetDefaults: 10250).
  enableServer: { option: 'enableServer', kind: 'bool' },
  port: { option: 'port', kind: 'port', zeroUnset: true },
  tlsCertFile: { option: 'tlsCertFile', kind: 'path', zeroUnset: true },
  tlsPrivateKeyFile: { option: 'tlsPrivateKeyFile', kind: 'path', zeroUnset: true },
  'authentication.x509.clientCAFile': { option: 'clientCaFile', kind: 'path', zeroUnset: true },
  'authentication.webhook.enabled': { option: 'authenticationTokenWebhook', kind: 'bool' },
  'authentication.webhook.cacheTTL': { option: 'authenticationTokenWebhookCacheTtl', kind: 'duration' },
  'authentication.anonymous.enabled': { option: 'anonymousAuth', kind: 'bool' },
  'authorization.mode': { option: 'authorizationMode', kind: 'authzMode', zeroUnset: true },
  'authorization.webhook.cacheAuthorizedTTL': { option: 'authorizationWebhookCacheAuthorizedTtl', kind: 'duration' },
  'authorization.webhook.cacheUnauthorizedTTL': { option: 'authorizationWebhookCacheUnauthorizedTtl', kind: 'duration' },
  eventRecordQPS: { option: 'eventQps', kind: 'count' },
  eventBurst: { option: 'eventBurst', kind: 'count', zeroUnset: true },
  // Joining (src/cli/flags-join.ts).
  rotateCertificates: { option: 'rotateCertificates', kind: 'bool' },
  providerID: { option: 'providerId', kind: 'string', zeroUnset: true },
};

/** The file's fields mini-kubelet reads, by dotted JSON path, with the option key and kind (for /configz). */
export function supportedConfigFields(): Array<{ path: string; option: string; kind: Kind }> {
  return Object.entries(SUPPORTED).map(([p, f]) => ({ path: p, option: f.option, kind: f.kind }));
}

/** Every other field of v1beta1 KubeletConfiguration (staging/src/k8s.io/kubelet/config/v1beta1/types.go). */
const KNOWN = new Set(`tlsCipherSuites tlsCurvePreferences
  tlsMinVersion serverTLSBootstrap registryPullQPS registryBurst
  imagePullCredentialsVerificationPolicy preloadedImagesVerificationAllowlist
  enableDebuggingHandlers enableContentionProfiling healthzPort healthzBindAddress oomScoreAdj
  streamingConnectionIdleTimeout
  imageMinimumGCAge imageMaximumGCAge imageGCHighThresholdPercent imageGCLowThresholdPercent volumeStatsAggPeriod
  kubeletCgroups systemCgroups cgroupDriver cpuManagerPolicy singleProcessOOMKill cpuManagerPolicyOptions
  cpuManagerReconcilePeriod draManagerReconcilePeriod memoryManagerPolicy topologyManagerPolicy topologyManagerScope
  topologyManagerPolicyOptions qosReserved hairpinMode podCIDR podPidsLimit runOnce cpuCFSQuota cpuCFSQuotaPeriod
  nodeStatusMaxImages maxOpenFiles contentType maxParallelImagePulls evictionHard
  evictionSoft evictionSoftGracePeriod evictionPressureTransitionPeriod evictionMaxPodGracePeriod
  evictionMinimumReclaim mergeDefaultEvictionSettings podsPerCore enableControllerAttachDetach protectKernelDefaults
  makeIPTablesUtilChains iptablesMasqueradeBit iptablesDropBit featureGates failSwapOn memorySwap containerLogMaxWorkers
  configMapAndSecretChangeDetectionStrategy
  systemReserved kubeReserved reservedSystemCPUs showHiddenMetricsForVersion systemReservedCgroup kubeReservedCgroup
  enforceNodeAllocatable volumePluginDir kernelMemcgNotification enableSystemLogHandler
  enableSystemLogQuery shutdownGracePeriod shutdownGracePeriodCriticalPods shutdownGracePeriodByPodPriority
  reservedMemory enableProfilingHandler enableDebugFlagsHandler seccompDefault memoryThrottlingFactor
  memoryReservationPolicy tracing localStorageCapacityIsolation failCgroupV1
  userNamespaces logging.flushFrequency logging.verbosity logging.vmodule logging.options`.split(/\s+/));
/** Objects some of whose fields are supported: their fields are checked one by one (by dotted path). */
const NESTED = new Set(['logging', 'crashLoopBackOff', 'authentication', 'authentication.x509', 'authentication.webhook', 'authentication.anonymous', 'authorization', 'authorization.webhook']);

export interface KubeletConfigFile {
  /** Option values by option key (as RunOptions), already parsed as the flags parse them. */
  values: Record<string, unknown>;
  /** Known fields mini-kubelet has no counterpart for. */
  ignored: string[];
  /** Their values, for the few whose value calls for a warning (cgroupDriver: systemd). */
  ignoredValues: Record<string, unknown>;
  /** Unknown or repeated fields: the kubelet's strict decoding fails on them and it decodes leniently. */
  strictErrors: string[];
}

/** Reads and decodes `file` (made absolute first, as the kubelet's loadConfigFile). Throws naming the file and field. */
export function loadKubeletConfig(file: string): KubeletConfigFile {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    throw new Error(`failed to load Kubelet config file ${abs}: ${(err as Error).message}`);
  }
  return decodeKubeletConfig(text, abs);
}

/** Decodes the file's text; relative paths are resolved against the file's directory (resolveRelativePaths). */
export function decodeKubeletConfig(text: string, file: string): KubeletConfigFile {
  const fail = (why: string): never => {
    // The reason may quote the file (a YAML error quotes the token it met): bounded.
    throw new Error(`failed to load Kubelet config file ${file}: ${truncate(why)}`);
  };
  if (text.length === 0) fail('the file is empty');
  // YAML 1.1, as the kubelet's YAML reader (yes/no are booleans); JSON is YAML too.
  const doc = parseDocument(text, { version: '1.1' });
  const strictErrors: string[] = [];
  duplicateKeys(doc.contents, '', strictErrors);
  const fatal = doc.errors.find((e) => e.code !== 'DUPLICATE_KEY');
  if (fatal) fail(fatal.message.split('\n')[0]!);
  const obj = doc.toJS() as unknown;
  if (!isObject(obj)) fail(`expected a ${CONFIG_KIND} object`);
  const top = obj as Record<string, unknown>;
  if (top.apiVersion !== CONFIG_API_VERSION) fail(`apiVersion: expected "${CONFIG_API_VERSION}", got ${show(top.apiVersion)}`);
  if (top.kind !== CONFIG_KIND) fail(`kind: expected "${CONFIG_KIND}", got ${show(top.kind)}`);

  // Flattened: "logging.format", "authentication.x509.clientCAFile" for the fields of the objects mini-kubelet reads into.
  const fields: Array<[string, unknown]> = [];
  const flatten = (obj: Record<string, unknown>, prefix: string) => {
    for (const [key, value] of Object.entries(obj)) {
      const name = prefix + key;
      if (value === null || (!prefix && (key === 'apiVersion' || key === 'kind'))) continue;
      if (!NESTED.has(name)) fields.push([name, value]);
      else if (!isObject(value)) fail(`${name}: expected an object, got ${show(value)}`);
      else flatten(value, `${name}.`);
    }
  };
  flatten(top, '');
  const result: KubeletConfigFile = { values: {}, ignored: [], ignoredValues: {}, strictErrors };
  for (const [name, value] of fields) {
    const field = SUPPORTED[name];
    if (!field) {
      if (KNOWN.has(name)) {
        // A zero value asks for nothing (the v1beta1 defaulting takes it as unset): kubeadm writes
        // many ("0s", {}), and listing them would bury the fields that do ask for something.
        if (isZero(value)) continue;
        result.ignored.push(name);
        result.ignoredValues[name] = value;
      } else result.strictErrors.push(`unknown field "${name}"`);
      continue;
    }
    let parsed = convert(field.kind, value, (what) => fail(`${name}: expected ${what}, got ${show(value)}`));
    if (field.zeroUnset && (parsed === '' || parsed === 0)) continue;
    try {
      parsed = field.then ? field.then(parsed as never) : parsed;
    } catch (err) {
      fail(`${name}: ${(err as Error).message}`);
    }
    result.values[field.option] = field.kind === 'path' && parsed !== '' && !path.isAbsolute(parsed as string) ? path.join(path.dirname(file), parsed as string) : parsed;
  }
  return result;
}

/** The value as the flag would hold it, or `bad(what was expected)`. Types are those of the Go struct. */
function convert(kind: Kind, v: unknown, bad: (what: string) => never): unknown {
  switch (kind) {
    case 'string':
    case 'path':
      return typeof v === 'string' ? v : bad('a string');
    case 'bool':
      return typeof v === 'boolean' ? v : bad('a boolean');
    case 'int':
      return Number.isInteger(v) && Math.abs(v as number) <= 2 ** 31 - 1 ? v : bad('an integer');
    case 'taints':
      // []v1.Taint: {key, value, effect}.
      if (!Array.isArray(v) || !v.every((t) => isObject(t) && typeof t.key === 'string' && ['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(t.effect as string) && (t.value === undefined || typeof t.value === 'string'))) {
        return bad('a list of taints ({key, value, effect: NoSchedule|PreferNoSchedule|NoExecute})');
      }
      return (v as Array<Record<string, string>>).map((t) => ({ key: t.key, ...(t.value !== undefined ? { value: t.value } : {}), effect: t.effect }));
    case 'count':
      return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 2 ** 31 - 1 ? v : bad('a non-negative integer');
    case 'port':
      return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535 ? v : bad('a port number (0 disables)');
    case 'duration':
      // metav1.Duration is a Go duration string; unlike our flags, a bare number is not one.
      if (typeof v !== 'string' || (/^[\d.]+$/.test(v.trim()) && Number(v) !== 0)) return bad('a duration string such as "20s"');
      try {
        return parseDuration(v);
      } catch {
        return bad('a duration string such as "20s"');
      }
    case 'strings':
      return Array.isArray(v) && v.every((s) => typeof s === 'string') ? v : bad('a list of strings');
    case 'logFormat':
      return v === 'text' || v === 'json' ? v : bad('"text" or "json"');
    case 'authzMode':
      if (v === '') return v;
      try {
        return parseAuthorizationMode(String(v));
      } catch {
        return bad('"AlwaysAllow" or "Webhook"');
      }
    case 'headers': {
      // map[string][]string, in file order; a header fetch could not send is refused here, as the flag does.
      if (!isObject(v)) return bad('a map of header names to lists of values');
      const pairs: Array<[string, string]> = [];
      for (const [name, values] of Object.entries(v)) {
        if (!Array.isArray(values) || !values.every((s) => typeof s === 'string')) return bad(`a list of strings for header ${name}`);
        for (const value of values as string[]) {
          try {
            new Headers().append(name, value);
          } catch {
            return bad(`a valid HTTP header, not ${name}: ${value}`);
          }
          pairs.push([name, value]);
        }
      }
      return pairs;
    }
  }
}

function isZero(v: unknown): boolean {
  if (v === '' || v === 0 || v === '0' || v === '0s') return true;
  return Array.isArray(v) ? v.length === 0 : isObject(v) && Object.keys(v).length === 0;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Keys given twice (the last one is used, as the lenient decoding does), at any depth. */
function duplicateKeys(node: unknown, prefix: string, out: string[]): void {
  if (!isYamlMap(node)) return;
  const seen = new Set<string>();
  for (const item of node.items) {
    const key = isScalar(item.key) ? String(item.key.value) : String(item.key);
    if (seen.has(key)) out.push(`duplicate field "${prefix}${key}"`);
    seen.add(key);
    duplicateKeys(item.value, `${prefix}${key}.`, out);
  }
}

function show(v: unknown): string {
  return v === undefined ? 'nothing' : JSON.stringify(v);
}
