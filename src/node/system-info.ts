// What the Node's status.nodeInfo says about the machine (cAdvisor's MachineInfo and VersionInfo), read once at start, and the kubelet version we report.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { release } from 'node:os';

export interface SystemInfo {
  /** /etc/os-release PRETTY_NAME (cAdvisor's ContainerOsVersion), "Linux" when it has none. */
  osImage: string;
  /** uname -r. */
  kernelVersion: string;
  /** /proc/sys/kernel/random/boot_id: changes at every boot (the kubelet records Rebooted when it does). */
  bootID: string;
  /** /etc/machine-id (or /var/lib/dbus/machine-id). */
  machineID: string;
  /** /sys/class/dmi/id/product_uuid; '' where the machine has no DMI (most VMs without firmware tables) or it is root-only. */
  systemUUID: string;
}

/**
 * The kubelet version in nodeInfo. The control plane this project targets is v1.28, and a kubelet
 * must not be newer than its API server (the version skew policy), so we report the v1.28 kubelet
 * whose behaviour the cluster parts copy, with our own version as semver build metadata (as
 * distributions do, e.g. "v1.28.7+k3s1"): `kubectl get nodes` shows both.
 */
export const KUBELET_COMPAT_VERSION = 'v1.28.0';

function ownVersion(): string {
  try {
    // src/node and dist/node both sit two levels below package.json.
    return (createRequire(import.meta.url)('../../package.json') as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export const KUBELET_VERSION = `${KUBELET_COMPAT_VERSION}+mini-kubelet.${ownVersion()}`;

const firstLine = (path: string) => readFile(path, 'utf8').then((s) => s.trim().split('\n')[0]!.trim(), () => '');

/** cAdvisor's getOsVersion: PRETTY_NAME from os-release, quotes removed. */
export function prettyName(osRelease: string): string {
  const m = /^PRETTY_NAME=(.*)$/m.exec(osRelease);
  const v = m?.[1]?.trim().replace(/^["']|["']$/g, '');
  return v || 'Linux';
}

export async function readSystemInfo(): Promise<SystemInfo> {
  const osRelease = await readFile('/etc/os-release', 'utf8').catch(() => readFile('/usr/lib/os-release', 'utf8').catch(() => ''));
  return {
    osImage: prettyName(osRelease),
    kernelVersion: release(),
    bootID: await firstLine('/proc/sys/kernel/random/boot_id'),
    machineID: (await firstLine('/etc/machine-id')) || (await firstLine('/var/lib/dbus/machine-id')),
    systemUUID: await firstLine('/sys/class/dmi/id/product_uuid'),
  };
}
