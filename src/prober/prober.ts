// Runs one probe of one container and reports it as the kubelet's prober does (prober.go): retries, Unhealthy and ProbeWarning events.
import type { V1Container, V1Pod, V1Probe } from '@kubernetes/client-node';
import type { RuntimeService } from '../cri/types.js';
import { containerFieldPath, type EventType } from '../events/recorder.js';
import { doExecProbe, expandProbeCommand } from './exec.js';
import { doGrpcProbe } from './grpc.js';
import { doHttpProbe, newRequestForHTTPGetAction } from './http.js';
import { probeHost, resolveContainerPort } from './target.js';
import { doTcpProbe } from './tcp.js';
import { probeTiming } from './timing.js';
import type { CheckOutcome, ProbeTarget, ProbeType } from './types.js';

/** kubelet maxProbeRetries: a probe that errors (could not run) is tried this many times. */
export const MAX_PROBE_RETRIES = 3;

/** The slice of the EventRecorder the prober uses. */
export interface ProbeEventRecorder {
  event(pod: V1Pod, type: EventType, reason: string, message: string, fieldPath?: string): void;
}

/** What a probe run tells the worker: a result to count, or an error (the result is thrown away). */
export type ProbeRun = { result: 'Success' | 'Failure'; error?: undefined } | { result: 'Failure'; error: Error };

/** What the worker calls; the real one below, a scripted one in tests. */
export interface Prober {
  probe(type: ProbeType, pod: V1Pod, container: V1Container, containerId: string, target: ProbeTarget): Promise<ProbeRun>;
}

export function probeSpecOf(container: V1Container, type: ProbeType): V1Probe | undefined {
  if (type === 'Liveness') return container.livenessProbe;
  if (type === 'Readiness') return container.readinessProbe;
  return container.startupProbe;
}

/** One handler run (newProberAction + Run). Throws nothing: problems come back as outcomes with an error. */
export async function runHandler(
  p: V1Probe,
  container: V1Container,
  containerId: string,
  target: ProbeTarget,
  cri: Pick<RuntimeService, 'execSync'>,
): Promise<CheckOutcome> {
  const { timeoutSeconds } = probeTiming(p);
  try {
    if (p.exec) return await doExecProbe(cri, containerId, expandProbeCommand(p.exec.command ?? [], container.env), timeoutSeconds);
    if (p.httpGet) return await doHttpProbe(newRequestForHTTPGetAction(p.httpGet, container, target, 'probe'), timeoutSeconds * 1000);
    if (p.tcpSocket) {
      const port = resolveContainerPort(p.tcpSocket.port as number | string, container);
      return await doTcpProbe(probeHost(p.tcpSocket.host, target), port, timeoutSeconds * 1000);
    }
    // gRPC has no host field: always the pod IP.
    if (p.grpc) return await doGrpcProbe(target.podIP, p.grpc.service ?? '', p.grpc.port, timeoutSeconds);
    return { result: 'unknown', output: '', error: new Error(`missing probe handler for container ${container.name}`) };
  } catch (err) {
    return { result: 'unknown', output: '', error: err as Error };
  }
}

export class CriProber implements Prober {
  constructor(private readonly deps: { cri: Pick<RuntimeService, 'execSync'>; recorder: ProbeEventRecorder }) {}

  /** prober.probe: run with retries on error, record the event, map to a result. */
  async probe(type: ProbeType, pod: V1Pod, container: V1Container, containerId: string, target: ProbeTarget): Promise<ProbeRun> {
    const spec = probeSpecOf(container, type);
    if (!spec) return { result: 'Success' };
    let outcome: CheckOutcome = { result: 'unknown', output: '' };
    for (let i = 0; i < MAX_PROBE_RETRIES; i++) {
      outcome = await runHandler(spec, container, containerId, target, this.deps.cri);
      if (!outcome.error) break;
    }
    const fieldPath = containerFieldPath(pod, container.name);
    const { recorder } = this.deps;
    if (outcome.error) {
      recorder.event(pod, 'Warning', 'Unhealthy', `${type} probe errored and resulted in ${outcome.result} state: ${outcome.error.message}`, fieldPath);
      return { result: 'Failure', error: outcome.error };
    }
    switch (outcome.result) {
      case 'success':
        return { result: 'Success' };
      case 'warning':
        recorder.event(pod, 'Warning', 'ProbeWarning', `${type} probe warning: ${outcome.output}`, fieldPath);
        return { result: 'Success' };
      case 'failure':
        recorder.event(pod, 'Warning', 'Unhealthy', `${type} probe failed: ${outcome.output}`, fieldPath);
        return { result: 'Failure' };
      default:
        return { result: 'Failure' };
    }
  }
}
