// Is a host port the pod asks for already taken by an admitted pod (the scheduler's NodePorts filter, as the kubelet runs it), pure.
import type { V1Pod } from '@kubernetes/client-node';

/** framework.DefaultBindAllHostIP: a port with no hostIP binds every address. */
const BIND_ALL = '0.0.0.0';

interface HostPort {
  ip: string;
  /** "<protocol>/<port>", the ProtocolPort key. */
  key: string;
}

/**
 * getContainerPorts + HostPortInfo.sanitize: the hostPorts of the regular containers (init
 * containers hold none), an empty hostIP as 0.0.0.0 and an empty protocol as TCP. hostPort 0
 * (none) never conflicts.
 */
function hostPorts(pod: V1Pod): HostPort[] {
  const out: HostPort[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      out.push({ ip: p.hostIP || BIND_ALL, key: `${p.protocol || 'TCP'}/${p.hostPort}` });
    }
  }
  return out;
}

/**
 * nodeports.Fits via HostPortInfo.CheckConflict: a wanted port on 0.0.0.0 clashes with the same
 * protocol and port on any address; on a given address, with that address or 0.0.0.0.
 */
export function fitsHostPorts(pod: V1Pod, others: readonly V1Pod[]): boolean {
  const wanted = hostPorts(pod);
  if (wanted.length === 0) return true;
  const used = new Map<string, Set<string>>();
  for (const other of others) {
    for (const hp of hostPorts(other)) {
      let keys = used.get(hp.ip);
      if (!keys) used.set(hp.ip, (keys = new Set()));
      keys.add(hp.key);
    }
  }
  for (const want of wanted) {
    const ips = want.ip === BIND_ALL ? [...used.keys()] : [BIND_ALL, want.ip];
    if (ips.some((ip) => used.get(ip)?.has(want.key))) return false;
  }
  return true;
}
