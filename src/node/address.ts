// Works out the node's name and IP the way the kubelet does (--hostname-override, --node-ip, else the host's own).
import os from 'node:os';

/** kubelet: nodeutil.GetHostname. The override or the host name, lowercased and trimmed. */
export function nodeNameOf(hostnameOverride: string | undefined): string {
  const name = (hostnameOverride ?? os.hostname()).trim().toLowerCase();
  if (!name) throw new Error('empty node name: pass --hostname-override');
  return name;
}

/**
 * The node's IP: --node-ip when given, else the first non-internal IPv4 address of an interface
 * that is not a container bridge or veth (those belong to pods, not the node).
 */
export function nodeIPOf(nodeIP: string | undefined, interfaces = os.networkInterfaces()): string {
  if (nodeIP) return nodeIP;
  const skip = /^(cni|veth|docker|br-|virbr|flannel|cali)/;
  for (const [name, addrs] of Object.entries(interfaces)) {
    if (skip.test(name)) continue;
    const v4 = (addrs ?? []).find((a) => a.family === 'IPv4' && !a.internal);
    if (v4) return v4.address;
  }
  return '127.0.0.1';
}
