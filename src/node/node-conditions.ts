// The Node condition setters of pkg/kubelet/nodestatus/setters.go (Ready, MemoryPressure, DiskPressure, PIDPressure) and the schedulable event, with the kubelet's reasons, messages and events. Pure.
import type { V1Node, V1NodeCondition } from '@kubernetes/client-node';
import type { Setter } from './node-status.js';

/** kubelet recordNodeStatusEvent: "Node <name> status is now: <event>". */
export type NodeStatusEventFunc = (type: 'Normal' | 'Warning', event: string) => void;

/** metav1.Time keeps whole seconds; so do we, so that a value read back compares equal. */
export const metaTime = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);

/**
 * apimachinery's errors.NewAggregate(...).Error(): nested lists flattened, repeats dropped, one
 * message as it is, several as "[a, b]". Undefined when there is none.
 */
export function aggregateMessage(errors: readonly string[]): string | undefined {
  const seen = [...new Set(errors)];
  if (seen.length === 0) return undefined;
  return seen.length === 1 ? seen[0] : `[${seen.join(', ')}]`;
}

export interface ReadyInputs {
  now: () => number;
  /** runtimeState.runtimeErrors, networkErrors and storageErrors, flattened (runtime-state.ts). */
  errors: () => readonly string[];
  /** The kubelet's AppArmor validator passes (AppArmor is enabled on the host). */
  appArmorEnabled: boolean;
  recordEvent: NodeStatusEventFunc;
}

/** ReadyCondition's required capacities (LocalStorageCapacityIsolation on, as by default). */
const REQUIRED_CAPACITIES = ['cpu', 'memory', 'pods', 'ephemeral-storage'];

/**
 * ReadyCondition: True "KubeletReady" unless the runtime, its network, or a required capacity is
 * missing, then False "KubeletNotReady" with the aggregated errors as its message. The transition
 * time moves only when the status does, and only then is NodeReady or NodeNotReady recorded.
 */
export function readyCondition(o: ReadyInputs): Setter {
  return (node) => {
    const now = metaTime(o.now());
    const s = (node.status ??= {});
    const errors = [...o.errors()];
    const missing = REQUIRED_CAPACITIES.filter((r) => !(r in (s.capacity ?? {})));
    if (missing.length) errors.push(`missing node capacity for resources: ${missing.join(', ')}`);
    const message = aggregateMessage(errors);
    const next: V1NodeCondition = message === undefined
      ? { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now }
      : { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message, lastHeartbeatTime: now };
    if (o.appArmorEnabled && next.status === 'True') next.message = `${next.message}. AppArmor enabled`;
    const conditions = (s.conditions ??= []);
    const i = conditions.findIndex((c) => c.type === 'Ready');
    if (i < 0) {
      conditions.push({ ...next, lastTransitionTime: now });
      return undefined;
    }
    const changed = conditions[i]!.status !== next.status;
    conditions[i] = { ...next, lastTransitionTime: changed ? now : conditions[i]!.lastTransitionTime };
    if (changed) o.recordEvent('Normal', next.status === 'True' ? 'NodeReady' : 'NodeNotReady');
    return undefined;
  };
}

export type PressureType = 'MemoryPressure' | 'DiskPressure' | 'PIDPressure';

/** The reasons, messages and events of each pressure condition: [under pressure, not under pressure]. */
const PRESSURE: Record<PressureType, [reason: string, message: string, event: string][]> = {
  MemoryPressure: [
    ['KubeletHasInsufficientMemory', 'kubelet has insufficient memory available', 'NodeHasInsufficientMemory'],
    ['KubeletHasSufficientMemory', 'kubelet has sufficient memory available', 'NodeHasSufficientMemory'],
  ],
  DiskPressure: [
    ['KubeletHasDiskPressure', 'kubelet has disk pressure', 'NodeHasDiskPressure'],
    ['KubeletHasNoDiskPressure', 'kubelet has no disk pressure', 'NodeHasNoDiskPressure'],
  ],
  PIDPressure: [
    ['KubeletHasInsufficientPID', 'kubelet has insufficient PID available', 'NodeHasInsufficientPID'],
    ['KubeletHasSufficientPID', 'kubelet has sufficient PID available', 'NodeHasSufficientPID'],
  ],
};

/**
 * MemoryPressureCondition, DiskPressureCondition, PIDPressureCondition: a new condition starts
 * Unknown; the heartbeat always moves; reason, message, transition time and an event change only
 * when the status flips.
 */
export function pressureCondition(type: PressureType, o: { now: () => number; underPressure: () => boolean; recordEvent: NodeStatusEventFunc }): Setter {
  return (node) => {
    const now = metaTime(o.now());
    const conditions = ((node.status ??= {}).conditions ??= []);
    let c = conditions.find((x) => x.type === type);
    if (!c) {
      c = { type, status: 'Unknown' };
      conditions.push(c);
    }
    c.lastHeartbeatTime = now;
    const pressure = o.underPressure();
    const want = pressure ? 'True' : 'False';
    if (c.status !== want) {
      const [reason, message, event] = PRESSURE[type][pressure ? 0 : 1]!;
      Object.assign(c, { status: want, reason, message, lastTransitionTime: now });
      o.recordEvent('Normal', event);
    }
    return undefined;
  };
}

/**
 * recordNodeSchedulableEvent: NodeNotSchedulable / NodeSchedulable when spec.unschedulable
 * (kubectl cordon / uncordon) differs from what this agent saw last; it starts schedulable.
 */
export function schedulableEvent(recordEvent: NodeStatusEventFunc): Setter {
  let lastUnschedulable = false;
  return (node: V1Node) => {
    const unschedulable = node.spec?.unschedulable === true;
    if (unschedulable !== lastUnschedulable) {
      recordEvent('Normal', unschedulable ? 'NodeNotSchedulable' : 'NodeSchedulable');
      lastUnschedulable = unschedulable;
    }
    return undefined;
  };
}
