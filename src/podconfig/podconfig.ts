// Merges every source's snapshots into one stream of ADD/UPDATE/DELETE/RECONCILE, and refuses a pod name two manifests claim (kubelet: config/config.go podStorage.merge).
//
// Each apply() replaces one source's full set, then the merged view is rebuilt from all sources
// and diffed by UID against the previous one. Rebuilding (rather than patching) keeps duplicate
// handling simple: when the winning manifest of a name goes away, the runner-up takes over.
import type { V1Pod } from '@kubernetes/client-node';
import { CONFIG_PATH_ANNOTATION, CONFIG_SOURCE_ANNOTATION } from '../config/annotations.js';
import type { Clock, ManifestError, SourceLogger, SourceSnapshot } from '../config/types.js';
import { diffPods, type Admitted } from './diff.js';
import type { PodUpdate } from './types.js';

export interface PodConfigOptions {
  logger: SourceLogger;
  /** For config.seen on pods whose source did not stamp it. */
  clock?: Clock;
}

const fullName = (pod: V1Pod) => `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
const configPath = (pod: V1Pod, source: string) => pod.metadata?.annotations?.[CONFIG_PATH_ANNOTATION] ?? source;

/** Sort key for a config path: the file, then the document index ("a.yaml#10" after "a.yaml#2"). */
function pathKey(path: string): [string, number] {
  const m = /^(.*)#(\d+)$/.exec(path);
  return m ? [m[1]!, Number(m[2])] : [path, -1];
}

function byPath(source: string) {
  return (a: V1Pod, b: V1Pod): number => {
    const [fa, ia] = pathKey(configPath(a, source));
    const [fb, ib] = pathKey(configPath(b, source));
    return fa < fb ? -1 : fa > fb ? 1 : ia - ib;
  };
}

export class PodConfig {
  private readonly logger: SourceLogger;
  private readonly clock: Clock;
  /** Insertion order is source precedence: the first source to report a name keeps it. */
  private readonly snapshots = new Map<string, SourceSnapshot>();
  /**
   * Per source, each pod object of its last snapshot and the copy kept of it (see
   * SourceSnapshot.pods). Weak: a source that sends new objects every time (the file source) does
   * not have its old ones kept alive here.
   */
  private readonly copies = new Map<string, WeakMap<V1Pod, V1Pod>>();
  private admitted = new Map<string, Admitted>();
  private duplicates: ManifestError[] = [];
  private readonly subscribers = new Set<(u: PodUpdate) => void>();

  constructor(opts: PodConfigOptions) {
    this.logger = opts.logger;
    this.clock = opts.clock ?? { now: () => Date.now() };
  }

  /** Takes a source's full set; returns (and publishes) what changed, in a deterministic order. */
  apply(snapshot: SourceSnapshot): PodUpdate[] {
    // A copy, so no source or subscriber shares an object with another; a pod object the source
    // handed on last time too is unchanged, and keeps its copy, which the diff then passes over.
    const before = this.copies.get(snapshot.source);
    const copies = new WeakMap<V1Pod, V1Pod>();
    const pods = snapshot.pods.map((p) => {
      const copy = before?.get(p) ?? structuredClone(p);
      copies.set(p, copy);
      return copy;
    }).sort(byPath(snapshot.source));
    this.copies.set(snapshot.source, copies);
    this.snapshots.set(snapshot.source, { ...snapshot, pods, errors: [...snapshot.errors] });
    const { next, duplicates } = this.merge();
    const updates = diffPods(this.admitted, next, this.clock.now());
    this.admitted = next;
    this.duplicates = duplicates;
    for (const u of updates) {
      for (const cb of this.subscribers) {
        try {
          cb(u);
        } catch (err) {
          this.logger.error({ op: u.op, source: u.source, err: String(err) }, 'pod update subscriber failed');
        }
      }
    }
    return updates;
  }

  subscribe(cb: (u: PodUpdate) => void): () => void {
    this.subscribers.add(cb);
    return () => this.subscribers.delete(cb);
  }

  /** Every manifest refused now: the sources' own errors, then names or UIDs claimed twice. */
  rejected(): ManifestError[] {
    return [...[...this.snapshots.values()].flatMap((s) => s.errors), ...this.duplicates];
  }

  /** The pods that run, across all sources, in merge order. */
  pods(): V1Pod[] {
    return [...this.admitted.values()].map((a) => a.pod);
  }

  /**
   * filterInvalidPods, across sources too: the first pod (source order, then path order) with a
   * full name or a UID keeps it; later claimants are refused as duplicates.
   */
  private merge(): { next: Map<string, Admitted>; duplicates: ManifestError[] } {
    const next = new Map<string, Admitted>();
    const names = new Map<string, string>();
    const duplicates: ManifestError[] = [];
    for (const [source, snap] of this.snapshots) {
      for (const pod of snap.pods) {
        const uid = pod.metadata?.uid ?? '';
        const name = fullName(pod);
        const path = configPath(pod, source);
        const clash = names.has(name) ? `duplicate pod name "${name}"` : next.has(uid) ? `duplicate pod UID "${uid}" (pod "${name}")` : undefined;
        if (clash) {
          const first = names.get(name) ?? configPath(next.get(uid)!.pod, next.get(uid)!.source);
          duplicates.push({ source, path, podName: pod.metadata?.name, message: `${clash}: already defined by ${first}; ignoring` });
          this.logger.warn({ source, path, pod: name, first }, 'pod failed validation due to duplicate pod name, ignoring');
          continue;
        }
        // The merge stamps the source, as the kubelet does before comparing (once: a kept copy has it).
        if (pod.metadata?.annotations?.[CONFIG_SOURCE_ANNOTATION] !== source) {
          pod.metadata = { ...pod.metadata, annotations: { ...pod.metadata?.annotations, [CONFIG_SOURCE_ANNOTATION]: source } };
        }
        names.set(name, path);
        next.set(uid, { pod, source });
      }
    }
    return { next, duplicates };
  }
}

