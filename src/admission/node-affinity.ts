// Does the pod's nodeSelector and required node affinity match this node's labels (the kubelet's NodeAffinity admission predicate), pure.
import type { V1NodeSelectorRequirement, V1NodeSelectorTerm, V1Pod } from '@kubernetes/client-node';

/** The labels the kubelet puts on its own Node (kubelet_node_status.go initialNode), without --node-labels. */
export function defaultNodeLabels(nodeName: string, arch: string = goArch(process.arch)): Record<string, string> {
  return {
    'kubernetes.io/hostname': nodeName,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': arch,
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': arch,
  };
}

/** runtime.GOARCH for node's process.arch. */
export function goArch(arch: string = process.arch): string {
  return ({ x64: 'amd64', ia32: '386', arm: 'arm', arm64: 'arm64', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[arch] ?? arch;
}

/** NodeSelectorRequirementsAsSelector, for labels: In, NotIn, Exists, DoesNotExist, Gt, Lt. */
function matches(req: V1NodeSelectorRequirement, labels: Readonly<Record<string, string>>): boolean {
  const v = labels[req.key];
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In': return v !== undefined && values.includes(v);
    case 'NotIn': return v === undefined || !values.includes(v);
    case 'Exists': return v !== undefined;
    case 'DoesNotExist': return v === undefined;
    case 'Gt':
    case 'Lt': {
      const [have, want] = [Number.parseInt(v ?? '', 10), Number.parseInt(values[0] ?? '', 10)];
      if (Number.isNaN(have) || Number.isNaN(want)) return false;
      return req.operator === 'Gt' ? have > want : have < want;
    }
    default: return false;
  }
}

/** A term matches when all its requirements do; matchFields may only name metadata.name. */
function termMatches(term: V1NodeSelectorTerm, labels: Readonly<Record<string, string>>, nodeName: string): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false; // an empty term matches nothing
  const nameLabels = { 'metadata.name': nodeName };
  return exprs.every((r) => matches(r, labels)) && fields.every((r) => r.key === 'metadata.name' && matches(r, nameLabels));
}

/**
 * GetRequiredNodeAffinity(pod).Match(node): every nodeSelector label, and one of the required
 * node-affinity terms. The admission predicate rejects a pod that fails this (NodeAffinity).
 */
export function matchesNodeAffinity(pod: V1Pod, nodeName: string, labels: Readonly<Record<string, string>> = defaultNodeLabels(nodeName)): boolean {
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) {
    if (labels[k] !== v) return false;
  }
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return !required || required.nodeSelectorTerms.some((t) => termMatches(t, labels, nodeName));
}
