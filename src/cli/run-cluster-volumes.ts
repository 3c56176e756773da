// Cluster mode's part of the volumes: the token manager, and the watch-based ConfigMap and Secret managers over the node's client (which the container environment and image pulls read too).
import type { Logger } from 'pino';
import type { KubeClient } from '../kubeclient/types.js';
import { newWatchingConfigMapManager } from '../objects/configmaps.js';
import { newWatchingSecretManager } from '../objects/secrets.js';
import { TOKEN_GC_PERIOD_MS, TokenManager } from '../token/token-manager.js';
import type { VolumeClusterSources } from '../volumes/cluster-sources.js';

export interface ClusterVolumes {
  /** Handed to the HostVolumeManager by run.ts. */
  sources: VolumeClusterSources;
  /** The token manager's cleanup of expired tokens, every minute (token.NewManager's wait.Forever). */
  start(): void;
  /** Stops the cleanup and every object watch. */
  stop(): void;
}

/**
 * The kubelet's default configMapAndSecretChangeDetectionStrategy, Watch: one watch per
 * referenced object. Idle watches (objects only the environment read, 5 minutes ago) stop
 * until the next read: the kubelet's maxIdleTime, 5 × its 1-minute resync.
 */
export function createClusterVolumes(client: KubeClient, logger: Logger): ClusterVolumes {
  const tokens = new TokenManager({ client: client.serviceAccounts, logger });
  const objectLogger = logger.child({ component: 'objects' });
  const configMaps = newWatchingConfigMapManager(client.configMaps, objectLogger);
  const secrets = newWatchingSecretManager(client.secrets, objectLogger);
  const sources: VolumeClusterSources = { tokens, configMaps, secrets };
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
      configMaps.cache.stop();
      secrets.cache.stop();
    },
  };
}
