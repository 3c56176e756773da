// A PodViewSource for server and CLI tests: pods set by hand, subscribers called on every set.
import type { V1Pod } from '@kubernetes/client-node';
import type { PodViewSource, RejectedManifest } from '../../src/server/types.js';

export class FakePodView implements PodViewSource {
  health = { ok: true, message: '' };
  rejectedManifests: RejectedManifest[] = [];
  private current: V1Pod[];
  private readonly subscribers = new Set<() => void>();

  constructor(pods: V1Pod[] = []) {
    this.current = pods;
  }

  pods(): V1Pod[] {
    return this.current;
  }

  healthz() {
    return this.health;
  }

  rejected(): RejectedManifest[] {
    return this.rejectedManifests;
  }

  subscribe(cb: () => void): () => void {
    this.subscribers.add(cb);
    return () => this.subscribers.delete(cb);
  }

  /** Replaces the pods and tells every subscriber, as the agent's status manager would. */
  set(pods: V1Pod[]): void {
    this.current = pods;
    for (const cb of [...this.subscribers]) cb();
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }
}

/** A minimal running pod; override what a test cares about. */
export function runningPod(name: string, opts: { namespace?: string; uid?: string; created?: Date; ip?: string } = {}): V1Pod {
  return {
    metadata: { name, namespace: opts.namespace ?? 'default', uid: opts.uid ?? `uid-${name}`, creationTimestamp: opts.created ?? new Date(0) },
    spec: { containers: [{ name: 'main', image: 'busybox' }], nodeName: 'node-1' },
    status: {
      phase: 'Running',
      podIP: opts.ip ?? '10.88.0.2',
      podIPs: [{ ip: opts.ip ?? '10.88.0.2' }],
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [
        { name: 'main', image: 'busybox', imageID: '', ready: true, restartCount: 0, started: true, state: { running: { startedAt: opts.created ?? new Date(0) } } },
      ],
    },
  };
}
