// Pure relist diffing: group listed CRI objects per pod and turn old-vs-new states into pod lifecycle events (kubelet: pleg/generic.go).

import type { Container, ContainerState, PodSandbox, PodSandboxState } from '../cri/types.js';
import { podUidOf, type OwnedObjects } from '../runtime/inspect.js';
import type { ObservedContainerState, ObservedPod, ObservedSandboxState } from '../runtime/types.js';

export type PodLifecycleEventType =
  | 'ContainerStarted'
  | 'ContainerDied'
  | 'ContainerRemoved'
  | 'ContainerChanged'
  | 'SandboxChanged'
  | 'PodSync';

export interface PodLifecycleEvent {
  uid: string;
  type: PodLifecycleEventType;
  /** The container or sandbox id the event is about. */
  data: string;
}

/** What one relist saw of one pod: state per container id and per sandbox id. */
export interface PodRecord {
  containers: Map<string, ContainerState>;
  sandboxes: Map<string, PodSandboxState>;
}

/** The owned objects grouped by pod UID; objects without a pod UID label belong to no pod and are dropped. */
export function groupByPod(objects: OwnedObjects): Map<string, OwnedObjects> {
  const groups = new Map<string, OwnedObjects>();
  const groupOf = (uid: string): OwnedObjects => {
    let g = groups.get(uid);
    if (!g) groups.set(uid, (g = { sandboxes: [], containers: [] }));
    return g;
  };
  for (const s of objects.sandboxes) {
    const uid = podUidOf(s);
    if (uid) groupOf(uid).sandboxes.push(s);
  }
  for (const c of objects.containers) {
    const uid = podUidOf(c);
    if (uid) groupOf(uid).containers.push(c);
  }
  return groups;
}

export function recordOf(group: { sandboxes: PodSandbox[]; containers: Container[] }): PodRecord {
  return {
    containers: new Map(group.containers.map((c) => [c.id, c.state])),
    sandboxes: new Map(group.sandboxes.map((s) => [s.id, s.state])),
  };
}

/**
 * Whether a listing shows exactly what the record holds: the same ids in the same states. The
 * common case at every relist (nothing changed), so it is answered without building a new record.
 */
export function recordMatches(record: PodRecord, group: { sandboxes: PodSandbox[]; containers: Container[] }): boolean {
  if (record.containers.size !== group.containers.length || record.sandboxes.size !== group.sandboxes.length) return false;
  for (const c of group.containers) if (record.containers.get(c.id) !== c.state) return false;
  for (const s of group.sandboxes) if (record.sandboxes.get(s.id) !== s.state) return false;
  return true;
}

type PlegContainerState = 'running' | 'exited' | 'unknown' | 'non-existent';

/** kubelet: convertState. "created" is folded into "unknown", as the kubelet does not act on it. */
function plegState(state: ContainerState | undefined): PlegContainerState {
  switch (state) {
    case undefined:
      return 'non-existent';
    case 'CONTAINER_RUNNING':
      return 'running';
    case 'CONTAINER_EXITED':
      return 'exited';
    default:
      return 'unknown';
  }
}

/** kubelet: generateEvents. */
function containerEvents(uid: string, id: string, oldState: PlegContainerState, newState: PlegContainerState): PodLifecycleEvent[] {
  if (oldState === newState) return [];
  switch (newState) {
    case 'running':
      return [{ uid, type: 'ContainerStarted', data: id }];
    case 'exited':
      return [{ uid, type: 'ContainerDied', data: id }];
    case 'unknown':
      return [{ uid, type: 'ContainerChanged', data: id }];
    case 'non-existent':
      // A container already reported dead is only removed; one that vanished alive also died.
      return oldState === 'exited'
        ? [{ uid, type: 'ContainerRemoved', data: id }]
        : [
            { uid, type: 'ContainerDied', data: id },
            { uid, type: 'ContainerRemoved', data: id },
          ];
  }
}

/**
 * kubelet: computeEvents over getContainersFromPods(old, new). Sandboxes, which the kubelet treats
 * as containers, get one SandboxChanged per state change (appearing and vanishing included).
 * `old` or `current` is undefined when the pod was not there.
 */
export function computePodEvents(uid: string, old: PodRecord | undefined, current: PodRecord | undefined): PodLifecycleEvent[] {
  const events: PodLifecycleEvent[] = [];
  const containerIds = new Set([...(old?.containers.keys() ?? []), ...(current?.containers.keys() ?? [])]);
  for (const id of containerIds) {
    events.push(...containerEvents(uid, id, plegState(old?.containers.get(id)), plegState(current?.containers.get(id))));
  }
  const sandboxIds = new Set([...(old?.sandboxes.keys() ?? []), ...(current?.sandboxes.keys() ?? [])]);
  for (const id of sandboxIds) {
    if (old?.sandboxes.get(id) !== current?.sandboxes.get(id)) events.push({ uid, type: 'SandboxChanged', data: id });
  }
  return events;
}

/** kubelet relist: ContainerChanged is computed (it triggers re-inspection) but not delivered, being unreliable. */
export function isDelivered(e: PodLifecycleEvent): boolean {
  return e.type !== 'ContainerChanged';
}

const OBSERVED_CONTAINER_STATE: Record<ContainerState, ObservedContainerState> = {
  CONTAINER_CREATED: 'created',
  CONTAINER_RUNNING: 'running',
  CONTAINER_EXITED: 'exited',
  CONTAINER_UNKNOWN: 'unknown',
};
const OBSERVED_SANDBOX_STATE: Record<PodSandboxState, ObservedSandboxState> = { SANDBOX_READY: 'ready', SANDBOX_NOTREADY: 'notready' };

/**
 * Whether an observation shows exactly the listed objects, the same ids in the same states. Then
 * inspecting the listing again would only repeat it: what the status calls add (IPs, start and
 * finish times, exit codes, reasons) does not change while an object keeps its state.
 */
export function showsListing(pod: ObservedPod, group: OwnedObjects): boolean {
  if (pod.sandboxes.length !== group.sandboxes.length || pod.containers.length !== group.containers.length) return false;
  const sandboxes = new Map(pod.sandboxes.map((s) => [s.id, s.state]));
  const containers = new Map(pod.containers.map((c) => [c.id, c.state]));
  return (
    group.sandboxes.every((s) => sandboxes.get(s.id) === OBSERVED_SANDBOX_STATE[s.state]) &&
    group.containers.every((c) => containers.get(c.id) === OBSERVED_CONTAINER_STATE[c.state])
  );
}
