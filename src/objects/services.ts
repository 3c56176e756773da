// Every Service of the cluster, listed once and kept current by a watch (the kubelet's service informer behind getServiceEnvVarMap).
//
// Containers get the service links of their namespace as environment variables at start, so the
// agent keeps the whole set at hand instead of listing services for every container it starts.
// Until the first list has succeeded hasSynced() is false; the environment code then refuses API
// pods (the kubelet's "services have not yet been read at least once"), so a restarted agent
// does not start containers without KUBERNETES_SERVICE_HOST.
import type { V1Service } from '@kubernetes/client-node';
import { Reflector, type ReflectorLogger } from '../kubeclient/reflector.js';
import type { ServicesClient } from '../kubeclient/types.js';

export interface ServiceLister {
  /** Whether the services were listed at least once (cache.InformerSynced). */
  hasSynced(): boolean;
  /** The services as last seen, every namespace. */
  list(): V1Service[];
}

export class ServiceCache implements ServiceLister {
  private readonly services = new Map<string, V1Service>();
  private readonly reflector: Reflector<V1Service>;

  constructor(client: Pick<ServicesClient, 'list' | 'watch'>, logger: ReflectorLogger, opts: { minWatchTimeoutSeconds?: number } = {}) {
    const key = (s: V1Service) => `${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`;
    this.reflector = new Reflector<V1Service>({
      what: 'services',
      list: () => client.list(),
      watch: (resourceVersion, timeoutSeconds, onEvent, onClose) => client.watch({ resourceVersion, timeoutSeconds }, onEvent, onClose),
      replace: (items) => {
        this.services.clear();
        for (const s of items) this.services.set(key(s), s);
      },
      event: (type, s) => {
        if (type === 'DELETED') this.services.delete(key(s));
        else this.services.set(key(s), s);
      },
      logger,
      minWatchTimeoutSeconds: opts.minWatchTimeoutSeconds,
    });
  }

  start(): void {
    this.reflector.start();
  }

  stop(): void {
    this.reflector.stop();
  }

  hasSynced(): boolean {
    return this.reflector.hasSynced();
  }

  list(): V1Service[] {
    return [...this.services.values()];
  }
}
