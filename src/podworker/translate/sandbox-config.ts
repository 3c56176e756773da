// Pod → CRI PodSandboxConfig, pure (the kubelet's generatePodSandboxConfig and generatePodSandboxLinuxConfig).
import type { V1Pod } from '@kubernetes/client-node';
import type { PodSandboxConfig, PortMapping, Protocol, StringMap } from '../../cri/types.js';
import { podDNSConfig, type DnsWarning } from './dns.js';
import { SandboxConfigError } from './errors.js';
import { newPodAnnotations, newPodLabels } from './labels.js';
import { checkPodPolicy, type NodePolicy } from './policy.js';
import { sandboxSecurityContext } from './security.js';
import { sysctlName } from './sysctls.js';
import { checkPodFields } from './unsupported.js';
import { podCgroupParent } from '../../node/cgroups.js';
import { getPodQOS } from '../../status/qos.js';

export { SandboxConfigError } from './errors.js';
export { sysctlName } from './sysctls.js';

export interface SandboxOptions {
  nodeName: string;
  podLogsDir: string;
  /** The CONTENT of the node's resolv.conf (--resolv-conf); undefined when none is configured. */
  resolvConf?: string;
  clusterDNS?: string[];
  clusterDomain?: string;
  /** A fixed cgroup parent for every sandbox; wins over cgroupRoot. */
  cgroupParent?: string;
  /**
   * --cgroup-root with --cgroups-per-qos: each sandbox's cgroup parent is the pod's cgroup,
   * <root>/kubepods[/burstable|/besteffort]/pod<uid>. Unset: the runtime's default parent.
   */
  cgroupRoot?: string;
  /** The node's IPs (only used to pick a loopback nameserver when there is no resolv.conf). */
  nodeIPs?: string[];
  /** What powerful features pods may use (--allow-privileged, ...); default: all. */
  policy?: NodePolicy;
  /** Whether the host enforces AppArmor; without it only Unconfined profiles can be honoured. */
  appArmorEnabled?: boolean;
}

const HOSTNAME_MAX_LEN = 63;
const FQDN_MAX_LEN = 64;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function checkLabel(what: string, v: string): void {
  if (v.length > HOSTNAME_MAX_LEN || !DNS1123_LABEL.test(v)) {
    throw new SandboxConfigError(`pod ${what} "${v}" is not a valid DNS label`);
  }
}

/**
 * GeneratePodHostNameAndDomain + truncatePodHostnameIfNeeded + GetNodenameForKernel: the pod's
 * hostname (spec.hostname or the pod name, cut to 63 characters without a trailing - or .), or
 * its FQDN when setHostnameAsFQDN asks for it and a subdomain gives one.
 */
export function podHostname(pod: V1Pod, clusterDomain = ''): string {
  const name = pod.metadata?.name ?? '';
  let hostname = name;
  if (pod.spec?.hostname) {
    checkLabel('Hostname', pod.spec.hostname);
    hostname = pod.spec.hostname;
  }
  if (hostname.length > HOSTNAME_MAX_LEN) {
    hostname = hostname.slice(0, HOSTNAME_MAX_LEN).replace(/[-.]+$/, '');
    if (hostname === '') throw new SandboxConfigError(`hostname for pod "${name}" was invalid`);
  }
  const subdomain = pod.spec?.subdomain;
  if (!subdomain || pod.spec?.setHostnameAsFQDN !== true) {
    if (subdomain) checkLabel('Subdomain', subdomain);
    return hostname;
  }
  checkLabel('Subdomain', subdomain);
  const fqdn = `${hostname}.${subdomain}.${pod.metadata?.namespace ?? ''}.svc.${clusterDomain}`;
  if (fqdn.length > FQDN_MAX_LEN) {
    throw new SandboxConfigError(
      `failed to construct FQDN from pod hostname and cluster domain, FQDN ${fqdn} is too long (${FQDN_MAX_LEN} characters is the max, ${fqdn.length} characters requested)`,
    );
  }
  return fqdn;
}

