// A pod's requests and limits as the scheduler, the kubelet's admission and its cgroups count them (component-helpers resource.PodRequests, PodLimits), pure.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { isQualifiedName } from '../config/names.js';
import { quantityNano } from '../status/quantity.js';

/** framework.Resource of a pod's requests: millicores, bytes, and the scalar resources by name. */
export interface PodResource {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  /** hugepages-<size> in bytes, extended resources as counts: what Resource.Add keeps as scalars. */
  scalarResources: Record<string, number>;
}

/** helper.IsNativeResource: no domain, or the kubernetes.io domain. */
const isNativeResource = (name: string) => !name.includes('/') || name.includes('kubernetes.io/');

export const isHugePageResourceName = (name: string) => name.startsWith('hugepages-');

/** helper.IsExtendedResourceName: a domain other than kubernetes.io, and valid as a quota name (requests.<name>). */
export function isExtendedResourceName(name: string): boolean {
  if (isNativeResource(name) || name.startsWith('requests.')) return false;
  return isQualifiedName(`requests.${name}`).length === 0;
}

/** schedutil.IsScalarResourceName: what framework.Resource keeps beyond cpu, memory, ephemeral-storage and pods. */
function isScalarResourceName(name: string): boolean {
  return isExtendedResourceName(name) || isHugePageResourceName(name) || name.includes('kubernetes.io/') || name.startsWith('attachable-volumes-');
}

export type Amounts = Map<string, bigint>;

/** One list of a container's resources (requests or limits) in nano-units; an unparseable quantity counts as none (validation refused it already). */
export function amountsOf(list: Record<string, string> | undefined): Amounts {
  const out: Amounts = new Map();
  for (const [name, q] of Object.entries(list ?? {})) {
    const v = quantityNano(q);
    if (v !== undefined) out.set(name, v);
  }
  return out;
}

function add(into: Amounts, from: Amounts): void {
  for (const [k, v] of from) into.set(k, (into.get(k) ?? 0n) + v);
}

function max(into: Amounts, from: Amounts): void {
  for (const [k, v] of from) if (v > (into.get(k) ?? 0n)) into.set(k, v);
}

/**
 * How PodRequests and PodLimits (without overhead) add a pod's containers up: the regular
 * containers run together, so their amounts add up. Init containers run one at a time, so only
 * the largest counts, except that a sidecar (restartPolicy Always) keeps running: it adds to the
 * regular containers, and every init container after it needs its own amount plus the sidecars
 * started before it (KEP-753). `visit` is shown each amount that must fit at once: each regular
 * container's own, and each init container's use (ResourceConfigForPod's ContainerFn sees these).
 */
export function aggregatePodAmounts(pod: V1Pod, of: (c: V1Container) => Amounts, visit?: (a: Amounts) => void): Amounts {
  const total: Amounts = new Map();
  for (const c of pod.spec?.containers ?? []) {
    const own = of(c);
    visit?.(own);
    add(total, own);
  }
  const sidecars: Amounts = new Map();
  const initPeak: Amounts = new Map();
  for (const c of pod.spec?.initContainers ?? []) {
    const own = of(c);
    let use: Amounts;
    if (c.restartPolicy === 'Always') {
      add(total, own);
      add(sidecars, own);
      use = new Map(sidecars);
    } else {
      use = new Map(own);
      add(use, sidecars);
    }
    visit?.(use);
    max(initPeak, use);
  }
  max(total, initPeak);
  return total;
}

/** PodRequests (without overhead). */
export function podRequestAmounts(pod: V1Pod): Amounts {
  return aggregatePodAmounts(pod, (c) => amountsOf(c.resources?.requests));
}

/** Quantity.ScaledValue rounds up: 1.5m of cpu is 2 millicores, 0.5 bytes is 1 byte. */
const ceilDiv = (n: bigint, d: bigint): bigint => (n <= 0n ? n / d : (n + d - 1n) / d);
/** Quantity.MilliValue / Value of a nano-unit amount: both round up. */
export const milliOf = (nano: bigint | undefined): number => Number(ceilDiv(nano ?? 0n, 1_000_000n));
export const valueOf = (nano: bigint | undefined): number => Number(ceilDiv(nano ?? 0n, 1_000_000_000n));

/**
 * Resource.Add(PodRequests(pod)): cpu as MilliValue, the rest as Value, each rounded up once per
 * pod. `keep` drops a request first (removeMissingExtendedResources); resources of no kind
 * admission knows are left out, as Resource.Add leaves them.
 */
export function podResource(pod: V1Pod, keep: (name: string) => boolean = () => true): PodResource {
  const out: PodResource = { milliCPU: 0, memory: 0, ephemeralStorage: 0, scalarResources: {} };
  for (const [name, nano] of podRequestAmounts(pod)) {
    if (!keep(name)) continue;
    const value = valueOf(nano);
    if (name === 'cpu') out.milliCPU = milliOf(nano);
    else if (name === 'memory') out.memory = value;
    else if (name === 'ephemeral-storage') out.ephemeralStorage = value;
    else if (isScalarResourceName(name)) out.scalarResources[name] = value;
  }
  return out;
}
