// The API server pod source: the pods bound to this node (spec.nodeName), listed and watched, as full snapshots (kubelet: config/apiserver.go).
//
// As the kubelet's: every namespace, field selector spec.nodeName=<node>, a reflector that resumes
// its watch and relists on 410 Gone, and a SET of all the node's pods on each change. Mirror pods
// (kubernetes.io/config.mirror) are the API's copies of our own static pods, not pods to run: they
// stay out of the snapshot and go to the mirror-pod manager. While the API server is away the last
// pods are kept and nothing is emitted: an outage must not look like deletions.
import type { V1Pod } from '@kubernetes/client-node';
import type { BackoffOptions } from '../kubeclient/backoff.js';
import { Reflector } from '../kubeclient/reflector.js';
import type { PodsClient } from '../kubeclient/types.js';
import { API_SOURCE, CONFIG_MIRROR_ANNOTATION, CONFIG_SOURCE_ANNOTATION } from './annotations.js';
import { joinBounded } from '../bounded.js';
import { formatFieldError } from './field-errors.js';
import { firstSeenStamper } from './first-seen.js';
import { checkPodShape } from './shape.js';
import type { Clock, ManifestError, PodSource, SourceLogger } from './types.js';

export interface ApiServerSourceOptions {
  pods: Pick<PodsClient, 'list' | 'watch'>;
  /** Lowercased, as the Node's name. */
  nodeName: string;
  logger: SourceLogger;
  clock?: Clock;
  /** The mirror pods bound to this node changed: the whole set (for the mirror-pod manager). */
  onMirrorPods?: (mirrorPods: V1Pod[]) => void;
  /** A pod bound to this node (mirror pods too) changed in the API, or (deleted) left it. */
  onPodChange?: (pod: V1Pod, deleted: boolean) => void;
  /** How long start() waits for the first list before it returns without one (a down API server must not hold up the agent). */
  startWaitMs?: number;
  backoff?: BackoffOptions;
  minWatchTimeoutSeconds?: number;
}

/** The source, plus the API's view of this node's pods for the status writer and the mirror-pod manager. */
export interface ApiServerSource extends PodSource {
  /** The pod as the API last showed it (kubelet: podManager.GetPodByUID), mirror pods included. Shared: do not modify. */
  getPod(uid: string): V1Pod | undefined;
  /** This node's mirror pods as last seen. Shared: do not modify. */
  mirrorPods(): V1Pod[];
  /** Whether a list has succeeded yet. */
  hasSynced(): boolean;
}

export const isMirrorPod = (pod: V1Pod): boolean => pod.metadata?.annotations?.[CONFIG_MIRROR_ANNOTATION] !== undefined;

/**
 * Why an object from the API cannot be handed on as a pod (undefined: it can). The API server
 * validated and defaulted it, so the kubelet checks nothing; we check only the shape every part
 * below relies on, so one odd object never throws in the middle of a batch of good ones.
 */
export function apiPodProblem(pod: V1Pod): string | undefined {
  const m = pod?.metadata;
  if (!m?.uid || !m.name || !m.namespace) return 'metadata.uid, metadata.name and metadata.namespace are required';
  const containers = pod.spec?.containers;
  if (!Array.isArray(containers) || containers.length === 0) return 'spec.containers must be a non-empty list';
  const all = [...containers, ...(Array.isArray(pod.spec?.initContainers) ? pod.spec.initContainers : [])];
  if (all.some((c) => typeof c?.name !== 'string' || !c.name)) return 'every container needs a name';
  // The field types the file path checks (`ports: {}` would throw in admission, in the middle of
  // a batch): an API server that validates never sends such a pod, an API that does not could.
  const typeErrs = checkPodShape(pod);
  if (typeErrs.length > 0) return joinBounded(typeErrs.slice(0, 5).map(formatFieldError));
  return undefined;
}

