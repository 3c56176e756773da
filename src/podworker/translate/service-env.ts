// The service links a container's environment gets: the master service's KUBERNETES_* always, the namespace's services with enableServiceLinks (the kubelet's getServiceEnvVarMap and envvars.FromServices).
import type { V1Service } from '@kubernetes/client-node';

/** kubelet_pods.go masterServices: linked into every pod, from the master service namespace. */
const MASTER_SERVICES = new Set(['kubernetes']);
/** --master-service-namespace (deprecated; default "default"). */
export const MASTER_SERVICE_NAMESPACE = 'default';

/** v1helper.IsServiceIPSet: headless ("None") and clusterIP-less services get no variables. */
function isServiceIPSet(s: V1Service): boolean {
  const ip = s.spec?.clusterIP;
  return ip !== undefined && ip !== '' && ip !== 'None';
}

/** makeEnvVariableName: my-svc → MY_SVC. */
function envName(s: string): string {
  return s.replaceAll('-', '_').toUpperCase();
}

/** net.JoinHostPort: an IPv6 address is bracketed. */
function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** envvars.FromServices: {SVC}_SERVICE_HOST/_PORT(_NAME) and the Docker link variables, in the kubelet's order. */
export function fromServices(services: readonly V1Service[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const s of services) {
    const ports = s.spec?.ports ?? [];
    if (!isServiceIPSet(s) || ports.length === 0) continue;
    const ip = s.spec!.clusterIP!;
    const prefix = envName(s.metadata?.name ?? '');
    out.push([`${prefix}_SERVICE_HOST`, ip]);
    out.push([`${prefix}_SERVICE_PORT`, String(ports[0]!.port)]);
    for (const p of ports) if (p.name) out.push([`${prefix}_SERVICE_PORT_${envName(p.name)}`, String(p.port)]);
    // makeLinkVariables
    ports.forEach((p, i) => {
      const protocol = p.protocol || 'TCP';
      const url = `${protocol.toLowerCase()}://${joinHostPort(ip, p.port)}`;
      if (i === 0) out.push([`${prefix}_PORT`, url]);
      const portPrefix = `${prefix}_PORT_${p.port}_${protocol.toUpperCase()}`;
      out.push([portPrefix, url], [`${portPrefix}_PROTO`, protocol.toLowerCase()], [`${portPrefix}_PORT`, String(p.port)], [`${portPrefix}_ADDR`, ip]);
    });
  }
  return out;
}

/**
 * getServiceEnvVarMap: the master services of the master service namespace always (even with
 * enableServiceLinks false), and with enableServiceLinks every service of the pod's namespace; a
 * namespace's own service of the master's name wins over the master's. Services in name order
 * (the kubelet's map has none), so the variables are the same on every start.
 */
export function serviceEnvVarMap(services: readonly V1Service[], namespace: string, enableServiceLinks: boolean): Map<string, string> {
  const byName = new Map<string, V1Service>();
  for (const s of services) {
    if (!isServiceIPSet(s)) continue;
    const name = s.metadata?.name ?? '';
    const ns = s.metadata?.namespace ?? '';
    if (ns === MASTER_SERVICE_NAMESPACE && MASTER_SERVICES.has(name)) {
      if (!byName.has(name)) byName.set(name, s);
    } else if (ns === namespace && enableServiceLinks) {
      byName.set(name, s);
    }
  }
  const sorted = [...byName.keys()].sort().map((n) => byName.get(n)!);
  return new Map(fromServices(sorted));
}
