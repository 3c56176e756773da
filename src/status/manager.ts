// Keeps the latest status of every pod and hands only real changes to the sinks (the kubelet's status_manager).
import type { V1ContainerStatus, V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { withTransitionTime } from './conditions.js';
import { terminatedStatus } from './merge.js';
import { asDate } from './spec.js';
import { isPodStatusEqual, normalizeStatus } from './status-equal.js';
import { isTerminalPhase, KUBELET_CONDITIONS } from './types.js';

/** Where status changes go: the /pods endpoint's cache, the API server writer, ... */
export interface StatusSink {
  podStatusChanged(pod: V1Pod, status: V1PodStatus): void;
  podDeleted(uid: string): void;
}

/** The slice of a pino logger the manager uses. */
export interface StatusLogger {
  debug(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

export interface StatusManagerOptions {
  /** Unix ms. */
  clock: { now(): number };
  logger: StatusLogger;
}

interface Entry {
  pod: V1Pod;
  status: V1PodStatus;
  /** First set with no earlier status to start from (no start time): a mirror pod seen later may still give one. */
  fresh: boolean;
}

/**
 * checkContainerStateTransition: a terminated container may only come back under restartPolicy
 * Always, or OnFailure when it failed. Anything else is a logic error upstream.
 */
export function checkContainerStateTransition(
  oldStatuses: V1ContainerStatus[] | undefined,
  newStatuses: V1ContainerStatus[] | undefined,
  restartPolicy: string | undefined,
): string | undefined {
  if ((restartPolicy ?? 'Always') === 'Always') return undefined;
  for (const old of oldStatuses ?? []) {
    const t = old.state?.terminated;
    if (!t || (t.exitCode !== 0 && restartPolicy === 'OnFailure')) continue;
    const next = newStatuses?.find((s) => s.name === old.name);
    if (next && !next.state?.terminated) {
      return `terminated container ${next.name} attempted illegal transition to non-terminated state`;
    }
  }
  return undefined;
}

export class StatusManager {
  private readonly entries = new Map<string, Entry>();
  private readonly sinks: StatusSink[] = [];
  private readonly clock: StatusManagerOptions['clock'];
  private readonly logger: StatusLogger;
  private mirrorPodFor: ((staticPod: V1Pod) => V1Pod | undefined) | undefined;

  constructor(opts: StatusManagerOptions) {
    this.clock = opts.clock;
    this.logger = opts.logger;
  }

  addSink(sink: StatusSink): void {
    this.sinks.push(sink);
  }

  /**
   * podManager.GetMirrorPodByPod, for cluster mode: a static pod's mirror pod in the API, whose
   * status is where a static pod's status starts from when none is cached (after a restart).
   */
  setMirrorPodLookup(fn: (staticPod: V1Pod) => V1Pod | undefined): void {
    this.mirrorPodFor = fn;
  }

  /**
   * The mirror pods in the API changed. updateStatusInternal reads a static pod's old status from
   * its mirror pod when nothing is cached; here the static pod's worker usually syncs before the
   * API pod source has listed (the file source is read at once, client-node takes seconds), so a
   * pod first set with no start time takes its mirror pod's status as if it had been there then
   * (its start time and condition transition times survive an agent restart, as the kubelet's do).
   */
  mirrorPodsChanged(): void {
    for (const [uid, e] of this.entries) {
      if (!e.fresh || !this.mirrorPodFor?.(e.pod)?.status?.startTime) continue;
      this.entries.delete(uid);
      this.setPodStatus(e.pod, e.status);
      // Refused (an illegal transition from the mirror's status): keep what was there.
      if (!this.entries.has(uid)) this.entries.set(uid, { ...e, fresh: false });
    }
  }

  /** status_manager SetPodStatus / updateStatusInternal. */
  setPodStatus(pod: V1Pod, status: V1PodStatus): void {
    const uid = pod.metadata?.uid;
    if (!uid) {
      this.logger.error({ pod: pod.metadata?.name }, 'status for a pod without uid ignored');
      return;
    }
    const cached = this.entries.get(uid);
    const old: V1PodStatus = cached?.status ?? this.mirrorPodFor?.(pod)?.status ?? pod.status ?? {};
    const next = structuredClone(status);
    const policy = pod.spec?.restartPolicy;
    const illegal =
      checkContainerStateTransition(old.containerStatuses, next.containerStatuses, policy) ??
      checkContainerStateTransition(old.initContainerStatuses, next.initContainerStatuses, policy);
    if (illegal) {
      this.logger.error({ pod: podRef(pod), err: illegal }, 'status update on pod aborted');
      return;
    }
    // Pods are not allowed to leave a terminal phase.
    if (isTerminalPhase(old.phase) && next.phase !== old.phase) {
      this.logger.error({ pod: podRef(pod), from: old.phase, to: next.phase }, 'pod attempted illegal phase transition');
      next.phase = old.phase;
    }
    const now = this.clock.now();
    next.conditions = (next.conditions ?? []).map((c) =>
      (KUBELET_CONDITIONS as readonly string[]).includes(c.type) ? withTransitionTime(c, old.conditions, now) : c,
    );
    // The start time never changes once set.
    next.startTime = asDate(old.startTime) ?? asDate(next.startTime) ?? new Date(now);
    normalizeStatus(pod, next);

    if (cached && isPodStatusEqual(cached.status, next)) {
      // Same status: keep the newest pod object, publish nothing.
      cached.pod = pod;
      this.logger.debug({ pod: podRef(pod) }, 'ignoring same status for pod');
      return;
    }
    this.entries.set(uid, { pod, status: next, fresh: cached ? cached.fresh : !old.startTime });
    const published = { ...pod, status: structuredClone(next) };
    for (const sink of this.sinks) {
      try {
        sink.podStatusChanged(published, published.status);
      } catch (err) {
        this.logger.error({ pod: podRef(pod), err }, 'status sink failed');
      }
    }
  }

  /**
   * status_manager TerminatePod: the pod's final status once nothing of it runs (merge.ts
   * terminatedStatus), so what the sinks last hear of a deleted pod is terminal.
   */
  terminatePod(pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    this.setPodStatus(pod, terminatedStatus(pod, this.entries.get(uid)?.status ?? pod.status ?? {}));
  }

  getPodStatus(uid: string): V1PodStatus | undefined {
    const e = this.entries.get(uid);
    return e ? structuredClone(e.status) : undefined;
  }

  /**
   * The stored status itself, not a copy: for readers that only look (the views, a phase or start
   * time check). A stored status is never changed in place (each set stores a new one), so the
   * same object means the same status; callers must not modify it.
   */
  peekPodStatus(uid: string): Readonly<V1PodStatus> | undefined {
    return this.entries.get(uid)?.status;
  }

  /** Every pod with a status, as pod objects with .status set. */
  pods(): V1Pod[] {
    return [...this.entries.values()].map((e) => ({ ...e.pod, status: structuredClone(e.status) }));
  }

  deletePod(uid: string): void {
    if (!this.entries.delete(uid)) return;
    for (const sink of this.sinks) {
      try {
        sink.podDeleted(uid);
      } catch (err) {
        this.logger.error({ uid, err }, 'status sink failed');
      }
    }
  }
}

function podRef(pod: V1Pod): string {
  return `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? '?'}`;
}
