// Writes the agent's events to the API server as core/v1 Events, as the kubelet's event broadcaster does: source kubelet on this node, repeats counted, spam filtered, a bounded queue that never blocks the agent.
//
// client-go's broadcaster queues at most 1000 events and drops what does not fit; one writer sends
// them in order, each tried up to 12 times 10 s apart while the API server does not answer (an
// answer that refuses the event is final). The rate of writes is bounded by --event-qps and
// --event-burst in the client (src/kubeclient/client.ts).
import type { CoreV1Event, V1ObjectReference } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { sleep, type Clock } from '../clock.js';
import { isAlreadyExists, isNotFound, KubeApiError } from '../kubeclient/errors.js';
import type { EventsClient } from '../kubeclient/types.js';
import { EventCorrelator, eventNanos } from './correlator.js';
import type { EventSink, EventType, PodEvent } from './recorder.js';

/** client-go maxQueuedEvents, maxTriesPerEvent, defaultSleepDuration. */
export const MAX_QUEUED_EVENTS = 1000;
const MAX_TRIES = 12;
const RETRY_SLEEP_MS = 10_000;
/** The kubelet's event source component (componentKubelet). */
export const KUBELET_COMPONENT = 'kubelet';
/** events.k8s.io's note limit; a longer message is cut rather than refused. */
const MAX_MESSAGE = 1024;

export interface ApiEventSinkOptions {
  events: EventsClient;
  nodeName: string;
  clock: Clock;
  logger: Logger;
  maxQueued?: number;
  retrySleepMs?: number;
  random?: () => number;
}

/** The kubelet's nodeRef: no namespace, and the node name as UID (kubectl describe node searches by both UIDs). */
export const nodeRef = (nodeName: string): V1ObjectReference => ({ kind: 'Node', name: nodeName, uid: nodeName, namespace: '' });

export class ApiEventSink implements EventSink {
  private readonly queue: CoreV1Event[] = [];
  private readonly correlator: EventCorrelator;
  private draining: Promise<void> | undefined;
  private stopped = false;
  private seq = 0;
  private droppedCount = 0;
  private lastDropLog = Number.NEGATIVE_INFINITY;

  constructor(private readonly o: ApiEventSinkOptions) {
    this.correlator = new EventCorrelator(() => o.clock.now());
  }

  /** EventSink: a pod event from the EventRecorder (each repeat arrives again, and is counted here). */
  eventRecorded(ev: PodEvent): void {
    const ref: V1ObjectReference = { kind: 'Pod', namespace: ev.namespace, name: ev.podName, uid: ev.uid, apiVersion: 'v1', ...(ev.fieldPath ? { fieldPath: ev.fieldPath } : {}) };
    this.record(ref, ev.type, ev.reason, ev.message, ev.lastTimestamp);
  }

  /** An event about this Node (Starting, NodeReady, ...), logged as the recorder logs pod events. */
  nodeEvent(type: EventType, reason: string, message: string): void {
    (type === 'Warning' ? this.o.logger.warn : this.o.logger.info).call(this.o.logger, { node: this.o.nodeName, reason }, message);
    this.record(nodeRef(this.o.nodeName), type, reason, message);
  }

  /** recorder makeEvent, then the queue; when the queue is full the event is dropped and counted. */
  record(ref: V1ObjectReference, type: EventType, reason: string, message: string, at = this.o.clock.now()): void {
    if (this.stopped) return;
    if (this.queue.length >= (this.o.maxQueued ?? MAX_QUEUED_EVENTS)) {
      this.droppedCount++;
      if (at - this.lastDropLog >= 30_000) {
        this.lastDropLog = at;
        this.o.logger.warn({ dropped: this.droppedCount }, 'event queue full: dropping events until the API server catches up');
      }
      return;
    }
    const t = new Date(Math.floor(at / 1000) * 1000);
    this.queue.push({
      metadata: { name: `${ref.name}.${eventNanos(at, ++this.seq)}`, namespace: ref.namespace || 'default' },
      involvedObject: ref,
      reason,
      message: message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message,
      firstTimestamp: t,
      lastTimestamp: t,
      count: 1,
      type,
      source: { component: KUBELET_COMPONENT, host: this.o.nodeName },
      reportingComponent: KUBELET_COMPONENT,
      reportingInstance: this.o.nodeName,
    });
    this.draining ??= this.drain();
  }

  /** Events dropped because the queue was full. */
  dropped(): number {
    return this.droppedCount;
  }

  /** Resolves once the queue is empty (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
  }

  private async drain(): Promise<void> {
    try {
      for (let ev = this.queue.shift(); ev && !this.stopped; ev = this.queue.shift()) await this.recordToSink(ev);
    } finally {
      this.draining = undefined;
    }
  }

  /** recordToSink: correlate, then write with retries while the API server does not answer. */
  private async recordToSink(event: CoreV1Event): Promise<void> {
    const result = this.correlator.correlate(event);
    if (result.skip) return;
    for (let tries = 1; !this.stopped; tries++) {
      if (await this.recordEvent(result.event, result.patch)) return;
      if (tries >= MAX_TRIES) {
        this.o.logger.error({ reason: event.reason, object: event.involvedObject.name }, 'Unable to write event (retry limit exceeded!)');
        return;
      }
      // The first wait is random, so that agents do not all come back at once.
      const sleepMs = this.o.retrySleepMs ?? RETRY_SLEEP_MS;
      await sleep(this.o.clock, tries === 1 ? sleepMs * (this.o.random ?? Math.random)() : sleepMs);
    }
  }

  /** recordEvent: patch a repeat (create it again if it is gone), create a new one; true when done with it. */
  private async recordEvent(event: CoreV1Event, patch: object | undefined): Promise<boolean> {
    const { events, logger } = this.o;
    const ns = event.metadata!.namespace!;
    try {
      let stored: CoreV1Event | undefined;
      if (patch) stored = await events.patch(ns, event.metadata!.name!, patch).catch((err) => (isNotFound(err) ? undefined : Promise.reject(err)));
      stored ??= await events.create({ ...event, metadata: { ...event.metadata, resourceVersion: undefined } });
      this.correlator.updateState(stored);
      return true;
    } catch (err) {
      const e = err instanceof KubeApiError ? err : undefined;
      if (e && e.code !== 0) {
        // The server answered and refused it: it would refuse it again (client-go: StatusError, will not retry).
        (isAlreadyExists(e) ? logger.debug : logger.error).call(logger, { reason: event.reason, object: event.involvedObject.name, err: e.message }, 'Server rejected event (will not retry!)');
        return true;
      }
      logger.debug({ reason: event.reason, err: (err as Error).message }, 'Unable to write event (may retry after sleeping)');
      return false;
    }
  }
}
