// Remembers when a source first saw each pod UID and stamps it on the pods it emits (config.seen, creationTimestamp).
import type { V1Pod } from '@kubernetes/client-node';
import { CONFIG_FIRST_SEEN_ANNOTATION } from './annotations.js';
import { stampFirstSeen } from './identity.js';
import type { Clock } from './types.js';

/**
 * A stamper for one source. A UID keeps its first time for as long as the source keeps emitting
 * it, so an unchanged pod read again looks the same (admission orders pods by creationTimestamp);
 * a UID that goes away is forgotten, so a pod that returns is seen anew. Mutates and returns `pods`.
 */
export function firstSeenStamper(clock: Clock): (pods: V1Pod[]) => V1Pod[] {
  const firstSeen = new Map<string, { ms: number; stamp: string }>();
  return (pods) => {
    const now = clock.now();
    const live = new Set<string>();
    for (const pod of pods) {
      const uid = pod.metadata!.uid!;
      live.add(uid);
      let seen = firstSeen.get(uid);
      if (!seen) {
        seen = { ms: now, stamp: new Date(now).toISOString() };
        firstSeen.set(uid, seen);
      }
      // A pod object stamped already (the API source hands on an unchanged pod again) is left alone.
      if (pod.metadata?.annotations?.[CONFIG_FIRST_SEEN_ANNOTATION] === seen.stamp && pod.metadata.creationTimestamp) continue;
      stampFirstSeen(pod, seen.ms);
    }
    for (const uid of firstSeen.keys()) if (!live.has(uid)) firstSeen.delete(uid);
    return pods;
  };
}
