// The admission step of the kubelet's HandlePodAdditions, and rejectPod: which pods were admitted, which rejected, and what a rejection shows.
import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { EventRecorder } from '../events/recorder.js';
import type { PodCache } from '../pleg/cache.js';
import type { PodWorkers } from '../podworker/workers.js';
import type { StatusManager } from '../status/manager.js';
import { getPodQOS } from '../status/qos.js';
import { asDate } from '../status/spec.js';
import { isTerminalPhase } from '../status/types.js';
import { admitPod } from './admit.js';
import { truncate } from '../bounded.js';
import type { AdmissionNode, AdmitResult } from './types.js';

export interface PodAdmissionOptions {
  node: AdmissionNode;
  workers: Pick<PodWorkers, 'state'>;
  statusManager: Pick<StatusManager, 'setPodStatus' | 'peekPodStatus' | 'deletePod'>;
  recorder: Pick<EventRecorder, 'event' | 'forget'>;
  /** The runtime cache, to know which pods an earlier run of the agent admitted (they run). */
  cache: Pick<PodCache, 'get'>;
  logger: Pick<Logger, 'info'>;
}

/** rejectPod's status: Failed with the reason, "Pod was rejected: " and the message, and the QoS class kept as is. */
export function rejectedStatus(pod: V1Pod, reason: string, message: string): V1PodStatus {
  return { phase: 'Failed', reason, message: `Pod was rejected: ${message}`, qosClass: getPodQOS(pod) };
}

/**
 * PodsByCreationTime, stable. A pod the runtime already has counts as created when its first
 * sandbox was: a static pod's creationTimestamp is when this process first read its file, so
 * after a restart every pod would look new and a path-ordered batch could let a pod that was
 * rejected before take the port or cpu of one that runs. The kubelet's own comment on this
 * (syncLoopIteration, ADD) is that checkpointing would resolve it; the runtime is our checkpoint.
 */
export function admissionOrder(pods: readonly V1Pod[], runtimeSince: (uid: string) => number | undefined): V1Pod[] {
  const createdAt = (p: V1Pod): number => {
    const created = asDate(p.metadata?.creationTimestamp)?.getTime() ?? Number.POSITIVE_INFINITY;
    return Math.min(created, runtimeSince(p.metadata?.uid ?? '') ?? Number.POSITIVE_INFINITY);
  };
  return pods.map((p) => ({ p, t: createdAt(p) })).sort((a, b) => a.t - b.t).map((x) => x.p);
}

/**
 * admitPod, and a throw (a field of a type no check foresaw) turned into this pod's rejection, as
 * the kubelet rejects a pod whose admit handler errs (UnexpectedAdmissionError): the rest of the
 * batch is admitted as usual.
 */
function safeAdmit(pod: V1Pod, active: readonly V1Pod[], node: AdmissionNode): AdmitResult {
  try {
    return admitPod(pod, active, node);
  } catch (err) {
    return { admit: false, reason: 'UnexpectedAdmissionError', message: truncate(`Allocate failed due to ${(err as Error)?.message ?? String(err)}, which is unexpected`) };
  }
}

export class PodAdmission {
  private readonly admitted = new Set<string>();
  private readonly rejected = new Set<string>();

  constructor(private readonly opts: PodAdmissionOptions) {}

  /**
   * HandlePodAdditions: in creation order, each added pod is admitted against the admitted pods
   * of `current` (the sources' pods now) that still hold resources, or rejected. Returns the
   * admitted pods, in that order, for the pod workers; a rejected pod never reaches a worker.
   */
  handleAdditions(added: readonly V1Pod[], current: readonly V1Pod[]): V1Pod[] {
    const admitted: V1Pod[] = [];
    // Worked out once per batch, then grown as the batch is admitted (a burst of 100 new pods
    // would otherwise filter every pod again for each of them).
    const active = this.activePods(current);
    for (const pod of admissionOrder(added, (uid) => this.runtimeSince(uid))) {
      const uid = pod.metadata!.uid!;
      // Only a pod whose worker is not tearing it down goes through admission; one that is will
      // start again (or not) when the teardown completes, as the kubelet leaves it to its worker.
      const kind = this.opts.workers.state(uid)?.kind;
      const result = kind === 'terminating' || kind === 'terminated' ? undefined : safeAdmit(pod, active, this.opts.node);
      if (result && !result.admit) {
        this.reject(pod, result.reason, result.message);
        continue;
      }
      if (!this.admitted.has(uid) && kind !== 'terminated') active.push(pod);
      this.admitted.add(uid);
      admitted.push(pod);
    }
    return admitted;
  }

  isRejected(uid: string): boolean {
    return this.rejected.has(uid);
  }

  /**
   * The pod was deleted: returns whether it was rejected (then no worker has it, nothing to kill).
   * Once no source lists it (`current`), it is forgotten; a rejected pod's status and events go
   * with it, as there is no worker to clean up after it. A graceful delete keeps it listed: an
   * admitted pod then holds its resources while its worker tears it down, a rejected one stays Failed.
   */
  removed(uid: string, current: readonly V1Pod[]): boolean {
    const rejected = this.rejected.has(uid);
    if (current.some((p) => p.metadata?.uid === uid)) return rejected;
    this.admitted.delete(uid);
    if (!rejected) return false;
    this.rejected.delete(uid);
    this.opts.statusManager.deletePod(uid);
    this.opts.recorder.forget(uid);
    return true;
  }

  /**
   * getAllocatedPods / filterOutInactivePods: admitted pods that are not known to be terminated,
   * and not in a terminal phase unless their worker is still tearing them down (they hold their
   * resources until then). Rejected pods are Failed, so they never count.
   */
  private activePods(current: readonly V1Pod[]): V1Pod[] {
    return current.filter((p) => {
      const uid = p.metadata?.uid ?? '';
      if (!this.admitted.has(uid)) return false;
      const kind = this.opts.workers.state(uid)?.kind;
      if (kind === 'terminated') return false;
      return kind === 'terminating' || !isTerminalPhase(this.opts.statusManager.peekPodStatus(uid)?.phase);
    });
  }

  /** rejectPod: a Warning event with the reason and message, and the Failed status. */
  private reject(pod: V1Pod, reason: string, message: string): void {
    const uid = pod.metadata!.uid!;
    this.rejected.add(uid);
    this.opts.logger.info({ pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, uid, reason, message }, 'Pod admission denied');
    this.opts.recorder.event(pod, 'Warning', reason, message);
    this.opts.statusManager.setPodStatus(pod, rejectedStatus(pod, reason, message));
  }

  /** When the runtime first had the pod: its oldest sandbox's creation (sandboxes are newest first). */
  private runtimeSince(uid: string): number | undefined {
    return this.opts.cache.get(uid)?.sandboxes.at(-1)?.createdAt;
  }
}
