// A container's environment: envFrom/env from ConfigMaps and Secrets, service links, $(VAR) expansion and the downward API (the kubelet's makeEnvironmentVariables).
import type { V1Container, V1ObjectFieldSelector, V1Pod, V1ResourceFieldSelector } from '@kubernetes/client-node';
import { isStaticPod } from '../../config/annotations.js';
import type { KeyValue } from '../../cri/types.js';
import { ContainerConfigError } from './errors.js';
import { expand, mappingFuncFor } from './expansion.js';
import { milliValue, value } from './quantity.js';

/** Why a referenced ConfigMap or Secret could not be read (the object managers' error). */
export class EnvObjectError {
  constructor(
    readonly message: string,
    /** NotFound: an optional reference then counts as absent; any other error fails even an optional one. */
    readonly notFound: boolean,
  ) {}
}

/** A ConfigMap's data or a Secret's (values decoded), or why it could not be read. */
export type EnvObject = Readonly<Record<string, string>> | EnvObjectError;

/** What the environment may draw on besides the Pod itself. */
export interface EnvSources {
  nodeName: string;
  podIP?: string;
  podIPs?: string[];
  hostIP?: string;
  hostIPs?: string[];
  /** The pod's namespace's ConfigMaps it references, by name; undefined when no API server is configured (a name absent from the map is not found). */
  configMaps?: ReadonlyMap<string, EnvObject>;
  /** The same for Secrets. */
  secrets?: ReadonlyMap<string, EnvObject>;
  /** The service links (getServiceEnvVarMap); undefined when no API server is configured. */
  services?: { hasSynced: boolean; env: ReadonlyMap<string, string> };
  /** The node's allocatable resources: what an unset limit means to resourceFieldRef. */
  allocatable?: Readonly<Record<string, string>>;
  /** Told of envFrom keys skipped as invalid names (the kubelet's InvalidEnvironmentVariableNames event). */
  onInvalidKeys?: (message: string) => void;
}

type Kind = 'configMap' | 'secret';
/** How the kubelet names each kind: in its messages (configmap "x" not found, ...), and in its key and envFrom errors. */
const NOUN: Record<Kind, { resource: string; title: string; envFrom: string }> = {
  configMap: { resource: 'configmap', title: 'ConfigMap', envFrom: 'configMap' },
  secret: { resource: 'secret', title: 'Secret', envFrom: 'secret' },
};

/** One ConfigMap or Secret, or undefined when it is missing and optional (the kubelet skips it then). */
function lookup(kind: Kind, name: string, optional: boolean, pod: V1Pod, src: EnvSources): Readonly<Record<string, string>> | undefined {
  const ns = pod.metadata?.namespace ?? '';
  const store = kind === 'configMap' ? src.configMaps : src.secrets;
  if (!store) throw new ContainerConfigError(`couldn't get ${kind} ${ns}/${name}, no API server client configured`);
  const data = store.get(name) ?? new EnvObjectError(`${NOUN[kind].resource} "${name}" not found`, true);
  if (!(data instanceof EnvObjectError)) return data;
  if (data.notFound && optional) return undefined;
  throw new ContainerConfigError(data.message);
}

/** validation.IsEnvVarName: [-._a-zA-Z][-._a-zA-Z0-9]*, and not ".", ".." or "..x". */
export function isEnvVarName(name: string): boolean {
  return /^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(name) && name !== '.' && !name.startsWith('..');
}

/** A label or annotation map as the downward API prints it: sorted `key="value"` lines (fieldpath.FormatMap). */
function formatMap(m: Readonly<Record<string, string>> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join('\n');
}

/** podFieldSelectorRuntimeValue + fieldpath.ExtractFieldPathAsString */
function fieldRefValue(ref: V1ObjectFieldSelector, pod: V1Pod, src: EnvSources): string {
  const path = ref.fieldPath;
  const meta = pod.metadata ?? {};
  const subscript = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(path);
  if (subscript) return (subscript[1] === 'labels' ? meta.labels : meta.annotations)?.[subscript[2]!] ?? '';
  switch (path) {
    case 'metadata.name': return meta.name ?? '';
    case 'metadata.namespace': return meta.namespace ?? '';
    case 'metadata.uid': return meta.uid ?? '';
    case 'metadata.labels': return formatMap(meta.labels);
    case 'metadata.annotations': return formatMap(meta.annotations);
    case 'spec.nodeName': return pod.spec?.nodeName || src.nodeName;
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP': return src.podIP ?? '';
    case 'status.podIPs': return (src.podIPs ?? (src.podIP ? [src.podIP] : [])).join(',');
    case 'status.hostIP': return src.hostIP ?? src.hostIPs?.[0] ?? '';
    case 'status.hostIPs': return (src.hostIPs ?? (src.hostIP ? [src.hostIP] : [])).join(',');
  }
  throw new ContainerConfigError(`unsupported fieldPath: ${path}`);
}

