// Remembers when a source first saw each pod UID and stamps it on the pods it emits (config.seen, creationTimestamp).
import type { V1Pod } from '@kubernetes/client-node';
import { stampFirstSeen } from './identity.js';
import type { Clock } from './types.js';

/**
 * A stamper for one source. A UID keeps its first time for as long as the source keeps emitting
 * it, so an unchanged pod read again looks the same (admission orders pods by creationTimestamp);
 * a UID that goes away is forgotten, so a pod that returns is seen anew. Mutates and returns `pods`.
 */
export function firstSeenStamper(clock: Clock): (pods: V1Pod[]) => V1Pod[] {
  const firstSeen = new Map<string, number>();
  return (pods) => {
    const now = clock.now();
    const live = new Set<string>();
    for (const pod of pods) {
      const uid = pod.metadata!.uid!;
      live.add(uid);
      if (!firstSeen.has(uid)) firstSeen.set(uid, now);
      stampFirstSeen(pod, firstSeen.get(uid)!);
    }
    for (const uid of firstSeen.keys()) if (!live.has(uid)) firstSeen.delete(uid);
    return pods;
  };
}
