// The benchmark pod (one busybox container) as a manifest for the agent, and as the exact CRI configs the agent would send, for the floor.
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { parseManifest } from '../../src/config/manifest.js';
import type { ContainerConfig, PodSandboxConfig } from '../../src/cri/types.js';
import { nodeIPOf } from '../../src/node/address.js';
import { generateContainerConfig, type NodeContainerOptions } from '../../src/podworker/translate/container-config.js';
import { generatePodSandboxConfig, type SandboxOptions } from '../../src/podworker/translate/sandbox-config.js';
import { TERMINATION_MESSAGE_HOST_PATH_ANNOTATION } from '../../src/runtime/labels.js';
import { HostVolumeManager } from '../../src/volumes/manager.js';

export const IMAGE = process.env.BENCH_IMAGE ?? 'busybox:1.36';

export interface PodShape {
  /** Host-network pods skip CNI: used where the pod subnet is too small for the count. */
  hostNetwork?: boolean;
  /** terminationGracePeriodSeconds (default 2). */
  graceSeconds?: number;
  /** A bare `sleep` as PID 1, which ignores SIGTERM: a stop then takes the whole grace period (the teardown figure). */
  ignoreTerm?: boolean;
}

/**
 * One busybox container that sleeps. The shell traps TERM so that a deleted pod ends at once
 * instead of waiting out its grace period (a bare `sleep` as PID 1 ignores SIGTERM).
 */
export function podManifest(name: string, shape: PodShape = {}): string {
  return [
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    `  name: ${name}`,
    '  namespace: default',
    'spec:',
    `  terminationGracePeriodSeconds: ${shape.graceSeconds ?? 2}`,
    ...(shape.hostNetwork ? ['  hostNetwork: true'] : []),
    '  containers:',
    '    - name: app',
    `      image: ${IMAGE}`,
    shape.ignoreTerm ? '      command: ["sleep", "3600"]' : '      command: ["sh", "-c", "trap \'exit 0\' TERM; sleep 3600 & wait"]',
    '',
  ].join('\n');
}

/**
 * The agent's sandbox options with its default flags (run.ts: --resolv-conf /etc/resolv.conf, no
 * cluster DNS, --cgroups-per-qos with --cgroup-root /, so each sandbox gets the pod cgroup as its
 * parent; runc makes that path when the agent has not).
 */
export function agentSandboxOptions(nodeName: string, podLogsDir: string): SandboxOptions {
  let resolvConf = '';
  try {
    resolvConf = readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    /* as the agent: no resolv.conf means none */
  }
  return { nodeName, podLogsDir, resolvConf, clusterDNS: [], clusterDomain: undefined, cgroupRoot: '/' };
}

/** The node's part of every container config, as run.ts's nodeSettings computes it with default flags. */
export function agentContainerOptions(rootDir: string): NodeContainerOptions {
  let appArmorEnabled = false;
  try {
    appArmorEnabled = readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y';
  } catch {
    /* no AppArmor */
  }
  return {
    allocatable: { cpu: String(cpus().length), memory: String(totalmem()) },
    memoryCapacity: totalmem(),
    seccompProfileRoot: path.join(rootDir, 'seccomp'),
    policy: { allowPrivileged: true, allowHostNamespaces: true, allowHostPath: true },
    appArmorEnabled,
  };
}

export interface FloorPod {
  pod: V1Pod;
  sandbox: PodSandboxConfig;
  container: ContainerConfig;
}

/**
 * The configs the agent sends for the same manifest: decoded and defaulted by the agent's own
 * manifest code, translated by its own generators, with the termination-message file prepared by
 * its own volume manager. Everything here is host work done before the floor's clock starts.
 */
export async function floorPod(name: string, nodeName: string, dirs: { rootDir: string; podLogsDir: string }, shape: PodShape = {}): Promise<FloorPod> {
  const parsed = parseManifest(podManifest(name, shape), { path: `/bench/${name}.yaml`, nodeName });
  const pod = parsed.pods[0];
  if (!pod) throw new Error(`bench manifest rejected: ${JSON.stringify(parsed.errors)}`);
  const sandbox = generatePodSandboxConfig(pod, 0, agentSandboxOptions(nodeName, dirs.podLogsDir));
  const spec = pod.spec!.containers[0]!;
  const volumes = new HostVolumeManager(dirs.rootDir);
  await volumes.setUpPod(pod);
  // The agent passes the sandbox's IPs (for the pod's /etc/hosts), known only after RunPodSandbox;
  // the floor's file lacks that line, which changes nothing for the runtime (the same bind mount).
  const mounts = await volumes.mountsFor(pod, spec, 0, []);
  const hostIP = nodeIPOf(undefined);
  const container = generateContainerConfig(pod, spec, 'regular', 0, { ...agentContainerOptions(dirs.rootDir), podIPs: [], hostIP, mounts, nodeName });
  const tm = volumes.terminationMessageHostPath(pod, spec, 0);
  if (tm) container.annotations = { ...container.annotations, [TERMINATION_MESSAGE_HOST_PATH_ANNOTATION]: tm };
  return { pod, sandbox, container };
}
