// Carries a PodActions plan out against the runtime, in the kubelet's SyncPod order; it decides nothing the planner did not.
//
// Order (kuberuntime_manager.go SyncPod): kill the pod or the listed containers, create the
// sandbox if asked, then start containers in plan order (sidecars and the next init container
// first, then the app containers), recording why any container is not running.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { PodSandboxConfig } from '../cri/types.js';
import { containerFieldPath } from '../events/recorder.js';
import { POD_UID_LABEL } from '../runtime/labels.js';
import type { ContainerWaitingReason, ObservedPod } from '../runtime/types.js';
import type { ContainerKind, ContainerToStart, PodActions } from './actions.js';
import { failedPullSecretsMessage, readPullSecrets } from './cluster-objects.js';
import { mountRetryKey } from './backoff.js';
import type { ExecutorDeps } from './deps.js';
import { probeKillGracePeriod } from '../prober/timing.js';
import { killContainer, killPod } from './kill.js';
import { errorMessage, startContainer, type SandboxInfo } from './start-container.js';
import { inStep } from '../trace/cause.js';
import { podGracePeriodSeconds } from './state.js';
import { ContainerConfigError } from './translate/errors.js';
import { generatePodSandboxConfig, sandboxWarnings } from './translate/sandbox-config.js';

/** kubelet: backOffPeriod, how soon a sync that hit an error is retried. */
export const ERROR_RESYNC_MS = 10_000;

export interface ExecuteResult {
  /** Why containers are not running after this sync, by name: the new reasonCache entries. */
  waiting: Map<string, ContainerWaitingReason>;
  /** Containers started (or found already started) in this sync: their old reasons are cleared. */
  started: string[];
  /** Whether the runtime was changed, so the observed state must be refreshed. */
  changed: boolean;
  /** Sync again after this long at the latest. */
  resyncAfterMs?: number;
}

