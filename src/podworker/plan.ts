// The pure planner: from a Pod spec and what the runtime reports, what one sync must do (the kubelet's computePodActions).
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { BackOff } from './backoff.js';
import type { PodActions } from './actions.js';
import type { ObservedContainer, ObservedPod } from '../runtime/types.js';
import type { Draft } from './plan-draft.js';
import { initKind, newDraft, newest, splitByBackOff } from './plan-draft.js';
import { computeInitContainerActions } from './plan-init.js';
import { anythingToStop, podSandboxChanged } from './plan-sandbox.js';
import { shouldContainerBeRestarted } from '../runtime/restart-policy.js';
import { hashContainer } from './translate/hash.js';

export interface UnhealthyContainer {
  /** Machine reason for the kill, e.g. "LivenessProbe" or "StartupProbe". */
  reason: string;
  message: string;
}

export interface PlanContext {
  /** Unix ms when the plan is made (for callers' logs; back-off decisions use the BackOff's own clock). */
  now: number;
  /** Read-only view of the crash-loop back-off; the executor calls next() when it restarts. */
  crashLoopBackOff: Pick<BackOff, 'isInBackOffSince' | 'get'>;
  /** Containers (by container id) that a liveness or startup probe found failing. */
  unhealthy?: ReadonlyMap<string, UnhealthyContainer>;
  /**
   * Container ids whose startup probe has succeeded. When given, a sidecar with a startupProbe
   * holds back the next init container until it is in here; when absent (no prober), it does not.
   */
  startupProbeSucceeded?: ReadonlySet<string>;
}

function startReason(status: ObservedContainer | undefined, pod: V1Pod): string {
  if (!status) return 'not started yet';
  if (status.state === 'created') return 'created but never started';
  if (status.state === 'unknown') return 'in unknown state';
  return `exited with code ${status.exitCode}, restartPolicy ${pod.spec?.restartPolicy ?? 'Always'}`;
}

/** containerSucceeded: the newest instance is not running and exited 0. */
function containerSucceeded(c: V1Container, observed: ObservedPod | undefined): boolean {
  const s = newest(observed, c.name);
  return s !== undefined && s.state !== 'running' && s.exitCode === 0;
}

