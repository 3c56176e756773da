// Where probes may go: named or numbered container ports (probe.ResolveContainerPort) and the pod-or-loopback host rule.
import { isIP } from 'node:net';
import type { V1Container } from '@kubernetes/client-node';
import type { ProbeTarget } from './types.js';

/** probe.ResolveContainerPort: a number, a port name from the container, or a number written as a string. */
export function resolveContainerPort(port: number | string | undefined, container: Pick<V1Container, 'ports'>): number {
  let n: number;
  if (typeof port === 'number') {
    n = port;
  } else if (typeof port === 'string') {
    const named = (container.ports ?? []).find((p) => p.name === port);
    if (named) n = named.containerPort;
    else if (/^[+-]?\d+$/.test(port)) n = Number(port);
    else throw new Error(`strconv.Atoi: parsing ${JSON.stringify(port)}: invalid syntax`);
  } else {
    throw new Error(`intOrString had no kind: ${String(port)}`);
  }
  if (Number.isInteger(n) && n > 0 && n < 65536) return n;
  throw new Error(`invalid port number: ${n}`);
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return /^(0*:)*:?0*1$/.test(host) || host.toLowerCase().startsWith('::ffff:127.');
  return false;
}

/**
 * The host a probe or hook talks to: its own `host` field, else the pod IP. This agent sends
 * probe traffic only to the pod itself or to loopback, so any other host is refused with an error
 * (the kubelet would dial it; here that could reach machines the pod's owner does not control).
 */
export function probeHost(requested: string | undefined, target: ProbeTarget): string {
  const host = (requested ?? '').replace(/^\[(.*)\]$/, '$1');
  if (host === '') return target.podIP;
  if (isLoopback(host) || target.podIPs.includes(host) || host === target.podIP) return host;
  throw new Error(`host ${JSON.stringify(host)} is neither the pod's IP nor loopback: mini-kubelet only sends probe traffic to the pod itself`);
}

/** net.JoinHostPort: brackets around IPv6 literals. */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
