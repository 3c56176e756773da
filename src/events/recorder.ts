// Records pod events (Pulling, Created, BackOff, ...) in a bounded in-memory store, counting repeats like the API server's event correlator.
//
// The kubelet emits events through a recorder to the API server; standalone, we keep them per pod
// for `describe pod` and log them. Repeats of the same (type, reason, message, object) bump a count
// and lastTimestamp instead of adding a row, and each pod keeps at most `maxPerPod` events.
import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { truncate } from '../bounded.js';

export type EventType = 'Normal' | 'Warning';

export interface PodEvent {
  uid: string;
  namespace: string;
  podName: string;
  type: EventType;
  reason: string;
  message: string;
  /** The involved object's field path, e.g. "spec.containers{app}"; '' for the pod itself. */
  fieldPath: string;
  count: number;
  firstTimestamp: number;
  lastTimestamp: number;
  /** The component that reported it, "kubelet" in kubectl's FROM column. */
  source: string;
}

export interface EventSink {
  eventRecorded(event: PodEvent): void;
}

export interface EventRecorderOptions {
  logger: Logger;
  clock: () => number;
  maxPerPod?: number;
}

export class EventRecorder {
  private readonly byPod = new Map<string, PodEvent[]>();
  private readonly sinks: EventSink[] = [];
  private readonly maxPerPod: number;

  constructor(private readonly opts: EventRecorderOptions) {
    this.maxPerPod = opts.maxPerPod ?? 100;
  }

  addSink(sink: EventSink): void {
    this.sinks.push(sink);
  }

  event(pod: V1Pod, type: EventType, reason: string, fullMessage: string, fieldPath = ''): void {
    // An event quotes what the spec and the runtime said (an image name, a probe's output): bounded
    // at the API's NoteLengthLimit, so the store, the log line and describe stay small.
    const message = truncate(fullMessage);
    const uid = pod.metadata?.uid ?? '';
    const now = this.opts.clock();
    const list = this.byPod.get(uid) ?? [];
    let ev = list.find((e) => e.type === type && e.reason === reason && e.message === message && e.fieldPath === fieldPath);
    if (ev) {
      ev.count++;
      ev.lastTimestamp = now;
      // Keep the list ordered by lastTimestamp so the newest repeat sorts last.
      list.splice(list.indexOf(ev), 1);
      list.push(ev);
    } else {
      ev = {
        uid,
        namespace: pod.metadata?.namespace ?? 'default',
        podName: pod.metadata?.name ?? '',
        type,
        reason,
        message,
        fieldPath,
        count: 1,
        firstTimestamp: now,
        lastTimestamp: now,
        source: 'kubelet',
      };
      list.push(ev);
      if (list.length > this.maxPerPod) list.splice(0, list.length - this.maxPerPod);
    }
    this.byPod.set(uid, list);
    // Fields on the line itself: a child logger per event costs more than the line.
    const fields = { pod: `${ev.namespace}/${ev.podName}`, reason, ...(fieldPath ? { object: fieldPath } : {}) };
    if (type === 'Warning') this.opts.logger.warn(fields, message);
    else this.opts.logger.info(fields, message);
    for (const s of this.sinks) s.eventRecorded({ ...ev });
  }

  /** The pod's events, oldest first. */
  eventsFor(uid: string): PodEvent[] {
    return (this.byPod.get(uid) ?? []).map((e) => ({ ...e }));
  }

  forget(uid: string): void {
    this.byPod.delete(uid);
  }
}

/** The kubelet's field path for a container, as events show it. */
export function containerFieldPath(pod: V1Pod, name: string): string {
  const isInit = (pod.spec?.initContainers ?? []).some((c) => c.name === name);
  return `spec.${isInit ? 'initContainers' : 'containers'}{${name}}`;
}

/**
 * A PodEvent as a core/v1 Event (what the API server would store, and what the read-only port
 * serves for `describe`). The name follows the recorder's "<object>.<unix nanos in hex>".
 */
export function toCoreEvent(ev: PodEvent, host = '') {
  const first = new Date(ev.firstTimestamp).toISOString();
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${ev.podName}.${(BigInt(ev.firstTimestamp) * 1_000_000n).toString(16)}`, namespace: ev.namespace, creationTimestamp: first },
    involvedObject: {
      apiVersion: 'v1',
      kind: 'Pod',
      name: ev.podName,
      namespace: ev.namespace,
      uid: ev.uid,
      ...(ev.fieldPath ? { fieldPath: ev.fieldPath } : {}),
    },
    reason: ev.reason,
    message: ev.message,
    type: ev.type,
    count: ev.count,
    firstTimestamp: first,
    lastTimestamp: new Date(ev.lastTimestamp).toISOString(),
    source: { component: ev.source, ...(host ? { host } : {}) },
    reportingComponent: ev.source,
    reportingInstance: host,
  };
}
