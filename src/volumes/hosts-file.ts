// The kubelet-managed /etc/hosts of a pod (kubelet_pods.go: managedHostsFileContent, nodeHostsFileContent, hostsEntriesFromHostAliases).
import type { V1HostAlias, V1Pod } from '@kubernetes/client-node';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import type { Mount } from '../cri/types.js';
import { podHostname } from '../podworker/translate/sandbox-config.js';
import { VolumeError } from './errors.js';

export const ETC_HOSTS = '/etc/hosts';

const MANAGED_HEADER = '# Kubernetes-managed hosts file.\n';
const MANAGED_HEADER_HOST_NETWORK = '# Kubernetes-managed hosts file (host network).\n';

/** hostsEntriesFromHostAliases: one line per alias IP, its hostnames tab-separated, after a marker comment. */
export function hostsEntriesFromHostAliases(aliases: V1HostAlias[] | undefined): string {
  if (!aliases?.length) return '';
  let out = '\n# Entries added by HostAliases.\n';
  for (const a of aliases) out += `${a.ip}\t${(a.hostnames ?? []).join('\t')}\n`;
  return out;
}

/**
 * managedHostsFileContent: the localhost lines, then each pod IP with the hostname (as
 * `hostname.domain hostname` when the pod has a subdomain and the node a cluster domain).
 */
export function managedHostsFileContent(podIPs: string[], hostname: string, hostDomain: string, aliases?: V1HostAlias[]): string {
  let out = MANAGED_HEADER;
  out += '127.0.0.1\tlocalhost\n';
  out += '::1\tlocalhost ip6-localhost ip6-loopback\n';
  out += 'fe00::0\tip6-localnet\n';
  out += 'fe00::0\tip6-mcastprefix\n';
  out += 'fe00::1\tip6-allnodes\n';
  out += 'fe00::2\tip6-allrouters\n';
  for (const ip of podIPs) out += hostDomain ? `${ip}\t${hostname}.${hostDomain}\t${hostname}\n` : `${ip}\t${hostname}\n`;
  return out + hostsEntriesFromHostAliases(aliases);
}

/** nodeHostsFileContent: a host-network pod sees the node's own hosts file, plus its hostAliases. */
export function nodeHostsFileContent(nodeHosts: string, aliases?: V1HostAlias[]): string {
  return MANAGED_HEADER_HOST_NETWORK + nodeHosts + hostsEntriesFromHostAliases(aliases);
}

/** GeneratePodHostNameAndDomain's domain: <subdomain>.<namespace>.svc.<cluster-domain>, or '' without both. */
export function podHostDomain(subdomain: string | undefined, namespace: string, clusterDomain: string | undefined): string {
  return subdomain && clusterDomain ? `${subdomain}.${namespace}.svc.${clusterDomain}` : '';
}

export interface HostsFileSpec {
  podIPs: string[];
  hostname: string;
  hostDomain: string;
  aliases?: V1HostAlias[];
  hostNetwork: boolean;
  /** The node's hosts file, read only for host-network pods. */
  nodeHostsFile: string;
}

/**
 * ensureHostsFile: written in place, 0644, and only when its content changes, so that every
 * container already bind-mounting it sees the same inode.
 */
export async function ensureHostsFile(file: string, spec: HostsFileSpec): Promise<void> {
  const content = spec.hostNetwork
    ? nodeHostsFileContent(await readFile(spec.nodeHostsFile, 'utf8'), spec.aliases)
    : managedHostsFileContent(spec.podIPs, spec.hostname, spec.hostDomain, spec.aliases);
  const current = await readFile(file, 'utf8').catch(() => undefined);
  if (current !== content) await writeFile(file, content, { mode: 0o644 });
  await chmod(file, 0o644);
}

/** makeHostsMount's content: what the pod's hosts file holds, or why it cannot be made (a bad hostname). Pure. */
export function hostsFileSpec(pod: V1Pod, podIPs: string[], opts: { clusterDomain?: string; nodeHostsFile?: string }): HostsFileSpec {
  let hostname: string;
  try {
    // GeneratePodHostNameAndDomain: the short hostname here, even with setHostnameAsFQDN.
    hostname = podHostname({ ...pod, spec: { ...pod.spec!, setHostnameAsFQDN: false } });
  } catch (err) {
    throw new VolumeError((err as Error).message);
  }
  return {
    podIPs,
    hostname,
    hostDomain: podHostDomain(pod.spec?.subdomain, pod.metadata?.namespace ?? '', opts.clusterDomain),
    aliases: pod.spec?.hostAliases,
    hostNetwork: pod.spec?.hostNetwork === true,
    nodeHostsFile: opts.nodeHostsFile ?? ETC_HOSTS,
  };
}

/** The mount of the pod's hosts file: read-write at /etc/hosts. */
export function hostsMount(file: string): Mount {
  return { containerPath: ETC_HOSTS, hostPath: file, readonly: false };
}

/** makeHostsMount: the pod's hosts file, brought up to date, mounted read-write at /etc/hosts. */
export async function makeHostsMount(
  file: string,
  pod: V1Pod,
  podIPs: string[],
  opts: { clusterDomain?: string; nodeHostsFile?: string },
): Promise<Mount> {
  await ensureHostsFile(file, hostsFileSpec(pod, podIPs, opts)).catch((err: Error) => {
    throw err instanceof VolumeError ? err : new VolumeError(`cannot write the pod's hosts file: ${err.message}`);
  });
  return hostsMount(file);
}
