// GET /pods/{namespace}/{name}/trace: the CRI calls the agent made for a pod (trace/store.ts), as JSON or, with ?watch=true, as a stream of new calls.
import type { ServerResponse } from 'node:http';
import type { V1Pod } from '@kubernetes/client-node';
import type { TraceEntry } from '../trace/store.js';

export const TRACE_PATH = /^\/pods\/([^/]+)\/([^/]+)\/trace$/;

/** The slice of the TraceStore the server reads. */
export interface TraceView {
  entries(uid: string, after?: number): TraceEntry[];
  follow(uid: string, fn: (e: TraceEntry | undefined) => void): () => void;
}

/** The list form: the pod, and its calls oldest first. */
export interface PodTraceBody {
  kind: 'PodTrace';
  apiVersion: 'mini-kubelet/v1alpha1';
  pod: { namespace: string; name: string; uid: string };
  items: TraceEntry[];
}

/** One line of the watch form (newline-delimited JSON). */
export type TraceWatchEvent =
  | { type: 'CALL'; entry: TraceEntry }
  /** The calls recorded so far have all been sent; what follows is new. */
  | { type: 'BOOKMARK' }
  /** The pod was removed, and its trace with it; the stream ends. */
  | { type: 'GONE' };

export function podTraceBody(pod: V1Pod, entries: TraceEntry[]): PodTraceBody {
  const m = pod.metadata ?? {};
  return { kind: 'PodTrace', apiVersion: 'mini-kubelet/v1alpha1', pod: { namespace: m.namespace ?? 'default', name: m.name ?? '', uid: m.uid ?? '' }, items: entries };
}

/**
 * Streams the pod's calls newer than `after` (a seq), a BOOKMARK, then each new call as it is
 * recorded, until the client goes away, the pod is dropped (GONE) or stop() is called.
 */
export function serveTraceWatch(res: ServerResponse, view: TraceView, uid: string, after: number): () => void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' });
  if (res.req.method === 'HEAD') {
    res.end();
    return () => {};
  }
  const write = (e: TraceWatchEvent) => res.write(JSON.stringify(e) + '\n');
  // Follow first, so that no call recorded between the two steps is lost; seq drops repeats.
  let last = after;
  const pending: TraceEntry[] = [];
  let replaying = true;
  let stopped = false;
  const send = (e: TraceEntry) => {
    if (e.seq <= last) return;
    last = e.seq;
    write({ type: 'CALL', entry: e });
  };
  const unfollow = view.follow(uid, (e) => {
    if (stopped) return;
    if (!e) {
      write({ type: 'GONE' });
      stop();
    } else if (replaying) pending.push(e);
    else send(e);
  });
  const stop = () => {
    if (stopped) return;
    stopped = true;
    unfollow();
    res.end();
  };
  for (const e of view.entries(uid, after)) send(e);
  for (const e of pending) send(e);
  replaying = false;
  if (!stopped) write({ type: 'BOOKMARK' });
  res.on('close', stop);
  return stop;
}
