// The ConfigMaps and Secrets a pod refers to by name: volumes, projected sources, environment, image pull secrets (the kubelet's podutil.VisitPodConfigmapNames / VisitPodSecretNames).
import type { V1Container, V1Pod } from '@kubernetes/client-node';

function allContainers(pod: V1Pod): V1Container[] {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? []), ...((pod.spec?.ephemeralContainers ?? []) as V1Container[])];
}

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
  for (const c of allContainers(pod)) {
    for (const e of c.envFrom ?? []) add(e.configMapRef?.name);
    for (const e of c.env ?? []) add(e.valueFrom?.configMapKeyRef?.name);
  }
  return names;
}

/**
 * getSecretNames: every Secret name the pod mentions, in its own namespace: its image pull
 * secrets, secret volumes and projected sources, env and envFrom. (The secret references of
 * volume plugins mini-kubelet does not serve, CSI, RBD and the like, are left out.)
 */
export function secretNames(pod: V1Pod): Set<string> {
  const names = new Set<string>();
  const add = (n: string | undefined) => {
    if (n) names.add(n);
  };
  for (const r of pod.spec?.imagePullSecrets ?? []) add(r.name);
  for (const v of pod.spec?.volumes ?? []) {
    add(v.secret?.secretName);
    for (const s of v.projected?.sources ?? []) add(s.secret?.name);
  }
  for (const c of allContainers(pod)) {
    for (const e of c.envFrom ?? []) add(e.secretRef?.name);
    for (const e of c.env ?? []) add(e.valueFrom?.secretKeyRef?.name);
  }
  return names;
}
