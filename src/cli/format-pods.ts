// The `get pods` table: kubectl's printPod columns (READY, STATUS, RESTARTS, AGE) computed from a pod. Pure.
import type { V1Container, V1Pod, V1PodCondition } from '@kubernetes/client-node';
import { humanDuration, timestampSince, toMillis } from './format-duration.js';
import { TableLayout } from './format-table.js';

export interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
}

export interface PodTableOptions {
  /** Unix milliseconds the ages are measured to. */
  now: number;
  wide?: boolean;
  /** Adds the NAMESPACE column first, as kubectl does with --all-namespaces. */
  withNamespace?: boolean;
}

// kubectl's node.NodeUnreachablePodReason.
const NODE_LOST = 'NodeLost';

function isRestartableInit(c: V1Container | undefined): boolean {
  return c?.restartPolicy === 'Always'; // podutil.IsRestartableInitContainer: a sidecar
}

function conditionTrue(conditions: V1PodCondition[] | undefined, type: string): boolean {
  return (conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

function terminatedReason(prefix: string, t: { reason?: string; signal?: number; exitCode: number }): string {
  if (t.reason) return prefix + t.reason;
  return t.signal ? `${prefix}Signal:${t.signal}` : `${prefix}ExitCode:${t.exitCode}`;
}

/** Mirrors kubectl's printPod (pkg/printers/internalversion/printers.go): READY, STATUS and RESTARTS. */
export function summarizePod(pod: V1Pod, now: number): PodSummary {
  const spec = pod.spec;
  const status = pod.status ?? {};
  const initSpecs = new Map((spec?.initContainers ?? []).map((c) => [c.name, c]));
  let total = spec?.containers?.length ?? 0;
  for (const c of initSpecs.values()) if (isRestartableInit(c)) total++;
  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart: number | undefined;
  let lastSidecarRestart: number | undefined;
  const later = (a: number | undefined, b: number | undefined) => (b !== undefined && (a === undefined || b > a) ? b : a);

  let reason = status.reason || status.phase || '';
  if ((status.conditions ?? []).some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) {
    reason = 'SchedulingGated';
  }

  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i]!;
    const sidecar = isRestartableInit(initSpecs.get(cs.name));
    const finished = toMillis(cs.lastState?.terminated?.finishedAt);
    restarts += cs.restartCount ?? 0;
    lastRestart = later(lastRestart, finished);
    if (sidecar) {
      sidecarRestarts += cs.restartCount ?? 0;
      lastSidecarRestart = later(lastSidecarRestart, finished);
    }
    const term = cs.state?.terminated;
    const waiting = cs.state?.waiting;
    if (term && term.exitCode === 0) continue;
    if (sidecar && cs.started) {
      if (cs.ready) ready++;
      continue;
    }
    if (term) reason = terminatedReason('Init:', term);
    else if (waiting?.reason && waiting.reason !== 'PodInitializing') reason = 'Init:' + waiting.reason;
    else reason = `Init:${i}/${spec?.initContainers?.length ?? 0}`;
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(status.conditions, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    // Backwards, so the first container's reason is the one that stays.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i]!;
      restarts += cs.restartCount ?? 0;
      lastRestart = later(lastRestart, toMillis(cs.lastState?.terminated?.finishedAt));
      const term = cs.state?.terminated;
      if (cs.state?.waiting?.reason) reason = cs.state.waiting.reason;
      else if (term) reason = terminatedReason('', term);
      else if (cs.ready && cs.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    // A pod whose other containers completed still runs while one container does.
    if (reason === 'Completed' && hasRunning) {
      reason = conditionTrue(status.conditions, 'Ready') ? 'Running' : 'NotReady';
    }
  }

  const deleting = pod.metadata?.deletionTimestamp !== undefined && pod.metadata?.deletionTimestamp !== null;
  if (deleting && status.reason === NODE_LOST) reason = 'Unknown';
  else if (deleting && status.phase !== 'Succeeded' && status.phase !== 'Failed') reason = 'Terminating';

  const restartsText =
    restarts !== 0 && lastRestart !== undefined ? `${restarts} (${humanDuration(now - lastRestart)} ago)` : `${restarts}`;
  return { ready: `${ready}/${total}`, status: reason, restarts: restartsText };
}

export function podTableHeader(opts: PodTableOptions): string[] {
  const head = ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP'];
  if (opts.wide) head.push('NODE', 'NOMINATED NODE', 'READINESS GATES');
  return opts.withNamespace ? ['NAMESPACE', ...head] : head;
}

/** One table row; `<none>` for empty cells, as kubectl prints them. */
export function podTableRow(pod: V1Pod, opts: PodTableOptions): string[] {
  const s = summarizePod(pod, opts.now);
  const ip = pod.status?.podIPs?.[0]?.ip || pod.status?.podIP || '<none>';
  const row = [pod.metadata?.name ?? '', s.ready, s.status, s.restarts, timestampSince(pod.metadata?.creationTimestamp, opts.now), ip];
  if (opts.wide) {
    const gates = pod.spec?.readinessGates ?? [];
    const gatesText = gates.length === 0 ? '<none>'
      : `${gates.filter((g) => pod.status?.conditions?.find((c) => c.type === g.conditionType)?.status === 'True').length}/${gates.length}`;
    row.push(pod.spec?.nodeName || '<none>', pod.status?.nominatedNodeName || '<none>', gatesText);
  }
  return opts.withNamespace ? [pod.metadata?.namespace ?? '', ...row] : row;
}

/** The whole table, header first. Pass a layout to keep later rows aligned with it (watch). */
export function formatPodTable(pods: V1Pod[], opts: PodTableOptions, layout = new TableLayout()): string {
  return layout.format([podTableHeader(opts), ...pods.map((p) => podTableRow(p, opts))]);
}
