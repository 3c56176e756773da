// client-go's EventCorrelator (tools/record/events_cache.go): repeats become a count patch, many similar events one "combined" event, and a spam filter per source and object. Pure apart from the injected clock.
import type { CoreV1Event } from '@kubernetes/client-node';

/** maxLruCacheEntries. */
const LRU_SIZE = 4096;
/** defaultAggregateMaxEvents, defaultAggregateIntervalInSeconds. */
const AGGREGATE_MAX_EVENTS = 10;
const AGGREGATE_INTERVAL_MS = 600_000;
/** defaultSpamBurst, defaultSpamQPS: 25 events per source and object, then one every 5 minutes. */
export const SPAM_BURST = 25;
export const SPAM_QPS = 1 / 300;

/** A map that forgets its least recently used entry beyond `size` (groupcache/lru). */
class Lru<V> {
  private readonly m = new Map<string, V>();
  constructor(private readonly size: number) {}
  get(k: string): V | undefined {
    const v = this.m.get(k);
    if (v !== undefined) {
      this.m.delete(k);
      this.m.set(k, v);
    }
    return v;
  }
  set(k: string, v: V): void {
    this.m.delete(k);
    this.m.set(k, v);
    if (this.m.size > this.size) this.m.delete(this.m.keys().next().value!);
  }
}

const objectKey = (e: CoreV1Event) => {
  const o = e.involvedObject;
  return [e.source?.component, e.source?.host, o.kind, o.namespace, o.name, o.uid, o.apiVersion];
};
/** getEventKey: everything that makes two events the same event. */
const eventKey = (e: CoreV1Event) => {
  const o = e.involvedObject;
  return JSON.stringify([e.source?.component, e.source?.host, o.kind, o.namespace, o.name, o.fieldPath, o.uid, o.apiVersion, e.type, e.reason, e.message]);
};
/** EventAggregatorByReasonFunc: the aggregate key (all but the message), and the message. */
const aggregateKey = (e: CoreV1Event) => JSON.stringify([...objectKey(e), e.type, e.reason, e.reportingComponent, e.reportingInstance]);

interface Observation {
  count: number;
  firstTimestamp: Date | undefined;
  name: string;
  resourceVersion: string | undefined;
}

export interface Correlated {
  /** The event to write: new (count 1), or an earlier one with its count raised. */
  event: CoreV1Event;
  /** For a repeat: the strategic-merge patch of the event already stored. */
  patch?: { count: number; lastTimestamp: Date | undefined; message?: string };
  /** The spam filter dropped it. */
  skip: boolean;
}

export class EventCorrelator {
  private readonly spam = new Lru<{ tokens: number; last: number }>(LRU_SIZE);
  private readonly aggregates = new Lru<{ messages: Set<string>; last: number }>(LRU_SIZE);
  private readonly observed = new Lru<Observation>(LRU_SIZE);
  private seq = 0;

  constructor(private readonly now: () => number) {}

  /** EventCorrelate: aggregate, then observe (count repeats), then the spam filter. */
  correlate(event: CoreV1Event): Correlated {
    const { event: aggregated, key } = this.aggregate(event);
    const { event: observed, patch } = this.observe(aggregated, key);
    return { event: observed, patch, skip: this.filter(observed) };
  }

  /** UpdateState: remember what the API server stored (its name, count and resourceVersion), for the next repeat. */
  updateState(event: CoreV1Event): void {
    this.observed.set(eventKey(event), observationOf(event));
  }

  /** EventAggregate: the tenth distinct message for the same object and reason within 10 minutes turns into one combined event. */
  private aggregate(event: CoreV1Event): { event: CoreV1Event; key: string } {
    const now = this.now();
    const akey = aggregateKey(event);
    let rec = this.aggregates.get(akey);
    if (!rec || now - rec.last > AGGREGATE_INTERVAL_MS) rec = { messages: new Set(), last: now };
    rec.messages.add(event.message ?? '');
    rec.last = now;
    this.aggregates.set(akey, rec);
    if (rec.messages.size < AGGREGATE_MAX_EVENTS) return { event, key: eventKey(event) };
    rec.messages.delete(rec.messages.values().next().value!);
    const t = new Date(Math.floor(now / 1000) * 1000);
    const combined: CoreV1Event = {
      metadata: { name: `${event.involvedObject.name}.${eventNanos(now, ++this.seq)}`, namespace: event.metadata?.namespace },
      count: 1,
      firstTimestamp: t,
      lastTimestamp: t,
      involvedObject: event.involvedObject,
      message: `(combined from similar events): ${event.message}`,
      type: event.type,
      reason: event.reason,
      source: event.source,
    };
    return { event: combined, key: akey };
  }

  /** eventLogger.eventObserve: a repeat takes the stored event's name and first time, and counts one more. */
  private observe(event: CoreV1Event, key: string): { event: CoreV1Event; patch?: Correlated['patch'] } {
    const last = this.observed.get(key);
    let out = event;
    let patch: Correlated['patch'];
    if (last && last.count > 0) {
      out = {
        ...event,
        metadata: { ...event.metadata, name: last.name, resourceVersion: last.resourceVersion },
        firstTimestamp: last.firstTimestamp,
        count: last.count + 1,
      };
      patch = { count: out.count!, lastTimestamp: out.lastTimestamp, ...(out.message ? { message: out.message } : {}) };
    }
    this.observed.set(key, observationOf(out));
    return { event: out, patch };
  }

  /** EventSourceObjectSpamFilter: a token bucket per source and object. */
  private filter(event: CoreV1Event): boolean {
    const now = this.now();
    const key = JSON.stringify(objectKey(event));
    const b = this.spam.get(key) ?? { tokens: SPAM_BURST, last: now };
    b.tokens = Math.min(SPAM_BURST, b.tokens + ((now - b.last) / 1000) * SPAM_QPS);
    b.last = now;
    const accept = b.tokens >= 1;
    if (accept) b.tokens -= 1;
    this.spam.set(key, b);
    return !accept;
  }
}

function observationOf(e: CoreV1Event): Observation {
  return { count: e.count ?? 0, firstTimestamp: e.firstTimestamp, name: e.metadata?.name ?? '', resourceVersion: e.metadata?.resourceVersion };
}

/** The "<unix nanos in hex>" of an event name; `seq` fills the nanoseconds a ms clock lacks, so two events in one ms differ. */
export function eventNanos(ms: number, seq: number): string {
  return (BigInt(Math.floor(ms)) * 1_000_000n + BigInt(seq % 1_000_000)).toString(16);
}
