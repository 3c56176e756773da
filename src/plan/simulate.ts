// `plan`'s core: the agent's planner and executor run sync after sync against the dry CRI, from what the runtime has (or nothing) until the pod would run.
//
// Each sync is the agent's own: computePodActions on what the runtime reports (read by the
// agent's inspect code), then executePodActions with the dry dependencies. Between syncs,
// simulated time passes (DryRunCri.advance): init containers finish with 0, started containers
// run. The first sync is exactly the next sync the agent would make; the later ones assume that.
import type { V1Pod } from '@kubernetes/client-node';
import type { CriRuntime } from '../cri/types.js';
import type { PodActions } from '../podworker/actions.js';
import { executePodActions, startStep } from '../podworker/execute.js';
import { computePodActions } from '../podworker/plan.js';
import { REINSPECT_STEP } from '../podworker/sync-pod.js';
import { getPodStatus, listOwned, podUidOf } from '../runtime/inspect.js';
import { POD_NAME_LABEL, POD_NAMESPACE_LABEL, POD_UID_LABEL } from '../runtime/labels.js';
import type { ObservedPod } from '../runtime/types.js';
import { withCause } from '../trace/cause.js';
import { DryRunCri, type PlanStep } from './dry-cri.js';
import { dryExecutorDeps, type DryNode } from './dry-deps.js';

export interface PlanInput {
  /** Decoded, defaulted, validated and identified as the agent does it (config/manifest.ts). */
  pod: V1Pod;
  node: DryNode;
  /** The real runtime, asked read-only calls only; none: an empty node with no images. */
  runtime?: CriRuntime;
  clock?: () => number;
}

export interface PlannedSync {
  sync: number;
  /** What the planner decided, in its words. */
  summary: string;
  steps: PlanStep[];
  /** Containers that would not run after this sync, and why (what the pod's status would show). */
  waiting: { name: string; reason: string; message: string }[];
}

export interface PodPlan {
  /** The pod as the runtime has it before the first sync; undefined when it has nothing of it. */
  observed: ObservedPod | undefined;
  syncs: PlannedSync[];
  /** How the simulation ended: nothing more to do, or why it stops. */
  end: string;
  /** What the plan cannot know (the agent's in-memory back-off, probes). */
  caveats: string[];
}

/** What the runtime holds of the pod, as the PLEG's updatePod and the worker's observe read it. */
async function observe(cri: CriRuntime, nodeName: string, uid: string, now: number, previous?: ObservedPod): Promise<ObservedPod | undefined> {
  const owned = await listOwned(cri, nodeName, { [POD_UID_LABEL]: uid });
  if (owned.sandboxes.length === 0 && owned.containers.length === 0) return undefined;
  return getPodStatus(cri, uid, owned, now, { previous });
}

const hasWork = (a: PodActions) => a.killPod || a.createSandbox || a.containersToStart.length > 0 || a.containersToKill.length > 0;

/** The planner's decision in a line. */
export function describeActions(a: PodActions): string {
  const parts: string[] = [];
  if (a.killPod) parts.push(`kill pod: ${a.killPodReason}`);
  for (const k of a.containersToKill) parts.push(`kill container ${k.name}: ${k.message}`);
  if (a.createSandbox) parts.push(`create sandbox (attempt ${a.attempt}): ${a.createSandboxReason}`);
  for (const s of a.containersToStart) parts.push(startStep(s));
  for (const b of a.containersInBackOff) parts.push(`${b.name} waits: ${b.message}`);
  return parts.join('; ');
}

export async function planPod(input: PlanInput): Promise<PodPlan> {
  const { pod, node } = input;
  const clock = input.clock ?? Date.now;
  const uid = pod.metadata!.uid!;
  const cri = new DryRunCri(input.runtime, clock);
  const deps = dryExecutorDeps(cri, node, clock, (text) => cri.event(text));
  const first = await observe(cri, node.nodeName, uid, clock());
  let observed = first;
  const caveats = new Set<string>();
  if (input.runtime && !first) {
    const other = await otherVersion(input.runtime, node.nodeName, pod);
    if (other) {
      caveats.add(
        `the runtime runs a pod of this name under uid ${other}: the agent read another version of this file (its content, its path, see --pod-manifest-path, or the node name differ). This plan is for the pod as written, which the agent would run as a new pod, after stopping that one`,
      );
    }
  }
  const syncs: PlannedSync[] = [];
  // Enough for every init container one at a time, the sidecars and the app, and a last look.
  const maxSyncs = (pod.spec?.initContainers?.length ?? 0) + 3;
  let end = '';
  for (let sync = 1; sync <= maxSyncs; sync++) {
    const actions = computePodActions(pod, observed, { now: clock(), crashLoopBackOff: deps.crashLoopBackOff });
    if (!hasWork(actions)) {
      end = sync === 1 ? 'nothing to do: the runtime already runs the pod as its spec asks' : 'then nothing more to do, as long as the containers keep running (and the init containers have completed)';
      break;
    }
    for (const s of actions.containersToStart) {
      if (input.runtime && s.restartCount > 0 && sync === 1) {
        caveats.add(`${s.name} restarts at once here; the agent holds a restart back while its CrashLoopBackOff (10s doubling to 5m, kept in the agent's memory) runs: \`mini-kubelet get pods\` shows CrashLoopBackOff then`);
      }
    }
    const from = cri.steps.length;
    const cause = { uid, pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, sync, kind: 'sync' as const, step: 'observe the pod' };
    const result = await withCause(cause, () => executePodActions(pod, actions, observed, deps, new AbortController().signal));
    cri.flushEvents();
    // As the worker does after acting: read the pod back (the agent's inspect code; its calls are steps too).
    if (result.changed) observed = await withCause({ ...cause, step: REINSPECT_STEP }, () => observe(cri, node.nodeName, uid, clock(), observed));
    // Time passes; what the next sync finds is what the PLEG would have cached by then.
    cri.advance();
    observed = await observe(cri, node.nodeName, uid, clock(), observed);
    const waiting = [...result.waiting].map(([name, w]) => ({ name, ...w }));
    syncs.push({ sync, summary: describeActions(actions), steps: cri.steps.slice(from), waiting });
    if (result.started.length === 0 && !actions.killPod && actions.containersToKill.length === 0) {
      end = `stops here: ${waiting.map((w) => `${w.name} ${w.reason}: ${w.message}`).join('; ') || 'nothing could be started'}`;
      break;
    }
    if (sync === maxSyncs) end = `stopped after ${maxSyncs} syncs`;
  }
  if (input.runtime && pod.spec?.containers.some((c) => c.livenessProbe || c.startupProbe)) {
    caveats.add('probe results live in the agent: a failing liveness or startup probe would add a kill that this plan cannot see');
  }
  return { observed: first, syncs, end, caveats: [...caveats] };
}

/** The UID of a pod of the same namespace and name that the runtime runs for this node, if any. */
async function otherVersion(cri: CriRuntime, nodeName: string, pod: V1Pod): Promise<string | undefined> {
  const owned = await listOwned(cri, nodeName, { [POD_NAME_LABEL]: pod.metadata?.name ?? '', [POD_NAMESPACE_LABEL]: pod.metadata?.namespace ?? '' });
  return [...owned.sandboxes, ...owned.containers].map(podUidOf).find((uid) => uid && uid !== pod.metadata?.uid);
}