export function createApiServerSource(opts: ApiServerSourceOptions): ApiServerSource {
  const { nodeName, logger } = opts;
  const fieldSelector = `spec.nodeName=${nodeName}`;
  const stamp = firstSeenStamper(opts.clock ?? { now: () => Date.now() });
  /** Everything the API has bound to this node, by UID, as the API last showed it. */
  const store = new Map<string, V1Pod>();
  /**
   * What each stored object became when it was last handed on: its checked copy, or why it cannot
   * run. Every watch event brings a new object, so one that is still in the store is unchanged and
   * is neither checked nor copied again: a status change of one pod then costs the next SET one
   * copy, not one per pod (with 100 pods, 13 ms a watch event before this, most of it copying).
   */
  const handedOn = new WeakMap<V1Pod, { pod: V1Pod } | { problem: string }>();
  let onSnapshot: Parameters<PodSource['start']>[0] | undefined;
  let stopped = false;
  let emitScheduled = false;
  let mirrorsChanged = false;
  let firstAttempt: (() => void) | undefined;

  const key = (pod: V1Pod) => pod.metadata?.uid ?? `${pod.metadata?.namespace}/${pod.metadata?.name}`;

  /** One SET per burst of watch events: they arrive together (a deployment scaled), the pod config diffs once. */
  function scheduleEmit(): void {
    if (emitScheduled || stopped) return;
    emitScheduled = true;
    setImmediate(emit);
  }

  function emit(): void {
    emitScheduled = false;
    if (stopped) return;
    const pods: V1Pod[] = [];
    const errors: ManifestError[] = [];
    const mirrors: V1Pod[] = [];
    for (const pod of store.values()) {
      if (isMirrorPod(pod)) {
        mirrors.push(pod);
        continue;
      }
      let out = handedOn.get(pod);
      if (!out) {
        out = handOn(pod);
        handedOn.set(pod, out);
      }
      if ('problem' in out) {
        errors.push({ source: API_SOURCE, path: `api:${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`, podName: pod.metadata?.name, message: out.problem });
        continue;
      }
      pods.push(out.pod);
    }
    if (mirrorsChanged) {
      mirrorsChanged = false;
      safely('mirror pods', () => opts.onMirrorPods?.(mirrors));
    }
    onSnapshot?.({ source: API_SOURCE, pods: stamp(pods), errors });
  }

  /** The pod as the pod config gets it (a copy, stamped with its source), or why it cannot run. */
  function handOn(pod: V1Pod): { pod: V1Pod } | { problem: string } {
    const problem = apiPodProblem(pod);
    if (problem) return { problem: problem.slice(0, 512) };
    const copy = structuredClone(pod);
    copy.metadata!.annotations = { ...copy.metadata!.annotations, [CONFIG_SOURCE_ANNOTATION]: API_SOURCE };
    return { pod: copy };
  }

  function safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      logger.error({ err: String(err), what }, 'api pod source: a subscriber failed');
    }
  }

  function changed(pod: V1Pod, deleted: boolean): void {
    if (isMirrorPod(pod)) mirrorsChanged = true;
    safely('pod change', () => opts.onPodChange?.(pod, deleted));
  }

  const reflector = new Reflector<V1Pod>({
    what: `pods ${fieldSelector}`,
    list: () => opts.pods.list({ fieldSelector }),
    watch: (resourceVersion, timeoutSeconds, onEvent, onClose) =>
      opts.pods.watch({ fieldSelector, resourceVersion, timeoutSeconds }, onEvent, onClose),
    replace(items) {
      const before = new Map(store);
      store.clear();
      for (const pod of items) store.set(key(pod), pod);
      for (const [uid, old] of before) if (!store.has(uid)) changed(old, true);
      for (const pod of store.values()) changed(pod, false);
      mirrorsChanged = true;
      scheduleEmit();
      firstAttempt?.();
    },
    event(type, pod) {
      if (!pod?.metadata) return;
      if (type === 'DELETED') store.delete(key(pod));
      else store.set(key(pod), pod);
      changed(pod, type === 'DELETED');
      scheduleEmit();
    },
    listFailed: () => firstAttempt?.(),
    logger,
    backoff: opts.backoff,
    minWatchTimeoutSeconds: opts.minWatchTimeoutSeconds,
  });

  return {
    name: API_SOURCE,
    /** Resolves after the first list (delivered, or failed) or startWaitMs, whichever comes first. */
    async start(cb) {
      onSnapshot = cb;
      stopped = false;
      logger.info({ fieldSelector }, 'watching the API server for pods bound to this node');
      const first = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, opts.startWaitMs ?? 5000);
        firstAttempt = () => {
          clearTimeout(timer);
          firstAttempt = undefined;
          // After the snapshot of a successful list went out (emit runs on setImmediate).
          setImmediate(resolve);
        };
      });
      reflector.start();
      await first;
    },
    async stop() {
      stopped = true;
      reflector.stop();
    },
    getPod: (uid) => store.get(uid),
    mirrorPods: () => [...store.values()].filter(isMirrorPod),
    hasSynced: () => reflector.hasSynced(),
  };
}
