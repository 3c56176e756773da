// Probe results per pod and container id (the kubelet's results.Manager, one per probe type), read by the planner and the status.
import type { ProbeResultsView } from '../podworker/deps.js';
import { REASON_LIVENESS_PROBE, REASON_STARTUP_PROBE } from './timing.js';
import type { ProbeResult, ProbeType } from './types.js';

interface Entry {
  /** The container's name in the spec, for the kill message. */
  name: string;
  result: ProbeResult;
}

export class ProbeResults implements ProbeResultsView {
  /** uid → probe type → container id → entry. */
  private readonly byPod = new Map<string, Map<ProbeType, Map<string, Entry>>>();

  /** results.Manager.Set. Returns whether the stored result changed (the kubelet only sends updates then). */
  set(uid: string, type: ProbeType, containerId: string, name: string, result: ProbeResult): boolean {
    let types = this.byPod.get(uid);
    if (!types) this.byPod.set(uid, (types = new Map()));
    let ids = types.get(type);
    if (!ids) types.set(type, (ids = new Map()));
    const prev = ids.get(containerId);
    ids.set(containerId, { name, result });
    return prev?.result !== result;
  }

  get(uid: string, type: ProbeType, containerId: string): ProbeResult | undefined {
    return this.byPod.get(uid)?.get(type)?.get(containerId)?.result;
  }

  remove(uid: string, type: ProbeType, containerId: string): void {
    this.byPod.get(uid)?.get(type)?.delete(containerId);
  }

  forgetPod(uid: string): void {
    this.byPod.delete(uid);
  }

  private entries(uid: string, type: ProbeType): [string, Entry][] {
    return [...(this.byPod.get(uid)?.get(type) ?? new Map<string, Entry>())];
  }

  ready(uid: string): ReadonlyMap<string, boolean> {
    return new Map(this.entries(uid, 'Readiness').map(([id, e]) => [id, e.result === 'Success']));
  }

  /** An Unknown startup result (not decided yet) counts as not started, as isContainerStarted does. */
  started(uid: string): ReadonlyMap<string, boolean> {
    return new Map(this.entries(uid, 'Startup').map(([id, e]) => [id, e.result === 'Success']));
  }

  /** computePodActions' probe checks: a liveness failure first, then a startup failure. */
  unhealthy(uid: string): ReadonlyMap<string, { reason: string; message: string }> {
    const out = new Map<string, { reason: string; message: string }>();
    for (const [id, e] of this.entries(uid, 'Startup')) {
      if (e.result === 'Failure') out.set(id, { reason: REASON_STARTUP_PROBE, message: `Container ${e.name} failed startup probe` });
    }
    for (const [id, e] of this.entries(uid, 'Liveness')) {
      if (e.result === 'Failure') out.set(id, { reason: REASON_LIVENESS_PROBE, message: `Container ${e.name} failed liveness probe` });
    }
    return out;
  }
}
