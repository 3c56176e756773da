// Reads what the runtime holds for mini-kubelet: the owned CRI objects, and one pod's ObservedPod (kubelet: GetPodStatus).

import { isNotFound } from '../cri/errors.js';
import type { Container, ContainerState, ContainerStatus, CriRuntime, PodSandbox, PodSandboxStatus } from '../cri/types.js';
import { CONTAINER_HASH_ANNOTATION, CONTAINER_NAME_LABEL, POD_NAME_LABEL, POD_NAMESPACE_LABEL, POD_UID_LABEL, ownershipSelector } from './labels.js';
import type { ObservedContainer, ObservedContainerState, ObservedPod, ObservedSandbox } from './types.js';

/** The owned sandboxes and containers, as the list calls return them. */
export interface OwnedObjects {
  sandboxes: PodSandbox[];
  containers: Container[];
}

/** True when every key of the selector is on the object with the same value. */
export function matchesSelector(labels: Record<string, string> | undefined, selector: Record<string, string>): boolean {
  for (const k in selector) if (labels?.[k] !== selector[k]) return false;
  return true;
}

/**
 * ListPodSandbox + ListContainers with the ownership selector, in parallel. The selector is also
 * checked here, so an object without our labels is never adopted even if a runtime ignores the filter.
 * `extra` narrows further, for example to one pod UID.
 */
export async function listOwned(cri: CriRuntime, nodeName: string, extra: Record<string, string> = {}): Promise<OwnedObjects> {
  const labelSelector = { ...ownershipSelector(nodeName), ...extra };
  const [sandboxes, containers] = await Promise.all([
    cri.listPodSandbox({ labelSelector }),
    cri.listContainers({ labelSelector }),
  ]);
  return {
    sandboxes: sandboxes.filter((s) => matchesSelector(s.labels, labelSelector)),
    containers: containers.filter((c) => matchesSelector(c.labels, labelSelector)),
  };
}

/** The pod UID an object belongs to: the io.kubernetes.pod.uid label (sandboxes also carry it in metadata). */
export function podUidOf(obj: PodSandbox | Container): string | undefined {
  return obj.labels?.[POD_UID_LABEL] || ('metadata' in obj && 'uid' in obj.metadata ? obj.metadata.uid : undefined) || undefined;
}

/** Runs a status call; a NotFound becomes undefined (the object is skipped), any other error fails the pod. */
async function unlessGone<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

// Rounded, not truncated: int64 nanoseconds arrive as doubles, a few hundred ns off, so an exact
// millisecond can come in just below itself.
const nsToMs = (ns: number): number => (ns > 0 ? Math.round(ns / 1e6) : 0);
const newestFirst = (a: { createdAt: number; id: string }, b: { createdAt: number; id: string }): number =>
  b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

const CONTAINER_STATES: Record<ContainerState, ObservedContainerState> = {
  CONTAINER_CREATED: 'created',
  CONTAINER_RUNNING: 'running',
  CONTAINER_EXITED: 'exited',
  CONTAINER_UNKNOWN: 'unknown',
};

function sandboxFromStatus(s: PodSandboxStatus): ObservedSandbox {
  const ips = [s.network?.ip ?? '', ...(s.network?.additionalIps ?? []).map((a) => a.ip)].filter((ip) => ip !== '');
  return {
    id: s.id,
    attempt: s.metadata?.attempt ?? 0,
    state: s.state === 'SANDBOX_READY' ? 'ready' : 'notready',
    createdAt: nsToMs(s.createdAt),
    ip: ips[0] ?? '',
    ips,
    hostNetwork: s.linux?.namespaces?.options?.network === 'NODE',
  };
}

/** An old NOTREADY sandbox straight from the list entry: no status call, network facts from before if known. */
function sandboxFromList(s: PodSandbox, before: ObservedSandbox | undefined): ObservedSandbox {
  return {
    id: s.id,
    attempt: s.metadata?.attempt ?? 0,
    state: s.state === 'SANDBOX_READY' ? 'ready' : 'notready',
    createdAt: nsToMs(s.createdAt),
    ip: before?.ip ?? '',
    ips: before?.ips ?? [],
    hostNetwork: before?.hostNetwork ?? false,
  };
}

