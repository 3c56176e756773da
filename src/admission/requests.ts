// A pod's cpu and memory requests as the scheduler and the kubelet's admission count them (component-helpers resource.PodRequests), pure.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { quantityNano } from '../status/quantity.js';

/** framework.Resource for the two resources admission checks: millicores and bytes. */
export interface PodResource {
  milliCPU: number;
  memory: number;
}

type Amounts = Map<string, bigint>;

/** A container's requests in nano-units; an unparseable quantity counts as none (validation refused it already). */
function requestsOf(c: V1Container): Amounts {
  const out: Amounts = new Map();
  for (const [name, q] of Object.entries(c.resources?.requests ?? {})) {
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
 * PodRequests (without overhead): the regular containers run together, so their requests add
 * up. Init containers run one at a time, so only the largest counts, except that a sidecar
 * (restartPolicy Always) keeps running: it adds to the regular containers, and every init
 * container after it needs its own request plus the sidecars started before it (KEP-753).
 */
export function podRequestAmounts(pod: V1Pod): Amounts {
  const reqs: Amounts = new Map();
  for (const c of pod.spec?.containers ?? []) add(reqs, requestsOf(c));
  const sidecars: Amounts = new Map();
  const initPeak: Amounts = new Map();
  for (const c of pod.spec?.initContainers ?? []) {
    const own = requestsOf(c);
    let use: Amounts;
    if (c.restartPolicy === 'Always') {
      add(reqs, own);
      add(sidecars, own);
      use = new Map(sidecars);
    } else {
      use = new Map(own);
      add(use, sidecars);
    }
    max(initPeak, use);
  }
  max(reqs, initPeak);
  return reqs;
}

/** Quantity.ScaledValue rounds up: 1.5m of cpu is 2 millicores, 0.5 bytes is 1 byte. */
const ceilDiv = (n: bigint, d: bigint): bigint => (n <= 0n ? n / d : (n + d - 1n) / d);

/** Resource.Add(PodRequests(pod)): cpu as MilliValue, memory as Value, each rounded up once per pod. */
export function podResource(pod: V1Pod): PodResource {
  const reqs = podRequestAmounts(pod);
  return {
    milliCPU: Number(ceilDiv(reqs.get('cpu') ?? 0n, 1_000_000n)),
    memory: Number(ceilDiv(reqs.get('memory') ?? 0n, 1_000_000_000n)),
  };
}
