// Container statuses from the spec, the runtime's containers and the previous status (the kubelet's convertToAPIContainerStatuses).
import type { V1Container, V1ContainerState, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import type { ContainerWaitingReasons, ObservedContainer, ObservedPod } from '../runtime/types.js';
import { hasAnyRegularContainerCreated, isSidecar, msToDate, newestObserved, shouldContainerBeRestarted } from './spec.js';
import { ContainerCreating, ContainerStatusUnknown, PodInitializing } from './types.js';

export interface ContainerStatusInput {
  pod: V1Pod;
  observed: ObservedPod | undefined;
  /** The same list (regular or init) of the previous status. */
  previous: V1ContainerStatus[] | undefined;
  /** The spec list these statuses are for. */
  containers: V1Container[];
  isInit: boolean;
  waiting: ContainerWaitingReasons;
  terminationMessages?: ReadonlyMap<string, string>;
  runtimeType: string;
}

/** Drops keys whose value is undefined, so statuses compare and serialize cleanly. */
function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** The kubelet enriches the runtime's message with the termination message: "<runtime>: <message>". */
function joinMessage(runtime: string, termination: string | undefined): string | undefined {
  const parts = [runtime, termination ?? ''].filter((p) => p.length > 0);
  return parts.length ? parts.join(': ') : undefined;
}

/** convertContainerStatus: one runtime instance as a V1ContainerStatus (ready/started are set later). */
function convertObserved(
  oc: ObservedContainer,
  specImage: string,
  old: V1ContainerStatus | undefined,
  input: ContainerStatusInput,
): V1ContainerStatus {
  const containerID = `${input.runtimeType}://${oc.id}`;
  const status: V1ContainerStatus = {
    name: oc.name,
    restartCount: oc.restartCount,
    image: oc.image || specImage,
    imageID: oc.imageRef,
    containerID,
    ready: false,
  };
  let state: V1ContainerState;
  switch (oc.state) {
    case 'running':
      state = { running: compact({ startedAt: msToDate(oc.startedAt) }) };
      break;
    case 'created':
      // Created but not started: "waiting to be running", with no reason of its own.
      state = { waiting: {} };
      break;
    case 'exited':
      state = {
        terminated: compact({
          exitCode: oc.exitCode,
          reason: oc.reason || undefined,
          message: joinMessage(oc.message, input.terminationMessages?.get(oc.id)),
          startedAt: msToDate(oc.startedAt),
          finishedAt: msToDate(oc.finishedAt),
          containerID,
        }),
      };
      break;
    default:
      if (old?.state?.running) {
        // It was running and the runtime lost it: it did stop, and "never ran" would be a lie.
        state = {
          terminated: {
            reason: ContainerStatusUnknown,
            message: 'The container could not be located when the pod was terminated',
            exitCode: 137,
          },
        };
        status.restartCount = (old.restartCount ?? 0) + 1;
      } else {
        state = { waiting: {} };
      }
  }
  status.state = state;
  return status;
}

/** kubelet convertToAPIContainerStatuses, for one list of the spec. Statuses come out in spec order. */
export function convertToAPIContainerStatuses(input: ContainerStatusInput): V1ContainerStatus[] {
  const { pod, observed, containers, isInit } = input;
  const hasInitContainers = (pod.spec?.initContainers?.length ?? 0) > 0;
  const oldStatuses = new Map((input.previous ?? []).map((s) => [s.name, structuredClone(s)] as const));
  const defaultReason = hasInitContainers ? PodInitializing : ContainerCreating;

  // Every container starts out waiting, carrying over restartCount and lastState (or a whole terminated status).
  const statuses = new Map<string, V1ContainerStatus>();
  for (const c of containers) {
    let status: V1ContainerStatus = {
      name: c.name,
      image: c.image ?? '',
      imageID: '',
      ready: false,
      restartCount: 0,
      state: { waiting: { reason: defaultReason } },
    };
    const old = oldStatuses.get(c.name);
    if (old?.state?.terminated) status = structuredClone(old);
    else if (old) {
      status.restartCount = old.restartCount ?? 0;
      if (old.lastState) status.lastState = structuredClone(old.lastState);
    }
    statuses.set(c.name, status);
  }

  // A container that was running and is gone from the runtime did terminate; showing it as freshly
  // waiting would push the pod back to Pending.
  for (const c of containers) {
    if (newestObserved(observed, c.name)) continue;
    const old = oldStatuses.get(c.name);
    if (!old || old.state?.terminated || !old.state?.running) continue;
    const status = statuses.get(c.name)!;
    if (status.state?.waiting?.reason !== defaultReason || status.lastState?.terminated) continue;
    status.lastState = {
      terminated: {
        reason: ContainerStatusUnknown,
        message: 'The container could not be located when the pod was deleted.  The container used to be Running',
        exitCode: 137,
      },
    };
    if (!pod.metadata?.deletionTimestamp) status.restartCount += 1;
  }

  // The newest instance gives the state, the one before it the lastState.
  const newestFirst = [...(observed?.containers ?? [])].sort((a, b) => b.createdAt - a.createdAt);
  const seen = new Map<string, number>();
  for (const oc of newestFirst) {
    const current = statuses.get(oc.name);
    const n = seen.get(oc.name) ?? 0;
    if (!current || n >= 2) continue;
    const spec = containers.find((c) => c.name === oc.name)!;
    const converted = convertObserved(oc, spec.image ?? '', oldStatuses.get(oc.name), input);
    if (n === 0) statuses.set(oc.name, converted);
    else current.lastState = converted.state;
    seen.set(oc.name, n + 1);
  }

  // Containers the next sync will (re)start are Waiting, with the reason the last sync recorded.
  for (const c of containers) {
    const status = statuses.get(c.name)!;
    if (isInit) {
      const latest = newestObserved(observed, c.name);
      // An init container that exited 0 is done and is not restarted.
      if (latest?.state === 'exited' && latest.exitCode === 0) continue;
      // Its record is gone but regular containers exist: it must have succeeded.
      if (!latest && !isSidecar(c) && status.state?.waiting && hasAnyRegularContainerCreated(pod, observed)) {
        status.state = {
          terminated: {
            reason: 'Completed',
            message: 'Unable to get init container status from container runtime and pod has been initialized, treat it as exited normally',
            exitCode: 0,
          },
        };
        continue;
      }
    }
    if (!shouldContainerBeRestarted(c, pod, observed)) continue;
    const reason = input.waiting.get(c.name);
    // No recorded reason: keep the state as it is, the container is about to be (re)started anyway.
    if (!reason) continue;
    if (status.state?.terminated) status.lastState = status.state;
    status.state = { waiting: compact({ reason: reason.reason, message: reason.message || undefined }) };
  }

  return containers.map((c) => statuses.get(c.name)!);
}
