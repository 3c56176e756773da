// Cluster mode's part of the volumes: the token manager and the ConfigMap manager over the node's client, for projected volumes (kube-api-access-*).
import type { Logger } from 'pino';
import type { KubeClient } from '../kubeclient/types.js';
import { newCachingConfigMapManager } from '../objects/configmaps.js';
import { TOKEN_GC_PERIOD_MS, TokenManager } from '../token/token-manager.js';
import type { VolumeClusterSources } from '../volumes/cluster-sources.js';

export interface ClusterVolumes {
  /** Handed to the HostVolumeManager by run.ts. */
  sources: VolumeClusterSources;
  /** The token manager's cleanup of expired tokens, every minute (token.NewManager's wait.Forever). */
  start(): void;
  stop(): void;
}

export function createClusterVolumes(client: KubeClient, logger: Logger): ClusterVolumes {
  const tokens = new TokenManager({ client: client.serviceAccounts, logger });
  const sources: VolumeClusterSources = { tokens, configMaps: newCachingConfigMapManager(client.configMaps) };
  let gc: NodeJS.Timeout | undefined;
  return {
    sources,
    start: () => {
      gc ??= setInterval(() => tokens.cleanup(), TOKEN_GC_PERIOD_MS);
      gc.unref();
    },
    stop: () => {
      clearInterval(gc);
      gc = undefined;
    },
  };
}
