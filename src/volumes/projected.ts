// projected volumes: downwardAPI, configMap, secret and serviceAccountToken sources in one directory (the kubelet's projected collectData).
//
// This is what the API server's ServiceAccount admission gives every pod, as kube-api-access-*:
// a token bound to the pod, the cluster's CA from the kube-root-ca.crt ConfigMap, and the
// namespace. Static mode has no cluster to ask, so only downwardAPI sources are served there.
import type { AuthenticationV1TokenRequest, V1Pod, V1ProjectedVolumeSource, V1VolumeProjection } from '@kubernetes/client-node';
import type { FileProjection } from './atomic-writer.js';
import type { VolumeClusterSources } from './cluster-sources.js';
import { aggregate, DEFAULT_MODE, downwardAPIPayload, type DownwardAPISources } from './downward-api.js';
import { VolumeError } from './errors.js';
import { configMapFiles, secretFiles } from './object-volumes.js';

export interface ProjectionContext {
  downward: DownwardAPISources;
  /** The cluster's tokens and ConfigMaps; absent in static mode. */
  cluster?: VolumeClusterSources;
  /** FsUserFrom(pod): the one user all the pod's containers run as, if they agree. */
  fsUser?: number;
  fsGroup?: number;
}

/** Why a projected source other than downwardAPI cannot be served in static mode. */
const UNAVAILABLE: Record<string, string> = {
  configMap: 'there is no API server to read the ConfigMap from',
  secret: 'there is no API server to read the Secret from',
  serviceAccountToken: 'there is no API server to issue the token',
  clusterTrustBundle: 'there is no API server to read the ClusterTrustBundle from',
  podCertificate: 'there is no API server to issue the certificate',
};

function kindOf(s: V1VolumeProjection): string {
  return Object.keys(s).find((k) => (s as Record<string, unknown>)[k] != null) ?? '(none)';
}

/** collectData: every source's files under the volume's defaultMode; every failing source is reported. */
export async function projectedPayload(pod: V1Pod, source: V1ProjectedVolumeSource, ctx: ProjectionContext): Promise<Map<string, FileProjection>> {
  const sources = source.sources ?? [];
  const defaultMode = source.defaultMode ?? DEFAULT_MODE;
  if (!ctx.cluster) {
    sources.forEach((s, i) => {
      const kind = kindOf(s);
      if (kind === 'downwardAPI') return;
      const why = UNAVAILABLE[kind] ?? 'mini-kubelet does not know this source';
      throw new VolumeError(`projected source sources[${i}].${kind} is not supported in static mode: ${why} (only downwardAPI sources are)`);
    });
  }
  const out = new Map<string, FileProjection>();
  const errors: Error[] = [];
  for (const [i, s] of sources.entries()) {
    try {
      for (const [p, f] of await sourcePayload(pod, s, i, defaultMode, ctx)) out.set(p, f);
    } catch (err) {
      errors.push(err instanceof Error ? err : new Error(String(err)));
    }
  }
  const err = aggregate(errors);
  if (err) throw err;
  return out;
}

async function sourcePayload(pod: V1Pod, s: V1VolumeProjection, i: number, defaultMode: number, ctx: ProjectionContext): Promise<Map<string, FileProjection>> {
  if (s.downwardAPI) return downwardAPIPayload(pod, s.downwardAPI.items ?? [], defaultMode, ctx.downward);
  const cluster = ctx.cluster!;
  const ns = pod.metadata?.namespace ?? '';
  if (s.configMap) {
    return configMapFiles(cluster, ns, { name: s.configMap.name ?? '', items: s.configMap.items, optional: s.configMap.optional === true }, defaultMode);
  }
  if (s.secret) {
    return secretFiles(cluster, ns, { name: s.secret.name ?? '', items: s.secret.items, optional: s.secret.optional === true }, defaultMode);
  }
  if (s.serviceAccountToken) {
    const tp = s.serviceAccountToken;
    const request: AuthenticationV1TokenRequest = {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        // Empty: the API server fills in its own audiences.
        audiences: tp.audience ? [tp.audience] : [],
        expirationSeconds: tp.expirationSeconds,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, uid: pod.metadata?.uid },
      },
    };
    const tr = await cluster.tokens.getServiceAccountToken(ns, pod.spec?.serviceAccountName ?? '', request);
    // The kubelet: with fsUser or fsGroup the token is 0600 for its owner, and SetVolumeOwnership
    // then gives fsGroup read (0640); otherwise the volume's defaultMode.
    const mode = ctx.fsUser !== undefined || ctx.fsGroup !== undefined ? 0o600 : defaultMode;
    return new Map([[tp.path, { data: tr.status?.token ?? '', mode, fsUser: ctx.fsUser }]]);
  }
  const kind = kindOf(s);
  throw new VolumeError(`projected source sources[${i}].${kind} is not supported by mini-kubelet yet`);
}
