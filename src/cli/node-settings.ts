// What the node contributes to every pod, from the flags: sandbox and container options, pod cgroups, and what admission checks; shared by the agent and `plan`.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { release } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { defaultNodeLabels } from '../admission/node-affinity.js';
import type { AdmissionNode } from '../admission/types.js';
import { nodeResources, readMachineInfo, type NodeResources } from '../node/allocatable.js';
import { CgroupfsManager } from '../node/cgroups-fs.js';
import type { NodeContainerOptions } from '../podworker/translate/container-config.js';
import type { NodePolicy } from '../podworker/translate/policy.js';
import type { SandboxOptions } from '../podworker/translate/sandbox-config.js';
import { safeSysctls, SysctlAllowlist } from '../podworker/translate/sysctls.js';
import type { RunOptions } from './flags.js';

/** The flags the node's settings come from. */
export type NodeFlags = Pick<
  RunOptions,
  | 'rootDir' | 'podLogsDir' | 'maxPods' | 'cgroupRoot' | 'cgroupsPerQos' | 'allowPrivileged' | 'allowHostNamespaces' | 'allowHostPath'
  | 'allowedUnsafeSysctls' | 'resolvConf' | 'clusterDns' | 'clusterDomain' | 'nodeLabels'
>;

export interface NodeSettings {
  /** Every sandbox's options (generatePodSandboxConfig). */
  sandbox: SandboxOptions;
  /** Every container's node part (generateContainerConfig). */
  container: NodeContainerOptions;
  /** Pod cgroups under the QoS hierarchy; never made for `plan`. */
  podCgroups?: CgroupfsManager;
  /** What pods are admitted against. */
  admission: AdmissionNode;
  /** Capacity and allocatable, as the Node reports them in cluster mode. */
  resources: NodeResources;
}

/**
 * The node's settings. `sideEffects: true` (the agent) makes --root-dir and the QoS cgroups, as
 * the kubelet's setupDataDirs and container manager do; `false` (`plan`) makes nothing, and
 * measures the filesystem --root-dir would be on (its nearest existing parent). Undefined, after
 * saying why on stderr, when a flag is invalid, the machine cannot be read, or the cgroups cannot be made.
 *
 * Allocatable is capacity minus the kubelet's default hard-eviction thresholds
 * (memory.available<100Mi, nodefs.available<10%), subtracted as fixed values: there is no
 * --eviction-hard, --kube-reserved or --system-reserved. The seccomp root is <root-dir>/seccomp.
 */
export async function nodeSettings(
  o: NodeFlags,
  node: { nodeName: string; hostIP: string; logger: Logger },
  opts: { sideEffects: boolean },
): Promise<NodeSettings | undefined> {
  const policy: NodePolicy = { allowPrivileged: o.allowPrivileged, allowHostNamespaces: o.allowHostNamespaces, allowHostPath: o.allowHostPath };
  const appArmorEnabled = (await readFile('/sys/module/apparmor/parameters/enabled', 'utf8').catch(() => 'N')).trim() === 'Y';
  let sysctls: SysctlAllowlist;
  let podCgroups: CgroupfsManager | undefined;
  let resources: NodeResources;
  try {
    sysctls = new SysctlAllowlist([...safeSysctls(release()), ...o.allowedUnsafeSysctls]);
    // setupDataDirs makes --root-dir before its filesystem is measured (ephemeral-storage capacity).
    if (opts.sideEffects) await mkdir(o.rootDir, { recursive: true, mode: 0o750 });
    resources = nodeResources(readMachineInfo(opts.sideEffects ? o.rootDir : nearestExisting(o.rootDir)), o.maxPods);
    if (o.cgroupsPerQos && opts.sideEffects) {
      podCgroups = new CgroupfsManager({ cgroupRoot: o.cgroupRoot, logger: node.logger, capacity: resources.capacity });
      await podCgroups.start();
    }
  } catch (err) {
    process.stderr.write(`mini-kubelet: ${(err as Error).message}\n`);
    return undefined;
  }
  let resolvConf: string | undefined;
  if (o.resolvConf) {
    resolvConf = await readFile(o.resolvConf, 'utf8').catch((err: Error) => {
      node.logger.warn({ resolvConf: o.resolvConf, err: err.message }, 'cannot read --resolv-conf: pods with dnsPolicy Default get no nameservers');
      return '';
    });
  }
  const container: NodeContainerOptions = {
    allocatable: resources.allocatable,
    // Burstable oom_score_adj is against the machine's memory (MachineInfo.MemoryCapacity), not allocatable.
    memoryCapacity: Number(resources.capacity.memory),
    seccompProfileRoot: path.join(o.rootDir, 'seccomp'),
    policy,
    appArmorEnabled,
  };
  const sandbox: SandboxOptions = {
    nodeName: node.nodeName,
    podLogsDir: o.podLogsDir,
    resolvConf,
    clusterDNS: o.clusterDns,
    clusterDomain: o.clusterDomain,
    nodeIPs: [node.hostIP],
    policy,
    appArmorEnabled,
    ...(o.cgroupsPerQos ? { cgroupRoot: o.cgroupRoot } : {}),
  };
  // What pods are admitted against: the kubelet's own node labels and --node-labels, the same allocatable (pods is --max-pods).
  const admission: AdmissionNode = {
    name: node.nodeName,
    labels: { ...defaultNodeLabels(node.nodeName), ...o.nodeLabels },
    allocatable: resources.admission,
    sysctls,
  };
  return { sandbox, container, podCgroups, admission, resources };
}

/** The path itself if it exists, else its nearest existing parent (the filesystem it would be made on). */
function nearestExisting(p: string): string {
  let dir = path.resolve(p);
  while (!existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}
