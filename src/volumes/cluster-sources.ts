// What volumes read from the cluster in cluster mode: service-account tokens, referenced ConfigMaps and Secrets. Absent in static mode, where such sources are refused.
//
// run-cluster.ts builds them over the node's KubeClient (src/token/, src/objects/) and run.ts
// hands them to the HostVolumeManager; nothing below knows whether there is a cluster except
// through this optional value.
import type { AuthenticationV1TokenRequest, V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import type { ObjectManager } from '../objects/types.js';

/** The slice of the kubelet's token.Manager the projected plugin uses (src/token/token-manager.ts). */
export interface ServiceAccountTokens {
  getServiceAccountToken(namespace: string, name: string, tr: AuthenticationV1TokenRequest): Promise<AuthenticationV1TokenRequest>;
  deleteServiceAccountToken(podUID: string): void;
}

export interface VolumeClusterSources {
  tokens: ServiceAccountTokens;
  /**
   * Registered with each pod as its volumes are set up, unregistered when they are torn down;
   * the container environment and image pulls read the same managers (podworker/cluster-objects.ts).
   */
  configMaps: ObjectManager<V1ConfigMap>;
  secrets: ObjectManager<V1Secret>;
}