/** computePodActions. Pure: same inputs, same plan; the clock and the probes come in through ctx. */
export function computePodActions(pod: V1Pod, observed: ObservedPod | undefined, ctx: PlanContext): PodActions {
  const sandbox = podSandboxChanged(pod, observed);
  const policy = pod.spec?.restartPolicy ?? 'Always';
  const containers = pod.spec?.containers ?? [];
  const inits = pod.spec?.initContainers ?? [];
  const draft = newDraft();

  if (sandbox.create) {
    // Everything is killed and created again; init containers start over from the first.
    if (anythingToStop(observed)) {
      draft.killPod = true;
      draft.killPodReason = `pod sandbox changed: ${sandbox.reason}`;
    }
    const finishedPod = (reason: string): PodActions => {
      if (draft.killPod) draft.killPodReason = reason;
      return finish(pod, observed, ctx, draft, false, '', sandbox.attempt);
    };
    // A Never pod that already had a sandbox and created containers is done: no new sandbox.
    if (policy === 'Never' && sandbox.attempt !== 0 && (observed?.containers.length ?? 0) > 0) {
      return finishedPod('pod sandbox is gone and restartPolicy is Never');
    }
    const toStart = containers.filter((c) => !(policy === 'OnFailure' && containerSucceeded(c, observed)));
    // Nothing left to run once initialized (OnFailure with every container succeeded): done too.
    // hasAnyRegularContainerCreated: created, running or exited (not unknown).
    const anyRegularCreated = containers.some((c) => {
      const s = newest(observed, c.name);
      return s !== undefined && s.state !== 'unknown';
    });
    if (toStart.length === 0 && anyRegularCreated) {
      return finishedPod('all containers succeeded and restartPolicy is OnFailure');
    }
    if (inits.length > 0) {
      const first = inits[0]!;
      draft.initStarts = [{ container: first, kind: initKind(first), reason: 'new sandbox' }];
    } else {
      draft.regularStarts = toStart.map((c) => ({ container: c, kind: 'regular', reason: startReason(newest(observed, c.name), pod) }));
    }
    return finish(pod, observed, ctx, draft, true, '', sandbox.attempt, sandbox.reason);
  }

  const initialized = computeInitContainerActions(pod, observed, sandbox.sandboxId, ctx, draft);
  if (draft.killPod || !initialized) return finish(pod, observed, ctx, draft, false, sandbox.sandboxId, sandbox.attempt);

  let keepCount = 0;
  for (const c of containers) {
    const status = newest(observed, c.name);
    if (!status || status.state !== 'running') {
      if (shouldContainerBeRestarted(c, pod, observed)) {
        draft.regularStarts.push({ container: c, kind: 'regular', reason: startReason(status, pod) });
        // An unknown container may still be running: stop it so two instances never run at once.
        if (status?.state === 'unknown') {
          draft.kills.push({ containerId: status.id, name: c.name, reason: 'Unknown', message: `Container is in "unknown" state, try killing it before restart` });
        }
      }
      continue;
    }
    // Running: kill it on a spec change (and always start the new spec) or a failed probe.
    let restart = policy !== 'Never';
    let reason: string;
    let message: string;
    const unhealthy = ctx.unhealthy?.get(status.id);
    if (status.hash !== hashContainer(c)) {
      reason = 'SpecChanged';
      message = `Container ${c.name} definition changed`;
      restart = true;
    } else if (unhealthy) {
      ({ reason, message } = unhealthy);
    } else {
      keepCount++;
      continue;
    }
    if (restart) {
      message = `${message}, will be restarted`;
      draft.regularStarts.push({ container: c, kind: 'regular', reason: message });
    }
    draft.kills.push({ containerId: status.id, name: c.name, reason, message });
  }
  killStrays(pod, observed, draft);

  if (keepCount === 0 && draft.regularStarts.length === 0) {
    // Every regular container is done for good; sidecars must not keep the pod alive.
    draft.killPod = true;
    draft.killPodReason = 'all containers have exited and none is to be restarted';
    draft.initStarts = [];
  }
  return finish(pod, observed, ctx, draft, false, sandbox.sandboxId, sandbox.attempt);
}

/** Containers the runtime runs for this pod under a name the spec does not have. */
function killStrays(pod: V1Pod, observed: ObservedPod | undefined, draft: Draft): void {
  const names = new Set([...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => c.name));
  for (const ephemeral of pod.spec?.ephemeralContainers ?? []) names.add(ephemeral.name);
  for (const o of observed?.containers ?? []) {
    if (names.has(o.name) || o.state === 'exited') continue;
    draft.kills.push({ containerId: o.id, name: o.name, reason: 'NotInSpec', message: `Container ${o.name} is not in the pod spec` });
  }
}

function finish(
  pod: V1Pod,
  observed: ObservedPod | undefined,
  ctx: PlanContext,
  draft: Draft,
  createSandbox: boolean,
  sandboxId: string,
  attempt: number,
  sandboxReason = '',
): PodActions {
  // Killing the pod stops everything, so single kills are moot; nothing starts unless a new sandbox follows.
  const starts = draft.killPod && !createSandbox ? [] : [...draft.initStarts, ...draft.regularStarts];
  const split = splitByBackOff(pod, observed, ctx.crashLoopBackOff, starts);
  return {
    killPod: draft.killPod,
    killPodReason: draft.killPodReason,
    createSandbox,
    createSandboxReason: createSandbox ? sandboxReason : '',
    sandboxId,
    attempt,
    containersToKill: draft.killPod ? [] : draft.kills,
    containersToStart: split.containersToStart,
    containersInBackOff: split.containersInBackOff,
  };
}