function containerFromStatus(entry: Container, s: ContainerStatus): ObservedContainer {
  const labels = s.labels ?? entry.labels ?? {};
  const annotations = s.annotations ?? entry.annotations ?? {};
  return {
    id: s.id || entry.id,
    name: labels[CONTAINER_NAME_LABEL] ?? s.metadata?.name ?? entry.metadata?.name ?? '',
    sandboxId: entry.podSandboxId,
    restartCount: s.metadata?.attempt ?? entry.metadata?.attempt ?? 0,
    state: CONTAINER_STATES[s.state] ?? 'unknown',
    createdAt: nsToMs(s.createdAt),
    startedAt: nsToMs(s.startedAt),
    finishedAt: nsToMs(s.finishedAt),
    exitCode: s.exitCode ?? 0,
    reason: s.reason ?? '',
    message: s.message ?? '',
    image: s.image?.image || entry.image?.image || '',
    imageRef: s.imageRef || entry.imageRef || '',
    hash: annotations[CONTAINER_HASH_ANNOTATION] ?? '',
    logPath: s.logPath ?? '',
    annotations,
    mounts: (s.mounts ?? []).map((m) => ({ containerPath: m.containerPath, hostPath: m.hostPath })),
  };
}

export interface GetPodStatusOptions {
  /**
   * The pod's previous observation. Exited containers never change, so their status is reused
   * instead of asked for again, and a sandbox whose network is gone keeps the IP it had (kubelet:
   * GenericPLEG.getPodIPs, so a finished pod still reports its podIP).
   */
  previous?: ObservedPod;
}

/**
 * One pod as the runtime sees it (kubelet: kubeGenericRuntimeManager.GetPodStatus and
 * getPodContainerStatuses). `known` may hold other pods' objects too; only this UID's are used.
 * PodSandboxStatus is asked only for the newest sandbox and ready ones: the kubelet takes the pod
 * IP from the newest sandbox alone, and an old NOTREADY sandbox is fully described by its list entry.
 */
export async function getPodStatus(
  cri: CriRuntime,
  uid: string,
  known: OwnedObjects,
  now: number,
  opts: GetPodStatusOptions = {},
): Promise<ObservedPod> {
  const prev = opts.previous;
  const sandboxes = known.sandboxes.filter((s) => podUidOf(s) === uid).sort(newestFirst);
  const containers = known.containers.filter((c) => podUidOf(c) === uid).sort(newestFirst);

  const observedSandboxes = await Promise.all(
    sandboxes.map(async (s, idx): Promise<ObservedSandbox | undefined> => {
      const before = prev?.sandboxes.find((p) => p.id === s.id);
      if (idx > 0 && s.state !== 'SANDBOX_READY') return sandboxFromList(s, before);
      const status = await unlessGone(() => cri.podSandboxStatus(s.id));
      if (!status) return undefined;
      const observed = sandboxFromStatus(status);
      // kubelet getPodIPs: a sandbox whose network was torn down keeps the IP it had.
      if (observed.state === 'notready' && observed.ips.length === 0 && before && before.ips.length > 0) {
        return { ...observed, ip: before.ip, ips: before.ips };
      }
      return observed;
    }),
  );

  const observedContainers = await Promise.all(
    containers.map(async (c): Promise<ObservedContainer | undefined> => {
      const before = prev?.containers.find((p) => p.id === c.id);
      if (before && before.state === 'exited' && c.state === 'CONTAINER_EXITED') return before;
      const status = await unlessGone(() => cri.containerStatus(c.id));
      return status ? containerFromStatus(c, status) : undefined;
    }),
  );

  const labelled = sandboxes[0]?.labels ?? containers[0]?.labels ?? {};
  return {
    uid,
    name: sandboxes[0]?.metadata?.name || labelled[POD_NAME_LABEL] || prev?.name || '',
    namespace: sandboxes[0]?.metadata?.namespace || labelled[POD_NAMESPACE_LABEL] || prev?.namespace || '',
    sandboxes: observedSandboxes.filter((s): s is ObservedSandbox => s !== undefined).sort(newestFirst),
    containers: observedContainers.filter((c): c is ObservedContainer => c !== undefined).sort(newestFirst),
    timestamp: now,
  };
}
