// What `mini-kubelet trace` does once its flags are parsed: find the pod, fetch its trace, print it, and follow it with -f.
import { getJSON, getPodList, watchLines } from './client.js';
import { byStart, formatTimeline, TimelinePrinter } from './format-trace.js';
import { findPod } from './logs-target.js';
import type { PodTraceBody, TraceWatchEvent } from '../server/trace-route.js';

export interface TraceRequest {
  server: string;
  /** The full name or a unique prefix (a static pod without its "-<node>" suffix). */
  pod: string;
  namespace: string;
  follow: boolean;
  json: boolean;
}

export interface TraceIO {
  out(text: string): void;
  err(text: string): void;
  /** Ends a follower (tests; the real CLI ends with Ctrl-C). */
  signal?: AbortSignal;
}

export async function runTrace(req: TraceRequest, io: TraceIO): Promise<void> {
  const pods = (await getPodList({ server: req.server })).items;
  const pod = findPod(pods, req.namespace, req.pod);
  const name = pod.metadata?.name ?? '';
  const path = `/pods/${encodeURIComponent(req.namespace)}/${encodeURIComponent(name)}/trace`;
  if (!req.follow) {
    const body = await getJSON<PodTraceBody>({ server: req.server, signal: io.signal }, path);
    io.out(req.json ? JSON.stringify(body, null, 2) + '\n' : formatTimeline(body.pod, body.items));
    return;
  }
  // Follow: the calls so far come first (sorted once the bookmark says they are all here), then each new one.
  const printer = new TimelinePrinter();
  let initial: PodTraceBody['items'] | undefined = [];
  if (!req.json) io.out(`CRI calls for pod ${req.namespace}/${name} (uid ${pod.metadata?.uid ?? ''}), times in UTC; following:\n`);
  await watchLines({ server: req.server, signal: io.signal }, `${path}?watch=true`, (line) => {
    const e = JSON.parse(line) as TraceWatchEvent;
    if (e.type === 'CALL') {
      if (initial) initial.push(e.entry);
      else io.out(req.json ? JSON.stringify(e.entry) + '\n' : printer.lines([e.entry]));
    } else if (e.type === 'BOOKMARK' && initial) {
      const sorted = byStart(initial);
      initial = undefined;
      io.out(req.json ? sorted.map((x) => JSON.stringify(x) + '\n').join('') : printer.lines(sorted));
    } else if (e.type === 'GONE') {
      io.err(`pod ${req.namespace}/${name} was removed, and its trace with it\n`);
    }
  });
}