export async function executePodActions(
  pod: V1Pod,
  actions: PodActions,
  observed: ObservedPod | undefined,
  deps: ExecutorDeps,
  signal: AbortSignal,
): Promise<ExecuteResult> {
  const result: ExecuteResult = { waiting: new Map(), started: [], changed: false };
  const grace = podGracePeriodSeconds(pod);

  // Step 1: kill what must go.
  if (actions.killPod) {
    if (actions.createSandbox && observed?.sandboxes.length) {
      deps.recorder.event(pod, 'Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
    }
    await inStep(`kill pod: ${actions.killPodReason}`, () => killPod(pod, observed, grace, deps));
    result.changed = true;
  } else {
    for (const k of actions.containersToKill) {
      const c = observed?.containers.find((o) => o.id === k.containerId);
      const spec = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((s) => s.name === k.name);
      // A liveness or startup probe may carry its own grace period (kubelet: setTerminationGracePeriod).
      if (c) await inStep(`kill container ${k.name}: ${k.message}`, () => killContainer(pod, c, probeKillGracePeriod(pod, spec, k.reason) ?? grace, k.message, deps));
      result.changed = true;
    }
  }

  // Crash-looping containers wait; say so and come back when their back-off ends.
  for (const b of actions.containersInBackOff) {
    const message = b.message || `back-off restarting failed container=${b.name} pod=${podDesc(pod)}`;
    result.waiting.set(b.name, { reason: 'CrashLoopBackOff', message });
    deps.recorder.event(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${b.name} in pod ${podDesc(pod)}`, containerFieldPath(pod, b.name));
    resyncIn(result, b.until - deps.clock());
  }
  // A sandbox that runs already, adopted after an agent restart maybe: counted in burstable's
  // shares like the ones this process made (a no-op once counted), even if nothing starts now.
  if (!actions.createSandbox && !actions.killPod) await deps.podCgroups?.trackPod(pod);
  // kubelet: each syncPod marks the pod's volumes for remount, and the volume reconciler rewrites
  // the ones whose files follow the pod or the cluster (a refreshed token, a changed label) apart
  // from the pod worker: started here, not awaited, so a slow API server never holds a sync up.
  if (!actions.killPod && observed?.sandboxes[0]?.state === 'ready') {
    void deps.volumes.remountPod(pod, (message) => deps.recorder.event(pod, 'Warning', 'FailedMount', message));
  }
  if (actions.containersToStart.length === 0 && !actions.createSandbox) return result;

  // Step 2: volumes and the sandbox; meanwhile, whether the images are there (asked once, used in step 3).
  const specs = actions.containersToStart.map((a) => containerSpec(pod, a.name, a.kind)).filter((c): c is V1Container => !!c);
  const images = inStep(`look up the images of ${specs.map((c) => c.name).join(', ')}`, () => deps.images.lookAhead(specs));
  const sandbox = actions.createSandbox
    ? await inStep(`create sandbox (attempt ${actions.attempt}): ${actions.createSandboxReason}`, () => ensureSandbox(pod, actions, observed, deps, result))
    : await ensureSandbox(pod, actions, observed, deps, result);
  if (!sandbox) {
    resyncIn(result, ERROR_RESYNC_MS);
    return result;
  }

  // kubelet: SyncPod reads the pod's pull secrets once (getPullSecretsForPod), after the pod's
  // registration with the secret manager (setUpPod); one it cannot read is reported, not fatal.
  const pullSecrets = await readPullSecrets(pod, deps.cluster?.());
  if (pullSecrets.failed.length) deps.recorder.event(pod, 'Warning', 'FailedToRetrieveImagePullSecret', failedPullSecretsMessage(pullSecrets.failed));

  // Step 3: containers, in plan order.
  for (const action of actions.containersToStart) {
    if (signal.aborted) break;
    const spec = containerSpec(pod, action.name, action.kind);
    if (!spec) continue;
    // kubelet doBackOff: each restart lengthens the next back-off, counted from the last exit.
    if (action.backOff) deps.crashLoopBackOff.next(action.backOff.key, action.backOff.eventTime);
    const failure = await inStep(startStep(action), () => startContainer(pod, spec, action, sandbox, deps, images, pullSecrets.secrets, signal));
    result.changed = true;
    if (failure) {
      result.waiting.set(action.name, failure);
      resyncIn(result, ERROR_RESYNC_MS);
      // An init container that cannot start holds back everything after it.
      if (action.kind === 'init') break;
    } else {
      result.started.push(action.name);
    }
  }
  return result;
}

/** The next sync comes after `ms` at the latest (the soonest of every reason a sync gives). */
function resyncIn(result: ExecuteResult, ms: number): void {
  result.resyncAfterMs = Math.min(result.resyncAfterMs ?? Infinity, Math.max(ms, 0));
}

async function ensureSandbox(
  pod: V1Pod,
  actions: PodActions,
  observed: ObservedPod | undefined,
  deps: ExecutorDeps,
  result: ExecuteResult,
): Promise<SandboxInfo | undefined> {
  const notCreated = (message: string, reason = 'ContainerCreating') => {
    for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
      if (!result.waiting.has(c.name)) result.waiting.set(c.name, { reason, message });
    }
    return undefined;
  };
  const newest = observed?.sandboxes[0];
  const attempt = actions.createSandbox ? actions.attempt : (newest?.attempt ?? 0);
  // The config first: a pod the node refuses (policy, a field it cannot honour) gets no volumes
  // and no sandbox, and each container says why (CreateContainerConfigError). Forbidden sysctls
  // never get this far: admission rejects them (src/admission/).
  let config: PodSandboxConfig;
  try {
    config = generatePodSandboxConfig(pod, attempt, deps.sandboxOptions);
  } catch (err) {
    if (err instanceof ContainerConfigError) {
      deps.recorder.event(pod, 'Warning', 'Failed', `Error: ${err.message}`);
      return notCreated(err.message, 'CreateContainerConfigError');
    }
    deps.recorder.event(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${errorMessage(err)}`);
    return notCreated(errorMessage(err));
  }
  const uid = pod.metadata!.uid!;
  // kubelet: podContainerManager.EnsureExists, the pod cgroup before the sandbox that lives in it,
  // made before the volumes as there. Neither waits for the other: the cgroup is made while the
  // volumes are set up, and its error is reported once they are (a sandbox it would have been
  // for). Not when an earlier RunPodSandbox of this attempt may have made the sandbox (below).
  const podCgroup = actions.createSandbox && !deps.sandboxRequests.has(uid, attempt) ? deps.podCgroups?.ensurePod(pod) : undefined;
  podCgroup?.catch(() => undefined);
  const mountKey = mountRetryKey(uid);
  try {
    await deps.volumes.setUpPod(pod);
    deps.mountBackOff?.reset(mountKey);
  } catch (err) {
    deps.recorder.event(pod, 'Warning', 'FailedMount', errorMessage(err));
    // A mount that failed for a moment (a token the API server refused while it had not yet seen
    // the pod's binding) is tried again soon, not after the 10 s a failed sandbox waits.
    if (deps.mountBackOff) {
      deps.mountBackOff.next(mountKey, deps.clock());
      resyncIn(result, deps.mountBackOff.get(mountKey));
    }
    return notCreated(errorMessage(err));
  }
  if (!actions.createSandbox) {
    return { id: actions.sandboxId, config, podIPs: podIPsOf(pod, newest?.ips ?? [], deps.hostIP) };
  }
  // kubelet: GetPodDNS reports a missing cluster DNS or a trimmed dnsConfig as it makes the sandbox.
  for (const w of sandboxWarnings(pod, deps.sandboxOptions)) deps.recorder.event(pod, 'Warning', w.reason, w.message);
  try {
    // A RunPodSandbox that timed out may still have succeeded: reuse its sandbox rather than make a
    // second. Only a call this process made can have left one the cache does not show.
    const existing = deps.sandboxRequests.has(uid, attempt)
      ? (await deps.cri.listPodSandbox({ labelSelector: { [POD_UID_LABEL]: uid } })).find((s) => s.metadata.attempt === attempt && s.state === 'SANDBOX_READY')
      : undefined;
    if (!existing) {
      await (podCgroup ?? deps.podCgroups?.ensurePod(pod));
      deps.sandboxRequests.add(uid, attempt);
    }
    const id = existing?.id ?? (await deps.cri.runPodSandbox(config));
    result.changed = true;
    const status = await deps.cri.podSandboxStatus(id);
    const ips = [status.network?.ip, ...(status.network?.additionalIps ?? []).map((a) => a.ip)].filter((ip): ip is string => !!ip);
    return { id, config, podIPs: podIPsOf(pod, ips, deps.hostIP), justCreated: !existing };
  } catch (err) {
    deps.recorder.event(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${errorMessage(err)}`);
    return notCreated(`Failed to create pod sandbox: ${errorMessage(err)}`);
  }
}

/** "start init container init1: not started yet", "start container web (restart 3): exited with code 1, ...". */
export function startStep(a: Pick<ContainerToStart, 'name' | 'kind' | 'restartCount' | 'reason'>): string {
  const what = a.kind === 'regular' ? 'container' : a.kind === 'init' ? 'init container' : 'sidecar';
  return `start ${what} ${a.name}${a.restartCount > 0 ? ` (restart ${a.restartCount})` : ''}: ${a.reason}`;
}

function containerSpec(pod: V1Pod, name: string, kind: ContainerKind): V1Container | undefined {
  const list = kind === 'regular' ? pod.spec?.containers : pod.spec?.initContainers;
  return list?.find((c) => c.name === name);
}

function podDesc(pod: V1Pod): string {
  return `${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})`;
}

/** A host-network pod has the node's address (kubelet: generateAPIPodStatus for hostNetwork). */
function podIPsOf(pod: V1Pod, sandboxIPs: string[], hostIP: string): string[] {
  return pod.spec?.hostNetwork && sandboxIPs.length === 0 ? [hostIP] : sandboxIPs;
}
