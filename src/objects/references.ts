// The ConfigMaps a pod refers to by name: its volumes, projected sources and environment (the kubelet's podutil.VisitPodConfigmapNames).
import type { V1Container, V1Pod } from '@kubernetes/client-node';

/** getConfigMapNames: every ConfigMap name the pod mentions, in its own namespace. */
export function configMapNames(pod: V1Pod): Set<string> {
  const names = new Set<string>();
  const add = (n: string | undefined) => {
    if (n) names.add(n);
  };
  for (const v of pod.spec?.volumes ?? []) {
    add(v.configMap?.name);
    for (const s of v.projected?.sources ?? []) add(s.configMap?.name);
  }
  const containers: V1Container[] = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? []), ...((pod.spec?.ephemeralContainers ?? []) as V1Container[])];
  for (const c of containers) {
    for (const e of c.envFrom ?? []) add(e.configMapRef?.name);
    for (const e of c.env ?? []) add(e.valueFrom?.configMapKeyRef?.name);
  }
  return names;
}
