// Stand-in until the API pod source feeds mirror pods from its watch: lists this node's pods every few seconds and hands the mirror pods to MirrorPods.
//
// The API pod source replaces it through NodeSide.useMirrorPodFeed (src/cli/cluster-node.ts): it
// hands over the whole set of this node's mirror pods each time it changes (MirrorPods.replaceAll);
// `MirrorPods.observe(type, pod)` takes single watch events after a first full set.
import type { Logger } from 'pino';
import { Periodic, type Clock } from '../clock.js';
import type { PodsClient } from '../kubeclient/types.js';
import type { MirrorPods } from './mirror-pods.js';

export class MirrorPodLister {
  private readonly loop: Periodic;
  private failing = false;

  constructor(private readonly o: { pods: PodsClient; nodeName: string; mirrorPods: Pick<MirrorPods, 'replaceAll'>; clock: Clock; logger: Logger; periodMs?: number }) {
    this.loop = new Periodic(o.clock, o.periodMs ?? 5000, () => this.list());
  }

  start(): void {
    this.loop.start();
  }

  stop(): void {
    this.loop.stop();
  }

  async list(): Promise<void> {
    try {
      // The Node authorizer lets a node list only the pods bound to it.
      const { items } = await this.o.pods.list({ fieldSelector: `spec.nodeName=${this.o.nodeName}` });
      this.failing = false;
      this.o.mirrorPods.replaceAll(items);
    } catch (err) {
      if (!this.failing) this.o.logger.warn({ err: (err as Error).message }, 'cannot list this node\'s pods for their mirror pods; will retry');
      this.failing = true;
    }
  }
}
