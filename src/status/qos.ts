// The pod's QoS class from its containers' cpu and memory requests and limits (the kubelet's qos.GetPodQOS).
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { quantityNano } from './quantity.js';

export type QOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

/** isSupportedQoSComputeResource: only cpu and memory decide the class. */
const QOS_RESOURCES = ['cpu', 'memory'] as const;

/** Adds the positive cpu/memory amounts of one list into totals; returns which resources were positive. */
function addPositive(into: Map<string, bigint>, list: Record<string, string> | undefined): Set<string> {
  const found = new Set<string>();
  for (const name of QOS_RESOURCES) {
    const raw = list?.[name];
    if (raw === undefined) continue;
    const v = quantityNano(raw);
    // Zero (and unparseable) amounts count as not set, as in the kubelet.
    if (v === undefined || v <= 0n) continue;
    found.add(name);
    into.set(name, (into.get(name) ?? 0n) + v);
  }
  return found;
}

/**
 * qos.GetPodQOS: the class already recorded in the status is kept (it is immutable once set);
 * otherwise ComputePodQOS over init and regular containers.
 */
export function getPodQOS(pod: V1Pod): QOSClass {
  const recorded = pod.status?.qosClass;
  if (recorded === 'Guaranteed' || recorded === 'Burstable' || recorded === 'BestEffort') return recorded;
  return computePodQOS(pod);
}

/** qos.ComputePodQOS. */
export function computePodQOS(pod: V1Pod): QOSClass {
  const requests = new Map<string, bigint>();
  const limits = new Map<string, bigint>();
  let isGuaranteed = true;
  const all: V1Container[] = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  for (const c of all) {
    addPositive(requests, c.resources?.requests as Record<string, string> | undefined);
    const limited = addPositive(limits, c.resources?.limits as Record<string, string> | undefined);
    // Every container must limit both cpu and memory for the pod to be Guaranteed.
    if (!limited.has('cpu') || !limited.has('memory')) isGuaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (isGuaranteed) {
    for (const [name, req] of requests) {
      if (limits.get(name) !== req) {
        isGuaranteed = false;
        break;
      }
    }
  }
  return isGuaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}