/** containerResourceRuntimeValue + ExtractContainerResourceValue, with limits defaulted to allocatable. */
function resourceFieldRefValue(ref: V1ResourceFieldSelector, pod: V1Pod, self: V1Container, src: EnvSources): string {
  const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  const c = ref.containerName ? all.find((x) => x.name === ref.containerName) : self;
  if (!c) throw new ContainerConfigError(`container ${ref.containerName} not found in the pod`);
  const dot = ref.resource.indexOf('.');
  const [kind, name] = [ref.resource.slice(0, dot), ref.resource.slice(dot + 1)];
  if ((kind !== 'limits' && kind !== 'requests') || name === '') {
    throw new ContainerConfigError(`unsupported container resource : ${ref.resource}`);
  }
  const limits = c.resources?.limits ?? {};
  const requests = c.resources?.requests ?? {};
  // defaultPodLimitsForDownwardAPI + MergeContainerResourceLimits: an unset (or zero) cpu, memory
  // or ephemeral-storage limit is the node's allocatable amount; one the node does not know stays 0.
  let q: string | undefined = kind === 'limits' ? limits[name] : (requests[name] ?? limits[name]);
  if (kind === 'limits' && ['cpu', 'memory', 'ephemeral-storage'].includes(name) && (q === undefined || value(q) === 0)) {
    if (!src.allocatable) throw new ContainerConfigError(`${ref.resource} is not set and the node's allocatable resources are unknown`);
    q = src.allocatable[name] ?? q;
  }
  // A zero (or absent) divisor means 1.
  const divisor = ref.divisor === undefined || milliValue(ref.divisor) === 0 ? '1' : ref.divisor;
  if (name === 'cpu') {
    // convertResourceCPUToString: ceil(milli / divisor milli)
    return String(Math.ceil(milliValue(q ?? 0) / milliValue(divisor)));
  }
  if (name === 'memory' || name === 'ephemeral-storage' || name.startsWith('hugepages-')) {
    return String(Math.ceil(value(q ?? 0) / value(divisor)));
  }
  throw new ContainerConfigError(`unsupported container resource : ${ref.resource}`);
}

/**
 * makeEnvironmentVariables: envFrom first (keys that are no valid names skipped), then env in
 * order, then the service links the container does not define itself. An env value may refer to
 * variables defined BEFORE it and to the service links; values from envFrom and valueFrom are
 * taken literally. A name defined twice keeps its first position and its last value. An API pod
 * waits for the services to be listed once, so it never starts without KUBERNETES_SERVICE_HOST.
 */
export function makeEnvironmentVariables(pod: V1Pod, container: V1Container, src: EnvSources): KeyValue[] {
  if (src.services && !src.services.hasSynced && !isStaticPod(pod)) {
    throw new ContainerConfigError('services have not yet been read at least once, cannot construct envvars');
  }
  const services = src.services?.env ?? new Map<string, string>();
  const env = new Map<string, string>();
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref) continue;
    const kind: Kind = from.configMapRef ? 'configMap' : 'secret';
    const data = lookup(kind, ref.name ?? '', ref.optional === true, pod, src);
    const invalid: string[] = [];
    for (const [k, v] of Object.entries(data ?? {})) {
      const name = `${from.prefix ?? ''}${k}`;
      if (isEnvVarName(name)) env.set(name, v);
      else invalid.push(name);
    }
    if (invalid.length > 0) {
      src.onInvalidKeys?.(
        `Keys [${invalid.sort().join(', ')}] from the EnvFrom ${NOUN[kind].envFrom} ${pod.metadata?.namespace ?? ''}/${ref.name ?? ''} were skipped since they are considered invalid environment variable names.`,
      );
    }
  }
  const mapping = mappingFuncFor(env, services);
  for (const e of container.env ?? []) {
    const vf = e.valueFrom;
    if (e.value || !vf) {
      env.set(e.name, expand(e.value ?? '', mapping));
    } else if (vf.fieldRef) {
      env.set(e.name, fieldRefValue(vf.fieldRef, pod, src));
    } else if (vf.resourceFieldRef) {
      env.set(e.name, resourceFieldRefValue(vf.resourceFieldRef, pod, container, src));
    } else if (vf.configMapKeyRef || vf.secretKeyRef) {
      const kind: Kind = vf.configMapKeyRef ? 'configMap' : 'secret';
      const ref = (vf.configMapKeyRef ?? vf.secretKeyRef)!;
      const optional = ref.optional === true;
      const data = lookup(kind, ref.name ?? '', optional, pod, src);
      if (data === undefined) continue;
      const v = Object.hasOwn(data, ref.key) ? data[ref.key] : undefined;
      if (v === undefined) {
        if (optional) continue;
        throw new ContainerConfigError(`couldn't find key ${ref.key} in ${NOUN[kind].title} ${pod.metadata?.namespace ?? ''}/${ref.name ?? ''}`);
      }
      env.set(e.name, v);
    } else {
      throw new ContainerConfigError(`env ${e.name}: unsupported valueFrom source`);
    }
  }
  const out = [...env].map(([key, v]) => ({ key, value: v }));
  for (const [key, v] of services) if (!env.has(key)) out.push({ key, value: v });
  return out;
}

/** ExpandContainerCommandAndArgs: $(VAR) in command and args, from the final environment. */
export function expandCommandAndArgs(container: V1Container, envs: KeyValue[]): { command?: string[]; args?: string[] } {
  const mapping = mappingFuncFor(new Map(envs.map((e) => [e.key, e.value])));
  return {
    ...(container.command?.length ? { command: container.command.map((c) => expand(c, mapping)) } : {}),
    ...(container.args?.length ? { args: container.args.map((a) => expand(a, mapping)) } : {}),
  };
}
