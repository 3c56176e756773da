// The watch stream behind `get pods -w`: diffs successive pod snapshots into API-server-style watch events.
import type { ServerResponse } from 'node:http';
import type { V1Pod } from '@kubernetes/client-node';
import { byNamespaceAndName, encodePod, encodePodJSON, type WirePod } from './encode.js';
import type { PodViewSource, ServerLogger } from './types.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent {
  type: WatchEventType;
  object: WirePod;
}

/** The annotation the API server puts on the bookmark that ends the initial events (KEP-3157, WatchList). */
export const INITIAL_EVENTS_END_ANNOTATION = 'k8s.io/initial-events-end';

// A pod is the same object while its UID is: a pod recreated under the same name is DELETED + ADDED.
function podKey(pod: V1Pod): string {
  return pod.metadata?.uid || `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

/**
 * Turns successive pods() snapshots into events. The first call yields ADDED for every pod,
 * like a watch without a resourceVersion ("get state and start at most recent").
 */
export class PodWatchDiffer {
  private last = new Map<string, { pod: V1Pod; json: string; object: WirePod }>();

  next(pods: V1Pod[]): WatchEvent[] {
    const events: WatchEvent[] = [];
    const seen = new Map<string, { pod: V1Pod; json: string; object: WirePod }>();
    for (const pod of [...pods].sort(byNamespaceAndName)) {
      const key = podKey(pod);
      const before = this.last.get(key);
      // The same pod object is the same pod and status (Kubelet.pods): nothing to encode or compare.
      if (before?.pod === pod) {
        seen.set(key, before);
        continue;
      }
      const object = encodePod(pod);
      const json = encodePodJSON(pod);
      seen.set(key, { pod, json, object });
      if (!before) events.push({ type: 'ADDED', object });
      else if (before.json !== json) events.push({ type: 'MODIFIED', object });
    }
    for (const [key, gone] of this.last) {
      // A DELETED event carries the object's last known state, as the API server's does.
      if (!seen.has(key)) events.push({ type: 'DELETED', object: gone.object });
    }
    this.last = seen;
    return events;
  }
}

function initialEventsEnd(): WatchEvent {
  return {
    type: 'BOOKMARK',
    object: { apiVersion: 'v1', kind: 'Pod', metadata: { annotations: { [INITIAL_EVENTS_END_ANNOTATION]: 'true' } } },
  };
}

/**
 * Streams newline-delimited JSON watch events on res until the client goes away or the returned
 * stop function is called. With bookmarks, a BOOKMARK marks where the initial ADDED events end,
 * so a client can print its first table before the changes.
 */
export function servePodWatch(
  res: ServerResponse,
  source: PodViewSource,
  logger: ServerLogger,
  opts: { bookmarks: boolean },
): () => void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' });
  if (res.req.method === 'HEAD') {
    res.end();
    return () => {};
  }
  // Send the headers now: with no pods yet, the client would otherwise wait for the first event.
  res.flushHeaders();
  const differ = new PodWatchDiffer();
  const write = (events: WatchEvent[]) => {
    for (const e of events) res.write(JSON.stringify(e) + '\n');
  };
  write(differ.next(source.pods()));
  if (opts.bookmarks) write([initialEventsEnd()]);
  // Changes come in bursts (a status per container start): diff once per turn of the event loop.
  let pending = false;
  const unsubscribe = source.subscribe(() => {
    if (pending) return;
    pending = true;
    setImmediate(() => {
      pending = false;
      if (stopped) return;
      try {
        write(differ.next(source.pods()));
      } catch (err) {
        logger.warn({ err }, 'read-only server: could not send a watch event');
      }
    });
  });
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    unsubscribe();
    res.end();
  };
  res.on('close', stop);
  return stop;
}
