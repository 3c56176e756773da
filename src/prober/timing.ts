// Probe timing with the API defaults, and the grace period a probe-triggered kill gets (setTerminationGracePeriod).
import type { V1Container, V1Pod, V1Probe } from '@kubernetes/client-node';

export interface ProbeTiming {
  initialDelaySeconds: number;
  timeoutSeconds: number;
  periodSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

/** SetDefaults_Probe: 0 counts as unset (Go's zero value), giving timeout 1s, period 10s, thresholds 1 and 3. */
export function probeTiming(p: V1Probe): ProbeTiming {
  return {
    initialDelaySeconds: Math.max(0, p.initialDelaySeconds ?? 0),
    timeoutSeconds: p.timeoutSeconds || 1,
    periodSeconds: p.periodSeconds || 10,
    successThreshold: p.successThreshold || 1,
    failureThreshold: p.failureThreshold || 3,
  };
}

/** The planner's kill reasons for probe failures (kuberuntime reasonLivenessProbe, reasonStartupProbe). */
export const REASON_LIVENESS_PROBE = 'LivenessProbe';
export const REASON_STARTUP_PROBE = 'StartupProbe';

/**
 * kuberuntime setTerminationGracePeriod: a container killed because its liveness or startup probe
 * failed gets that probe's terminationGracePeriodSeconds when set, unless the pod is being deleted
 * (the deletion grace period wins). Returns undefined when the pod's own grace period applies.
 */
export function probeKillGracePeriod(pod: V1Pod, container: V1Container | undefined, reason: string): number | undefined {
  if (pod.metadata?.deletionGracePeriodSeconds !== undefined) return undefined;
  if (reason === REASON_LIVENESS_PROBE) return container?.livenessProbe?.terminationGracePeriodSeconds;
  if (reason === REASON_STARTUP_PROBE) return container?.startupProbe?.terminationGracePeriodSeconds;
  return undefined;
}
