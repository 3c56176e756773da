// A pod's network counters: /proc/<pid>/net/dev of a process in the pod's network namespace, as cAdvisor reads them.
import { readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { wireTime, type InterfaceStats, type NetworkStats } from './types.js';

/** The interface the kubelet reports inline (defaultNetworkInterfaceName). */
export const DEFAULT_INTERFACE = 'eth0';

/** cAdvisor skips these (isIgnoredDevice): loopback and the host ends of container links. */
const IGNORED_PREFIXES = ['lo', 'veth', 'docker', 'nerdctl'];

/**
 * /proc/net/dev: two header lines, then "  eth0: rxBytes rxPackets rxErrs rxDrop rxFifo rxFrame
 * rxCompressed rxMulticast txBytes txPackets txErrs ...".
 */
export function parseNetDev(text: string): InterfaceStats[] {
  const out: InterfaceStats[] = [];
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (!name || f.length < 11 || IGNORED_PREFIXES.some((p) => name.startsWith(p))) continue;
    out.push({ name, rxBytes: f[0], rxErrors: f[2], txBytes: f[8], txErrors: f[10] });
  }
  return out;
}

/**
 * The network stats of the namespace `pid` lives in; undefined when unreadable, or when that is the
 * agent's own namespace (a hostNetwork pod: the node's interfaces are not the pod's traffic).
 */
export async function podNetwork(procDir: string, pid: number, nowMs: number): Promise<NetworkStats | undefined> {
  const [theirs, ours] = await Promise.all([
    readlink(path.join(procDir, String(pid), 'ns/net')).catch(() => undefined),
    readlink(path.join(procDir, 'self/ns/net')).catch(() => undefined),
  ]);
  if (theirs === undefined || theirs === ours) return undefined;
  const text = await readFile(path.join(procDir, String(pid), 'net/dev'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const interfaces = parseNetDev(text);
  const inline = interfaces.find((i) => i.name === DEFAULT_INTERFACE);
  return { time: wireTime(nowMs), ...inline, interfaces };
}