/** BuildPodLogsDirectory: <podLogsDir>/<namespace>_<name>_<uid>. */
export function podLogsDirectory(podLogsDir: string, pod: V1Pod): string {
  const m = pod.metadata ?? {};
  return `${podLogsDir.replace(/\/$/, '')}/${m.namespace ?? ''}_${m.name ?? ''}_${m.uid ?? ''}`;
}

/**
 * MakePortMappings over the regular containers: every declared port, a name used twice in one
 * container counted once. The runtime's CNI portmap plugin acts only on those with a hostPort.
 */
export function sandboxPortMappings(pod: V1Pod): PortMapping[] {
  const out: PortMapping[] = [];
  for (const c of pod.spec?.containers ?? []) {
    const names = new Set<string>();
    for (const p of c.ports ?? []) {
      const protocol = (p.protocol ?? 'TCP') as Protocol;
      const family = !p.hostIP ? 'any' : p.hostIP.includes(':') ? 'v6' : 'v4';
      const name = p.name || `${family}-${protocol}-${p.hostIP ?? ''}:${p.containerPort}:${p.hostPort ?? 0}`;
      if (names.has(name)) continue;
      names.add(name);
      out.push({ protocol, containerPort: p.containerPort, hostPort: p.hostPort ?? 0, hostIp: p.hostIP ?? '' });
    }
  }
  return out;
}

/** The sandbox's cgroup parent: the fixed one, else the pod cgroup under the QoS hierarchy, else none. */
function cgroupParentOf(pod: V1Pod, opts: SandboxOptions): string | undefined {
  if (opts.cgroupParent) return opts.cgroupParent;
  if (opts.cgroupRoot === undefined) return undefined;
  return podCgroupParent(opts.cgroupRoot, getPodQOS(pod), pod.metadata?.uid ?? '');
}

/**
 * generatePodSandboxConfig. First refuses, as a ContainerConfigError, a pod the node must not or
 * cannot run: fields mini-kubelet cannot honour, what the node policy forbids. (Node affinity and
 * sysctls are admission's, src/admission/: a pod that fails them never gets this far.)
 */
export function generatePodSandboxConfig(pod: V1Pod, attempt: number, opts: SandboxOptions): PodSandboxConfig {
  checkPodFields(pod, opts.appArmorEnabled);
  checkPodPolicy(pod, opts.policy);
  const m = pod.metadata ?? {};
  const config: PodSandboxConfig = {
    metadata: { name: m.name ?? '', uid: m.uid ?? '', namespace: m.namespace ?? '', attempt },
    labels: newPodLabels(pod, opts.nodeName),
    annotations: newPodAnnotations(pod),
    dnsConfig: podDNSConfig(pod, opts).dnsConfig,
    logDirectory: podLogsDirectory(opts.podLogsDir, pod),
  };
  // No hostname for host-network pods: without a UTS namespace of its own, the runtime must not set one.
  if (pod.spec?.hostNetwork !== true) config.hostname = podHostname(pod, opts.clusterDomain);
  const ports = sandboxPortMappings(pod);
  if (ports.length > 0) config.portMappings = ports;
  const sysctls: StringMap = {};
  for (const s of pod.spec?.securityContext?.sysctls ?? []) sysctls[sysctlName(s.name)] = s.value;
  const cgroupParent = cgroupParentOf(pod, opts);
  config.linux = {
    ...(cgroupParent ? { cgroupParent } : {}),
    securityContext: sandboxSecurityContext(pod),
    sysctls,
  };
  return config;
}

/** What the kubelet reports as Warning events when it makes the sandbox: MissingClusterDNS, DNSConfigForming. */
export function sandboxWarnings(pod: V1Pod, opts: SandboxOptions): DnsWarning[] {
  return podDNSConfig(pod, opts).warnings;
}
