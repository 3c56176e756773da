// A pod's resolv.conf settings from its dnsPolicy and dnsConfig, pure (the kubelet's network/dns Configurer.GetPodDNS).
import type { V1Pod, V1PodDNSConfigOption } from '@kubernetes/client-node';
import type { DNSConfig } from '../../cri/types.js';

/** Limits from libc's resolver, as the API validation states them (MaxDNSNameservers etc.). */
export const MAX_DNS_NAMESERVERS = 3;
export const MAX_DNS_SEARCH_PATHS = 32;
export const MAX_DNS_SEARCH_LIST_CHARS = 2048;
const MAX_SEARCH_DOMAIN_LENGTH = 253; // DNS1123SubdomainMaxLength: longer ones crash some glibc versions
const DEFAULT_DNS_OPTIONS = ['ndots:5'];

export interface DnsOptions {
  /** The CONTENT of the node's resolv.conf; undefined when no --resolv-conf is configured. */
  resolvConf?: string;
  clusterDNS?: string[];
  clusterDomain?: string;
  /** The node's IPs, to pick 127.0.0.1 or ::1 when no resolv.conf is configured. */
  nodeIPs?: string[];
}

/** A problem the kubelet reports as a Warning event on the pod. */
export interface DnsWarning {
  reason: 'MissingClusterDNS' | 'DNSConfigForming';
  message: string;
}

export interface PodDns {
  dnsConfig: DNSConfig;
  /** What the kubelet would report as events (MissingClusterDNS, DNSConfigForming). */
  warnings: DnsWarning[];
}

const omitDuplicates = (xs: string[]): string[] => [...new Set(xs)];

/** parseResolvConf: nameservers accumulate, the last search line wins, options merge by name. */
export function parseResolvConf(content: string): Required<DNSConfig> {
  const out: Required<DNSConfig> = { servers: [], searches: [], options: [] };
  for (const raw of content.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || line.startsWith(';')) continue;
    const fields = line.split(/\s+/).filter(Boolean);
    if (fields[0] === 'nameserver' && fields[1]) out.servers.push(fields[1]);
    if (fields[0] === 'search') out.searches = fields.slice(1).filter((s) => s !== '.').map((s) => s.replace(/\.$/, ''));
    if (fields[0] === 'options') out.options = mergeOptions(out.options, fields.slice(1).map(toOption));
  }
  return out;
}

function toOption(s: string): V1PodDNSConfigOption {
  const i = s.indexOf(':');
  return i < 0 ? { name: s } : { name: s.slice(0, i), value: s.slice(i + 1) };
}

/** mergeDNSOptions: later options with the same name replace earlier ones (order of first appearance kept). */
function mergeOptions(existing: string[], more: V1PodDNSConfigOption[]): string[] {
  const byName = new Map<string, string>();
  for (const o of [...existing.map(toOption), ...more]) byName.set(o.name ?? '', o.value ?? '');
  return [...byName].map(([name, v]) => (v ? `${name}:${v}` : name));
}

type DnsType = 'none' | 'cluster' | 'host';

/** getPodDNSType: ClusterFirst on the host network means Default. */
function podDnsType(pod: V1Pod): DnsType {
  const hostNetwork = pod.spec?.hostNetwork === true;
  switch (pod.spec?.dnsPolicy ?? 'ClusterFirst') {
    case 'None': return 'none';
    case 'ClusterFirstWithHostNet': return 'cluster';
    case 'Default': return 'host';
    case 'ClusterFirst': return hostNetwork ? 'host' : 'cluster';
    default: return 'cluster';
  }
}

/** formDNSSearchFitsLimits: at most 32 paths, none over 253 chars, the line within 2048 chars. */
function searchFitsLimits(searches: string[], warnings: DnsWarning[]): string[] {
  let out = searches.slice(0, MAX_DNS_SEARCH_PATHS).filter((s) => s.length <= MAX_SEARCH_DOMAIN_LENGTH);
  while (out.length > 0 && out.join(' ').length > MAX_DNS_SEARCH_LIST_CHARS) out = out.slice(0, -1);
  if (out.length !== searches.length) {
    warnings.push({ reason: 'DNSConfigForming', message: `Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${out.join(' ')}` });
  }
  return out;
}

/** GetPodDNS */
export function podDNSConfig(pod: V1Pod, opts: DnsOptions): PodDns {
  const warnings: DnsWarning[] = [];
  const host = opts.resolvConf === undefined ? { servers: [], searches: [], options: [] } : parseResolvConf(opts.resolvConf);
  let cfg: Required<DNSConfig> = host;
  let type = podDnsType(pod);
  if (type === 'none') cfg = { servers: [], searches: [], options: [] };
  if (type === 'cluster') {
    if (opts.clusterDNS && opts.clusterDNS.length > 0) {
      // The cluster DNS server is the only nameserver: it forwards what it cannot answer itself.
      const domain = opts.clusterDomain ?? '';
      const ns = pod.metadata?.namespace ?? '';
      const searches = domain ? omitDuplicates([`${ns}.svc.${domain}`, `svc.${domain}`, domain, ...host.searches]) : host.searches;
      cfg = { servers: [...opts.clusterDNS], searches, options: [...DEFAULT_DNS_OPTIONS] };
    } else {
      warnings.push({
        reason: 'MissingClusterDNS',
        message: `pod: "${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})". kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.`,
      });
      type = 'host';
    }
  }
  if (type === 'host' && opts.resolvConf === undefined) {
    // No resolv.conf: point at the local host, which is what a resolver does with no nameserver.
    const local = omitDuplicates((opts.nodeIPs ?? []).map((ip) => (ip.includes(':') ? '::1' : '127.0.0.1')));
    cfg = { servers: local.length ? local : ['127.0.0.1'], searches: ['.'], options: [] };
  }
  const extra = pod.spec?.dnsConfig;
  if (extra) {
    cfg = {
      servers: omitDuplicates([...cfg.servers, ...(extra.nameservers ?? [])]),
      searches: omitDuplicates([...cfg.searches, ...(extra.searches ?? [])]),
      options: mergeOptions(cfg.options, extra.options ?? []),
    };
  }
  if (cfg.servers.length > MAX_DNS_NAMESERVERS) {
    warnings.push({
      reason: 'DNSConfigForming',
      message: `Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${cfg.servers.slice(0, MAX_DNS_NAMESERVERS).join(' ')}`,
    });
    cfg.servers = cfg.servers.slice(0, MAX_DNS_NAMESERVERS);
  }
  cfg.searches = searchFitsLimits(cfg.searches, warnings);
  return { dnsConfig: cfg, warnings };
}
