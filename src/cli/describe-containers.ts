// The Containers and Init Containers sections of `describe pod`, line for line as kubectl's describeContainers writes them.
import type { V1Container, V1ContainerState, V1ContainerStatus, V1EnvVar, V1Pod, V1Probe } from '@kubernetes/client-node';
import { rfc1123z, type DescribeWriter } from './describe-writer.js';

/** kubectl DescribeProbe: "http-get http://:8080/ delay=0s timeout=1s period=10s #success=1 #failure=3". */
export function describeProbe(p: V1Probe): string {
  const attrs =
    `delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 0}s period=${p.periodSeconds ?? 0}s ` +
    `#success=${p.successThreshold ?? 0} #failure=${p.failureThreshold ?? 0}`;
  if (p.exec) return `exec [${(p.exec.command ?? []).join(' ')}] ${attrs}`;
  if (p.httpGet) {
    const h = p.httpGet;
    const port = h.port === undefined ? '' : String(h.port);
    const host = h.host ?? '';
    const hostPort = port ? (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`) : host;
    return `http-get ${(h.scheme ?? '').toLowerCase()}://${hostPort}${h.path ?? ''} ${attrs}`;
  }
  if (p.tcpSocket) return `tcp-socket ${p.tcpSocket.host ?? ''}:${String(p.tcpSocket.port)} ${attrs}`;
  if (p.grpc) return `grpc <pod>:${p.grpc.port} ${p.grpc.service ?? ''} ${attrs}`;
  return `unknown ${attrs}`;
}

function describeState(w: DescribeWriter, name: string, state: V1ContainerState | undefined): void {
  if (state?.running) {
    w.line(2, `${name}:\tRunning`);
    w.line(3, `Started:\t${rfc1123z(state.running.startedAt, w.timeZone)}`);
  } else if (state?.terminated) {
    const t = state.terminated;
    w.line(2, `${name}:\tTerminated`);
    if (t.reason) w.line(3, `Reason:\t${t.reason}`);
    if (t.message) w.line(3, `Message:\t${t.message}`);
    w.line(3, `Exit Code:\t${t.exitCode}`);
    if ((t.signal ?? 0) > 0) w.line(3, `Signal:\t${t.signal}`);
    w.line(3, `Started:\t${rfc1123z(t.startedAt, w.timeZone)}`);
    w.line(3, `Finished:\t${rfc1123z(t.finishedAt, w.timeZone)}`);
  } else {
    w.line(2, `${name}:\tWaiting`);
    if (state?.waiting?.reason) w.line(3, `Reason:\t${state.waiting.reason}`);
  }
}

/** kubectl EnvValueRetriever for the fields a standalone pod can answer. */
function fieldRefValue(pod: V1Pod, path: string): string {
  const m = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(path);
  if (m) return (m[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations)?.[m[2]!] ?? '';
  const simple: Record<string, string | undefined> = {
    'metadata.name': pod.metadata?.name,
    'metadata.namespace': pod.metadata?.namespace,
    'metadata.uid': pod.metadata?.uid,
    'spec.nodeName': pod.spec?.nodeName,
    'spec.serviceAccountName': pod.spec?.serviceAccountName,
    'status.hostIP': pod.status?.hostIP,
    'status.podIP': pod.status?.podIP,
  };
  return simple[path] ?? '';
}

function describeEnv(w: DescribeWriter, pod: V1Pod, c: V1Container, env: V1EnvVar[]): void {
  w.line(2, env.length === 0 ? 'Environment:\t<none>' : 'Environment:');
  for (const e of env) {
    const from = e.valueFrom;
    if (!from) {
      (e.value ?? '').split('\n').forEach((s, i) => w.line(3, i === 0 ? `${e.name}:\t${s}` : `\t${s}`));
    } else if (from.fieldRef) {
      w.line(3, `${e.name}:\t${fieldRefValue(pod, from.fieldRef.fieldPath)} (${from.fieldRef.apiVersion ?? ''}:${from.fieldRef.fieldPath})`);
    } else if (from.resourceFieldRef) {
      const [kind, res] = from.resourceFieldRef.resource.split('.') as ['limits' | 'requests', string];
      let value = c.resources?.[kind]?.[res] ?? '0';
      if (value === '0' && (from.resourceFieldRef.resource === 'limits.cpu' || from.resourceFieldRef.resource === 'limits.memory')) value = 'node allocatable';
      w.line(3, `${e.name}:\t${value} (${from.resourceFieldRef.resource})`);
    } else if (from.secretKeyRef) {
      w.line(3, `${e.name}:\t<set to the key '${from.secretKeyRef.key}' in secret '${from.secretKeyRef.name}'>\tOptional: ${from.secretKeyRef.optional === true}`);
    } else if (from.configMapKeyRef) {
      w.line(3, `${e.name}:\t<set to the key '${from.configMapKeyRef.key}' of config map '${from.configMapKeyRef.name}'>\tOptional: ${from.configMapKeyRef.optional === true}`);
    }
  }
}

function describeMounts(w: DescribeWriter, c: V1Container): void {
  const mounts = [...(c.volumeMounts ?? [])].sort((a, b) => (a.mountPath < b.mountPath ? -1 : a.mountPath > b.mountPath ? 1 : 0));
  w.line(2, mounts.length === 0 ? 'Mounts:\t<none>' : 'Mounts:');
  for (const m of mounts) {
    const flags = [m.readOnly ? 'ro' : 'rw'];
    if (m.subPath) flags.push(`path=${JSON.stringify(m.subPath)}`);
    w.line(3, `${m.mountPath} from ${m.name} (${flags.join(',')})`);
  }
}

function ports(c: V1Container, host: boolean): string {
  return (c.ports ?? [])
    .map((p) => `${host ? (p.hostPort ?? 0) : p.containerPort}/${p.protocol ?? 'TCP'}${!host && p.name ? ` (${p.name})` : ''}`)
    .join(', ');
}

/** kubectl describeContainers. */
export function describeContainers(w: DescribeWriter, pod: V1Pod, label: string, containers: V1Container[], statuses: V1ContainerStatus[]): void {
  const byName = new Map(statuses.map((s) => [s.name, s] as const));
  w.line(0, `${label}:${containers.length === 0 ? ' <none>' : ''}`);
  for (const c of containers) {
    const status = byName.get(c.name);
    w.line(1, `${c.name}:`);
    if (status) w.line(2, `Container ID:\t${status.containerID ?? ''}`);
    w.line(2, `Image:\t${c.image ?? ''}`);
    if (status) w.line(2, `Image ID:\t${status.imageID ?? ''}`);
    const p = ports(c, false);
    w.line(2, p.includes(',') ? `Ports:\t${p}` : `Port:\t${p || '<none>'}`);
    const hp = ports(c, true);
    w.line(2, hp.includes(',') ? `Host Ports:\t${hp}` : `Host Port:\t${hp || '<none>'}`);
    if (c.restartPolicy) w.line(2, `Restart Policy:\t${c.restartPolicy}`);
    for (const [title, list] of [['Command', c.command], ['Args', c.args]] as const) {
      if (!list?.length) continue;
      w.line(2, `${title}:`);
      for (const item of list) for (const s of item.split('\n')) w.line(3, s);
    }
    if (status) {
      describeState(w, 'State', status.state);
      if (status.lastState?.terminated) describeState(w, 'Last State', status.lastState);
      w.line(2, `Ready:\t${status.ready ? 'True' : 'False'}`);
      w.line(2, `Restart Count:\t${status.restartCount ?? 0}`);
    }
    for (const kind of ['limits', 'requests'] as const) {
      const q = c.resources?.[kind] ?? {};
      const names = Object.keys(q).sort();
      if (names.length) w.line(2, `${kind === 'limits' ? 'Limits' : 'Requests'}:`);
      for (const n of names) w.line(3, `${n}:\t${q[n]}`);
    }
    if (c.livenessProbe) w.line(2, `Liveness:\t${describeProbe(c.livenessProbe)}`);
    if (c.readinessProbe) w.line(2, `Readiness:\t${describeProbe(c.readinessProbe)}`);
    if (c.startupProbe) w.line(2, `Startup:\t${describeProbe(c.startupProbe)}`);
    if (c.envFrom?.length) {
      w.line(2, 'Environment Variables from:');
      for (const e of c.envFrom) {
        const [from, ref] = e.configMapRef ? ['ConfigMap', e.configMapRef] : ['Secret', e.secretRef];
        const prefix = e.prefix ? ` with prefix '${e.prefix}'` : '';
        w.line(3, `${ref?.name ?? ''}\t${from}${prefix}\tOptional: ${ref?.optional === true}`);
      }
    }
    describeEnv(w, pod, c, c.env ?? []);
    describeMounts(w, c);
  }
}
